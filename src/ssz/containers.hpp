#pragma once
// Consensus containers that validators sign, phase0 through fulu, with the mainnet preset
// limits, and their hash_tree_root. Field names and order follow consensus-specs
// specs/<fork>/beacon-chain.md and validator.md; a container is listed under the fork that
// last changed it. Plain values: copying is the only ownership, nothing is shared.
#include <array>
#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "ssz/bitfield.hpp"
#include "ssz/preset.hpp"

namespace cc::ssz {

using ExecutionAddress = Bytes<20>;

// ---- phase0 (specs/phase0/beacon-chain.md, "Containers") ----

struct Fork {
  Version previous_version{};
  Version current_version{};
  std::uint64_t epoch = 0;
};

struct ForkData {
  Version current_version{};
  Root genesis_validators_root{};
};

struct SigningData {
  Root object_root{};
  Domain domain{};
};

struct Checkpoint {
  std::uint64_t epoch = 0;
  Root root{};
};

struct AttestationData {
  std::uint64_t slot = 0;
  std::uint64_t index = 0;
  Root beacon_block_root{};
  Checkpoint source;
  Checkpoint target;
};

struct BeaconBlockHeader {
  std::uint64_t slot = 0;
  std::uint64_t proposer_index = 0;
  Root parent_root{};
  Root state_root{};
  Root body_root{};
};

struct SignedBeaconBlockHeader {
  BeaconBlockHeader message;
  BlsSignature signature{};
};

struct ProposerSlashing {
  SignedBeaconBlockHeader signed_header_1;
  SignedBeaconBlockHeader signed_header_2;
};

// IndexedAttestation's index limit grows in electra (EIP-7549), hence the parameter.
template <std::uint64_t IndicesLimit>
struct IndexedAttestationT {
  static constexpr std::uint64_t kIndicesLimit = IndicesLimit;
  std::vector<std::uint64_t> attesting_indices;  // List[ValidatorIndex, IndicesLimit]
  AttestationData data;
  BlsSignature signature{};
};
using IndexedAttestation = IndexedAttestationT<preset::kMaxValidatorsPerCommittee>;

template <std::uint64_t IndicesLimit>
struct AttesterSlashingT {
  IndexedAttestationT<IndicesLimit> attestation_1;
  IndexedAttestationT<IndicesLimit> attestation_2;
};
using AttesterSlashing = AttesterSlashingT<preset::kMaxValidatorsPerCommittee>;

struct Attestation {
  Bitlist<preset::kMaxValidatorsPerCommittee> aggregation_bits;
  AttestationData data;
  BlsSignature signature{};
};

struct DepositMessage {
  BlsPublicKey pubkey{};
  Root withdrawal_credentials{};
  std::uint64_t amount = 0;
};

struct DepositData {
  BlsPublicKey pubkey{};
  Root withdrawal_credentials{};
  std::uint64_t amount = 0;
  BlsSignature signature{};
};

struct Deposit {
  std::array<Root, preset::kDepositProofLength> proof{};  // Vector[Bytes32, DEPOSIT_CONTRACT_TREE_DEPTH + 1]
  DepositData data;
};

struct VoluntaryExit {
  std::uint64_t epoch = 0;
  std::uint64_t validator_index = 0;
};

struct SignedVoluntaryExit {
  VoluntaryExit message;
  BlsSignature signature{};
};

struct Eth1Data {
  Root deposit_root{};
  std::uint64_t deposit_count = 0;
  Root block_hash{};
};

struct BeaconBlockBody {
  BlsSignature randao_reveal{};
  Eth1Data eth1_data;
  Root graffiti{};
  std::vector<ProposerSlashing> proposer_slashings;  // List[_, MAX_PROPOSER_SLASHINGS]
  std::vector<AttesterSlashing> attester_slashings;  // List[_, MAX_ATTESTER_SLASHINGS]
  std::vector<Attestation> attestations;             // List[_, MAX_ATTESTATIONS]
  std::vector<Deposit> deposits;                     // List[_, MAX_DEPOSITS]
  std::vector<SignedVoluntaryExit> voluntary_exits;  // List[_, MAX_VOLUNTARY_EXITS]
};

// validator.md "Aggregation selection"
struct AggregateAndProof {
  std::uint64_t aggregator_index = 0;
  Attestation aggregate;
  BlsSignature selection_proof{};
};

// ---- altair (specs/altair/beacon-chain.md, validator.md) ----

struct SyncAggregate {
  Bitvector<preset::kSyncCommitteeSize> sync_committee_bits;
  BlsSignature sync_committee_signature{};
};

// The phase0 body plus sync_aggregate as the last field.
struct BeaconBlockBodyAltair : BeaconBlockBody {
  SyncAggregate sync_aggregate;
};

struct SyncCommitteeContribution {
  std::uint64_t slot = 0;
  Root beacon_block_root{};
  std::uint64_t subcommittee_index = 0;
  Bitvector<preset::kSyncSubcommitteeSize> aggregation_bits;
  BlsSignature signature{};
};

struct ContributionAndProof {
  std::uint64_t aggregator_index = 0;
  SyncCommitteeContribution contribution;
  BlsSignature selection_proof{};
};

struct SyncAggregatorSelectionData {
  std::uint64_t slot = 0;
  std::uint64_t subcommittee_index = 0;
};

// ---- bellatrix: builder-specs specs/bellatrix/builder.md ----

struct ValidatorRegistrationV1 {
  ExecutionAddress fee_recipient{};
  std::uint64_t gas_limit = 0;
  std::uint64_t timestamp = 0;
  BlsPublicKey pubkey{};
};

// ---- electra (specs/electra/beacon-chain.md, validator.md; EIP-7549) ----

using IndexedAttestationElectra = IndexedAttestationT<preset::kMaxAttestingIndicesElectra>;
using AttesterSlashingElectra = AttesterSlashingT<preset::kMaxAttestingIndicesElectra>;

struct AttestationElectra {
  Bitlist<preset::kMaxAttestingIndicesElectra> aggregation_bits;
  AttestationData data;
  BlsSignature signature{};
  Bitvector<preset::kMaxCommitteesPerSlot> committee_bits;
};

struct AggregateAndProofElectra {
  std::uint64_t aggregator_index = 0;
  AttestationElectra aggregate;
  BlsSignature selection_proof{};
};

// ---- blocks ----

template <class Body>
struct BeaconBlockT {
  std::uint64_t slot = 0;
  std::uint64_t proposer_index = 0;
  Root parent_root{};
  Root state_root{};
  Body body;
};
using BeaconBlock = BeaconBlockT<BeaconBlockBody>;
using BeaconBlockAltair = BeaconBlockT<BeaconBlockBodyAltair>;

// ---- hash_tree_root ----

Root hash_tree_root(const Fork& v);
Root hash_tree_root(const ForkData& v);
Root hash_tree_root(const SigningData& v);
Root hash_tree_root(const Checkpoint& v);
Root hash_tree_root(const AttestationData& v);
Root hash_tree_root(const BeaconBlockHeader& v);
Root hash_tree_root(const SignedBeaconBlockHeader& v);
Root hash_tree_root(const ProposerSlashing& v);
Root hash_tree_root(const IndexedAttestation& v);
Root hash_tree_root(const IndexedAttestationElectra& v);
Root hash_tree_root(const AttesterSlashing& v);
Root hash_tree_root(const AttesterSlashingElectra& v);
Root hash_tree_root(const Attestation& v);
Root hash_tree_root(const AttestationElectra& v);
Root hash_tree_root(const DepositMessage& v);
Root hash_tree_root(const DepositData& v);
Root hash_tree_root(const Deposit& v);
Root hash_tree_root(const VoluntaryExit& v);
Root hash_tree_root(const SignedVoluntaryExit& v);
Root hash_tree_root(const Eth1Data& v);
Root hash_tree_root(const BeaconBlockBody& v);
Root hash_tree_root(const SyncAggregate& v);
Root hash_tree_root(const BeaconBlockBodyAltair& v);
Root hash_tree_root(const AggregateAndProof& v);
Root hash_tree_root(const AggregateAndProofElectra& v);
Root hash_tree_root(const SyncCommitteeContribution& v);
Root hash_tree_root(const ContributionAndProof& v);
Root hash_tree_root(const SyncAggregatorSelectionData& v);
Root hash_tree_root(const ValidatorRegistrationV1& v);

// A block and its header share one root (the header commits to hash_tree_root(body)).
template <class Body>
BeaconBlockHeader header_of(const BeaconBlockT<Body>& block) {
  return {block.slot, block.proposer_index, block.parent_root, block.state_root, hash_tree_root(block.body)};
}
template <class Body>
Root hash_tree_root(const BeaconBlockT<Body>& block) {
  return hash_tree_root(header_of(block));
}

}  // namespace cc::ssz
