#include "ssz/containers_json.hpp"

#include <string>

namespace cc::ssz {
namespace {

using json::InputError;

std::string count_error(std::size_t n, std::uint64_t limit) {
  return ": " + std::to_string(n) + " elements, limit is " + std::to_string(limit);
}

// List[T, limit] of containers, each element at path "key[i]".
template <class T>
void list_from_json(const json::Object& o, std::string_view key, std::uint64_t limit, std::vector<T>& out) {
  const auto& arr = o.array(key);
  const std::string path = o.field(key);
  if (arr.size() > limit) throw InputError(path + count_error(arr.size(), limit));
  out.clear();
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) {
    T item;
    from_json(json::Object(arr[i], json::index_path(path, i)), item);
    out.push_back(std::move(item));
  }
}

void uint64_list_from_json(const json::Object& o, std::string_view key, std::uint64_t limit,
                           std::vector<std::uint64_t>& out) {
  const auto& arr = o.array(key);
  const std::string path = o.field(key);
  if (arr.size() > limit) throw InputError(path + count_error(arr.size(), limit));
  out.clear();
  out.reserve(arr.size());
  for (std::size_t i = 0; i < arr.size(); ++i) out.push_back(json::as_u64(arr[i], json::index_path(path, i)));
}

template <class Bitfield>
Bitfield bitfield(const json::Object& o, std::string_view key) {
  const ByteVector raw = o.hex(key);
  auto r = Bitfield::parse(raw);
  if (!r) throw InputError(o.field(key) + ": " + r.error().message);
  return std::move(r).value();
}

template <std::uint64_t L>
void indexed_attestation_from_json(const json::Object& o, IndexedAttestationT<L>& out) {
  uint64_list_from_json(o, "attesting_indices", L, out.attesting_indices);
  from_json(o.object("data"), out.data);
  out.signature = o.bytes<96>("signature");
}

template <std::uint64_t L>
void attester_slashing_from_json(const json::Object& o, AttesterSlashingT<L>& out) {
  from_json(o.object("attestation_1"), out.attestation_1);
  from_json(o.object("attestation_2"), out.attestation_2);
}

template <class Body>
void block_from_json(const json::Object& o, BeaconBlockT<Body>& out) {
  out.slot = o.u64("slot");
  out.proposer_index = o.u64("proposer_index");
  out.parent_root = o.bytes<32>("parent_root");
  out.state_root = o.bytes<32>("state_root");
  from_json(o.object("body"), out.body);
}

}  // namespace

void from_json(const json::Object& o, Fork& out) {
  out.previous_version = o.bytes<4>("previous_version");
  out.current_version = o.bytes<4>("current_version");
  out.epoch = o.u64("epoch");
}

void from_json(const json::Object& o, Checkpoint& out) {
  out.epoch = o.u64("epoch");
  out.root = o.bytes<32>("root");
}

void from_json(const json::Object& o, AttestationData& out) {
  out.slot = o.u64("slot");
  out.index = o.u64("index");
  out.beacon_block_root = o.bytes<32>("beacon_block_root");
  from_json(o.object("source"), out.source);
  from_json(o.object("target"), out.target);
}

void from_json(const json::Object& o, BeaconBlockHeader& out) {
  out.slot = o.u64("slot");
  out.proposer_index = o.u64("proposer_index");
  out.parent_root = o.bytes<32>("parent_root");
  out.state_root = o.bytes<32>("state_root");
  out.body_root = o.bytes<32>("body_root");
}

void from_json(const json::Object& o, SignedBeaconBlockHeader& out) {
  from_json(o.object("message"), out.message);
  out.signature = o.bytes<96>("signature");
}

void from_json(const json::Object& o, ProposerSlashing& out) {
  from_json(o.object("signed_header_1"), out.signed_header_1);
  from_json(o.object("signed_header_2"), out.signed_header_2);
}

void from_json(const json::Object& o, IndexedAttestation& out) { indexed_attestation_from_json(o, out); }
void from_json(const json::Object& o, IndexedAttestationElectra& out) { indexed_attestation_from_json(o, out); }
void from_json(const json::Object& o, AttesterSlashing& out) { attester_slashing_from_json(o, out); }
void from_json(const json::Object& o, AttesterSlashingElectra& out) { attester_slashing_from_json(o, out); }

void from_json(const json::Object& o, Attestation& out) {
  out.aggregation_bits = bitfield<decltype(out.aggregation_bits)>(o, "aggregation_bits");
  from_json(o.object("data"), out.data);
  out.signature = o.bytes<96>("signature");
}

void from_json(const json::Object& o, AttestationElectra& out) {
  out.aggregation_bits = bitfield<decltype(out.aggregation_bits)>(o, "aggregation_bits");
  from_json(o.object("data"), out.data);
  out.signature = o.bytes<96>("signature");
  out.committee_bits = bitfield<decltype(out.committee_bits)>(o, "committee_bits");
}

void from_json(const json::Object& o, DepositMessage& out) {
  out.pubkey = o.bytes<48>("pubkey");
  out.withdrawal_credentials = o.bytes<32>("withdrawal_credentials");
  out.amount = o.u64("amount");
}

void from_json(const json::Object& o, DepositData& out) {
  out.pubkey = o.bytes<48>("pubkey");
  out.withdrawal_credentials = o.bytes<32>("withdrawal_credentials");
  out.amount = o.u64("amount");
  out.signature = o.bytes<96>("signature");
}

void from_json(const json::Object& o, Deposit& out) {
  const auto& arr = o.array("proof");
  const std::string path = o.field("proof");
  if (arr.size() != out.proof.size()) {
    throw InputError(path + ": expected " + std::to_string(out.proof.size()) + " elements, got " +
                     std::to_string(arr.size()));
  }
  for (std::size_t i = 0; i < arr.size(); ++i) out.proof[i] = json::as_bytes<32>(arr[i], json::index_path(path, i));
  from_json(o.object("data"), out.data);
}

void from_json(const json::Object& o, VoluntaryExit& out) {
  out.epoch = o.u64("epoch");
  out.validator_index = o.u64("validator_index");
}

void from_json(const json::Object& o, SignedVoluntaryExit& out) {
  from_json(o.object("message"), out.message);
  out.signature = o.bytes<96>("signature");
}

void from_json(const json::Object& o, Eth1Data& out) {
  out.deposit_root = o.bytes<32>("deposit_root");
  out.deposit_count = o.u64("deposit_count");
  out.block_hash = o.bytes<32>("block_hash");
}

void from_json(const json::Object& o, BeaconBlockBody& out) {
  out.randao_reveal = o.bytes<96>("randao_reveal");
  from_json(o.object("eth1_data"), out.eth1_data);
  out.graffiti = o.bytes<32>("graffiti");
  list_from_json(o, "proposer_slashings", preset::kMaxProposerSlashings, out.proposer_slashings);
  list_from_json(o, "attester_slashings", preset::kMaxAttesterSlashings, out.attester_slashings);
  list_from_json(o, "attestations", preset::kMaxAttestations, out.attestations);
  list_from_json(o, "deposits", preset::kMaxDeposits, out.deposits);
  list_from_json(o, "voluntary_exits", preset::kMaxVoluntaryExits, out.voluntary_exits);
}

void from_json(const json::Object& o, SyncAggregate& out) {
  out.sync_committee_bits = bitfield<decltype(out.sync_committee_bits)>(o, "sync_committee_bits");
  out.sync_committee_signature = o.bytes<96>("sync_committee_signature");
}

void from_json(const json::Object& o, BeaconBlockBodyAltair& out) {
  from_json(o, static_cast<BeaconBlockBody&>(out));
  from_json(o.object("sync_aggregate"), out.sync_aggregate);
}

void from_json(const json::Object& o, BeaconBlock& out) { block_from_json(o, out); }
void from_json(const json::Object& o, BeaconBlockAltair& out) { block_from_json(o, out); }

void from_json(const json::Object& o, AggregateAndProof& out) {
  out.aggregator_index = o.u64("aggregator_index");
  from_json(o.object("aggregate"), out.aggregate);
  out.selection_proof = o.bytes<96>("selection_proof");
}

void from_json(const json::Object& o, AggregateAndProofElectra& out) {
  out.aggregator_index = o.u64("aggregator_index");
  from_json(o.object("aggregate"), out.aggregate);
  out.selection_proof = o.bytes<96>("selection_proof");
}

void from_json(const json::Object& o, SyncCommitteeContribution& out) {
  out.slot = o.u64("slot");
  out.beacon_block_root = o.bytes<32>("beacon_block_root");
  out.subcommittee_index = o.u64("subcommittee_index");
  out.aggregation_bits = bitfield<decltype(out.aggregation_bits)>(o, "aggregation_bits");
  out.signature = o.bytes<96>("signature");
}

void from_json(const json::Object& o, ContributionAndProof& out) {
  out.aggregator_index = o.u64("aggregator_index");
  from_json(o.object("contribution"), out.contribution);
  out.selection_proof = o.bytes<96>("selection_proof");
}

void from_json(const json::Object& o, SyncAggregatorSelectionData& out) {
  out.slot = o.u64("slot");
  out.subcommittee_index = o.u64("subcommittee_index");
}

void from_json(const json::Object& o, ValidatorRegistrationV1& out) {
  out.fee_recipient = o.bytes<20>("fee_recipient");
  out.gas_limit = o.u64("gas_limit");
  out.timestamp = o.u64("timestamp");
  out.pubkey = o.bytes<48>("pubkey");
}

}  // namespace cc::ssz
