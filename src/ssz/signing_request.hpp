#pragma once
// Decoder of Web3Signer / remote-signing-api signing requests (POST /api/v1/eth2/sign/{key}
// bodies): reads the type, fork_info and typed payload and recomputes the signing root from
// the structured data; a client-sent root is returned for the caller to compare, never
// trusted. Stateless and thread-safe. Failures throw json::InputError (HTTP 400, message
// names the field) or WrongNetwork (HTTP 403).
#include <boost/json/value.hpp>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string_view>

#include "core/bytes.hpp"
#include "ssz/network.hpp"

namespace cc::ssz {

enum class SignType {
  block,
  block_v2,
  attestation,
  aggregation_slot,
  aggregate_and_proof,
  aggregate_and_proof_v2,
  randao_reveal,
  voluntary_exit,
  deposit,
  sync_committee_message,
  sync_committee_selection_proof,
  sync_committee_contribution_and_proof,
  validator_registration,
};

// Exact Web3Signer type names ("BLOCK_V2", "SYNC_COMMITTEE_MESSAGE", ...); nullopt otherwise.
std::optional<SignType> parse_sign_type(std::string_view text);
std::string_view sign_type_name(SignType type);

struct ForkInfo {
  Version previous_version{};
  Version current_version{};
  std::uint64_t epoch = 0;
  Root genesis_validators_root{};
};

// Thrown before the body is decoded further when fork_info.genesis_validators_root differs
// from the network's.
class WrongNetwork : public std::runtime_error {
 public:
  using runtime_error::runtime_error;
};

struct SigningRequest {
  SignType type = SignType::block;
  std::optional<ForkInfo> fork_info;                        // absent for DEPOSIT and VALIDATOR_REGISTRATION
  Root signing_root{};                                      // always recomputed from the structured data
  std::optional<Root> client_signing_root;                  // "signingRoot" or "signing_root" if sent
  std::optional<std::uint64_t> block_slot;                  // BLOCK / BLOCK_V2: slot for slashing protection
  std::optional<std::uint64_t> source_epoch, target_epoch;  // ATTESTATION
};

// Throws cc::json::InputError (400, message names the field/type) or WrongNetwork (403).
// Order: type (unknown type -> InputError "type: unknown signing type 'X'"), then fork_info
// and the genesis validators root check, then the payload.
//
// Fork rules (REFERENCE.md A.2/A.3): the domain's fork version is chosen from fork_info by the
// message epoch; AGGREGATE_AND_PROOF[_V2] picks the phase0 or electra Attestation container
// by network.fork_at_epoch(epoch(aggregate.data.slot)), whatever `version` says; BLOCK_V2
// accepts block_header for any version and a full block only for PHASE0/ALTAIR.
SigningRequest decode_signing_request(const boost::json::value& body, const Network& network);

}  // namespace cc::ssz
