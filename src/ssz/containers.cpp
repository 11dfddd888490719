#include "ssz/containers.hpp"

#include "ssz/merkle.hpp"

namespace cc::ssz {
namespace {

using preset::kMaxAttestations;
using preset::kMaxAttesterSlashings;
using preset::kMaxDeposits;
using preset::kMaxProposerSlashings;
using preset::kMaxVoluntaryExits;

template <std::uint64_t L>
Root indexed_attestation_root(const IndexedAttestationT<L>& v) {
  return container_root({uint64_list_root(v.attesting_indices, L), hash_tree_root(v.data), bytes_root(v.signature)});
}

template <std::uint64_t L>
Root attester_slashing_root(const AttesterSlashingT<L>& v) {
  return container_root({hash_tree_root(v.attestation_1), hash_tree_root(v.attestation_2)});
}

auto htr = [](const auto& item) { return hash_tree_root(item); };

// The eight phase0 body field roots; altair appends sync_aggregate.
std::array<Root, 8> phase0_body_fields(const BeaconBlockBody& v) {
  return {bytes_root(v.randao_reveal),
          hash_tree_root(v.eth1_data),
          v.graffiti,
          composite_list_root(v.proposer_slashings, kMaxProposerSlashings, htr),
          composite_list_root(v.attester_slashings, kMaxAttesterSlashings, htr),
          composite_list_root(v.attestations, kMaxAttestations, htr),
          composite_list_root(v.deposits, kMaxDeposits, htr),
          composite_list_root(v.voluntary_exits, kMaxVoluntaryExits, htr)};
}

}  // namespace

Root hash_tree_root(const Fork& v) {
  return container_root({bytes_root(v.previous_version), bytes_root(v.current_version), uint64_root(v.epoch)});
}

Root hash_tree_root(const ForkData& v) {
  return container_root({bytes_root(v.current_version), v.genesis_validators_root});
}

Root hash_tree_root(const SigningData& v) { return container_root({v.object_root, v.domain}); }

Root hash_tree_root(const Checkpoint& v) { return container_root({uint64_root(v.epoch), v.root}); }

Root hash_tree_root(const AttestationData& v) {
  return container_root({uint64_root(v.slot), uint64_root(v.index), v.beacon_block_root, hash_tree_root(v.source),
                         hash_tree_root(v.target)});
}

Root hash_tree_root(const BeaconBlockHeader& v) {
  return container_root({uint64_root(v.slot), uint64_root(v.proposer_index), v.parent_root, v.state_root, v.body_root});
}

Root hash_tree_root(const SignedBeaconBlockHeader& v) {
  return container_root({hash_tree_root(v.message), bytes_root(v.signature)});
}

Root hash_tree_root(const ProposerSlashing& v) {
  return container_root({hash_tree_root(v.signed_header_1), hash_tree_root(v.signed_header_2)});
}

Root hash_tree_root(const IndexedAttestation& v) { return indexed_attestation_root(v); }
Root hash_tree_root(const IndexedAttestationElectra& v) { return indexed_attestation_root(v); }
Root hash_tree_root(const AttesterSlashing& v) { return attester_slashing_root(v); }
Root hash_tree_root(const AttesterSlashingElectra& v) { return attester_slashing_root(v); }

Root hash_tree_root(const Attestation& v) {
  return container_root({v.aggregation_bits.hash_tree_root(), hash_tree_root(v.data), bytes_root(v.signature)});
}

Root hash_tree_root(const AttestationElectra& v) {
  return container_root({v.aggregation_bits.hash_tree_root(), hash_tree_root(v.data), bytes_root(v.signature),
                         v.committee_bits.hash_tree_root()});
}

Root hash_tree_root(const DepositMessage& v) {
  return container_root({bytes_root(v.pubkey), v.withdrawal_credentials, uint64_root(v.amount)});
}

Root hash_tree_root(const DepositData& v) {
  return container_root(
      {bytes_root(v.pubkey), v.withdrawal_credentials, uint64_root(v.amount), bytes_root(v.signature)});
}

Root hash_tree_root(const Deposit& v) {
  return container_root({merkleize(v.proof, v.proof.size()), hash_tree_root(v.data)});
}

Root hash_tree_root(const VoluntaryExit& v) {
  return container_root({uint64_root(v.epoch), uint64_root(v.validator_index)});
}

Root hash_tree_root(const SignedVoluntaryExit& v) {
  return container_root({hash_tree_root(v.message), bytes_root(v.signature)});
}

Root hash_tree_root(const Eth1Data& v) {
  return container_root({v.deposit_root, uint64_root(v.deposit_count), v.block_hash});
}

Root hash_tree_root(const BeaconBlockBody& v) {
  const auto f = phase0_body_fields(v);
  return merkleize(f, f.size());
}

Root hash_tree_root(const SyncAggregate& v) {
  return container_root({v.sync_committee_bits.hash_tree_root(), bytes_root(v.sync_committee_signature)});
}

Root hash_tree_root(const BeaconBlockBodyAltair& v) {
  const auto f = phase0_body_fields(v);
  Merkleizer m(f.size() + 1);
  for (const Root& r : f) m.add(r);
  m.add(hash_tree_root(v.sync_aggregate));
  return m.finish();
}

Root hash_tree_root(const AggregateAndProof& v) {
  return container_root({uint64_root(v.aggregator_index), hash_tree_root(v.aggregate), bytes_root(v.selection_proof)});
}

Root hash_tree_root(const AggregateAndProofElectra& v) {
  return container_root({uint64_root(v.aggregator_index), hash_tree_root(v.aggregate), bytes_root(v.selection_proof)});
}

Root hash_tree_root(const SyncCommitteeContribution& v) {
  return container_root({uint64_root(v.slot), v.beacon_block_root, uint64_root(v.subcommittee_index),
                         v.aggregation_bits.hash_tree_root(), bytes_root(v.signature)});
}

Root hash_tree_root(const ContributionAndProof& v) {
  return container_root(
      {uint64_root(v.aggregator_index), hash_tree_root(v.contribution), bytes_root(v.selection_proof)});
}

Root hash_tree_root(const SyncAggregatorSelectionData& v) {
  return container_root({uint64_root(v.slot), uint64_root(v.subcommittee_index)});
}

Root hash_tree_root(const ValidatorRegistrationV1& v) {
  return container_root(
      {bytes_root(v.fee_recipient), uint64_root(v.gas_limit), uint64_root(v.timestamp), bytes_root(v.pubkey)});
}

}  // namespace cc::ssz
