#pragma once
// The chamber's seal states and the only transitions between them. Signing (for keys of the
// DynamoDB key source) happens only in `unsealed` and `awaiting_rotation`; every other state
// answers 503. The machine is pure: the seal layer records each transition in the signer state
// (so every replica follows it) and meters it; this file only says what is allowed.
//
//   uninitialized --init (KMS-only)--> unsealed
//   uninitialized --init (quorum)----> awaiting_registration --all operators registered--> sealed
//   sealed --KMS-only reconstruction (restart, unseal)--> unsealed
//   sealed --quorum: KMS shares decrypted--> kms_unsealed --operator threshold reached--> unsealed
//   unsealed | awaiting_rotation | kms_unsealed --seal--> sealed
//   unsealed --rotation begins--> awaiting_rotation --rotation completes--> unsealed
//   awaiting_registration | sealed --reset--> uninitialized
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cc::seal {

enum class State { uninitialized, awaiting_registration, sealed, kms_unsealed, unsealed, awaiting_rotation };

enum class Event {
  init_kms_only,
  init_quorum,
  all_registered,
  kms_reconstructed,   // KMS-only: enough KMS shares decrypted and combined
  kms_decrypted,       // quorum: the KMS layer decrypted, operators' passphrases still needed
  threshold_reached,   // quorum: enough operators' shares submitted
  seal,
  rotation_started,
  rotation_finished,
  reset,
};

std::string_view state_name(State s);  // "awaiting_registration", as the API and metrics say
std::optional<State> parse_state(std::string_view name);
std::string_view event_name(Event e);  // "seal", "init (KMS-only)", ... for messages

// Whether keys of the DynamoDB key source may sign in `s`.
bool signing_allowed(State s);

// The state after `e`, or Error::conflict naming both ("cannot seal: the chamber is
// uninitialized (run operator init first)").
Result<State> transition(State from, Event e);

}  // namespace cc::seal
