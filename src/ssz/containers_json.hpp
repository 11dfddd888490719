#pragma once
// Decoding of the consensus containers from beacon-API / Web3Signer JSON: snake_case field
// names, uint64 as decimal strings, bytes and bitfields as 0x-hex of their SSZ serialization.
// Every failure throws cc::json::InputError whose message starts with the full field path
// ("aggregate_and_proof.aggregate.aggregation_bits: bitlist has no length delimiter bit").
// Unknown fields are ignored; list limits and fixed lengths are enforced.
#include "core/json.hpp"
#include "ssz/containers.hpp"

namespace cc::ssz {

void from_json(const json::Object& o, Fork& out);
void from_json(const json::Object& o, Checkpoint& out);
void from_json(const json::Object& o, AttestationData& out);
void from_json(const json::Object& o, BeaconBlockHeader& out);
void from_json(const json::Object& o, SignedBeaconBlockHeader& out);
void from_json(const json::Object& o, ProposerSlashing& out);
void from_json(const json::Object& o, IndexedAttestation& out);
void from_json(const json::Object& o, IndexedAttestationElectra& out);
void from_json(const json::Object& o, AttesterSlashing& out);
void from_json(const json::Object& o, AttesterSlashingElectra& out);
void from_json(const json::Object& o, Attestation& out);
void from_json(const json::Object& o, AttestationElectra& out);
void from_json(const json::Object& o, DepositMessage& out);
void from_json(const json::Object& o, DepositData& out);
void from_json(const json::Object& o, Deposit& out);
void from_json(const json::Object& o, VoluntaryExit& out);
void from_json(const json::Object& o, SignedVoluntaryExit& out);
void from_json(const json::Object& o, Eth1Data& out);
void from_json(const json::Object& o, BeaconBlockBody& out);
void from_json(const json::Object& o, SyncAggregate& out);
void from_json(const json::Object& o, BeaconBlockBodyAltair& out);
void from_json(const json::Object& o, BeaconBlock& out);
void from_json(const json::Object& o, BeaconBlockAltair& out);
void from_json(const json::Object& o, AggregateAndProof& out);
void from_json(const json::Object& o, AggregateAndProofElectra& out);
void from_json(const json::Object& o, SyncCommitteeContribution& out);
void from_json(const json::Object& o, ContributionAndProof& out);
void from_json(const json::Object& o, SyncAggregatorSelectionData& out);
void from_json(const json::Object& o, ValidatorRegistrationV1& out);

// Decodes a container held in field `key` of `parent` (path "parent.key").
template <class T>
T decode_field(const json::Object& parent, std::string_view key) {
  T out;
  from_json(parent.object(key), out);
  return out;
}

// Decodes a container from `o` itself.
template <class T>
T decode(const json::Object& o) {
  T out;
  from_json(o, out);
  return out;
}

}  // namespace cc::ssz
