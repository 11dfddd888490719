#pragma once
// The seal document ("seal" in the signer state): everything every replica needs to follow the
// chamber, none of it usable without KMS (and, in quorum mode, the operators' passphrases).
//
//   state, mode, master_key_id, commitment   the chamber state shared by all replicas; the
//                                            commitment (crypto/shamir.hpp) checks a rebuilt master key
//   epoch                                    +1 at every seal: a replica holding a master key from an
//                                            older epoch missed a seal and drops it
//   kms                                      Shamir shares, one per KMS key, of the master key
//                                            (KMS-only) or of the outer key (quorum)
//   quorum                                   the operators: per operator its share of the master key,
//                                            under the outer key (pending: waiting for its registration
//                                            token) or under the outer key over a passphrase-derived key
//                                            (registered), and its wrong-passphrase lockout
//   submissions                              operators' shares submitted to unseal, under the outer key,
//                                            until their deadline (so every replica can use them)
//   rotation                                 a rotation in progress (new operators registering)
//   transitions                              the last transitions, for operators and audits
//
// Format 2 is written; format 1 (KMS-only, before the quorum mode) is read. Parsing throws
// json::InputError naming the field; the Chamber turns it into a refusal and fails closed.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "seal/state_machine.hpp"

namespace cc::seal {

enum class Mode { kms_only, quorum };
std::string_view mode_name(Mode m);  // "kms_only", "quorum"
std::optional<Mode> parse_mode(std::string_view name);

struct WrappedShare {
  std::uint8_t x = 0;
  std::string kms_key;
  ByteVector blob;
};

// The secret the KMS keys rebuild: the master key (KMS-only) or the outer key (quorum).
struct KmsLayer {
  enum class Secret { master, outer };
  Secret secret = Secret::master;
  std::string secret_id;  // the master key's id, or the outer key's ("o-…")
  unsigned threshold = 0;
  Bytes<32> commitment{};
  std::vector<WrappedShare> shares;
};

struct Lockout {
  std::uint32_t failures = 0;
  std::int64_t locked_until = 0;  // unix seconds; 0: not locked
};

struct PassphraseKdf {  // scrypt
  std::uint64_t n = 0;
  std::uint32_t r = 0;
  std::uint32_t p = 0;
  ByteVector salt;
};

struct OperatorSlot {
  std::string id;  // "op-1", or a name given at init
  std::uint8_t x = 0;
  bool registered = false;
  Bytes<32> token_hash{};  // SHA-256 of the registration token, while not registered
  ByteVector share;        // see the header comment
  PassphraseKdf kdf;       // registered only
  Lockout lockout;
};

struct Quorum {
  unsigned threshold = 0;
  std::vector<OperatorSlot> operators;
};

struct Submission {
  std::string operator_id;
  std::uint8_t x = 0;
  ByteVector blob;
  std::int64_t expires = 0;  // unix seconds
};

struct Rotation {
  std::string type;  // "quorum" | "unseal" | "mode"
  std::int64_t started = 0;
  std::optional<KmsLayer> kms;  // mode KMS-only → quorum: the new outer key's KMS layer
  Quorum quorum;                // the operators registering
};

struct Transition {
  std::int64_t at = 0;
  std::string event;
  std::string state;  // after it
};

struct SealDocument {
  State state = State::uninitialized;
  Mode mode = Mode::kms_only;
  std::string master_key_id;
  Bytes<32> commitment{};
  std::uint64_t epoch = 0;
  KmsLayer kms;
  std::optional<Quorum> quorum;
  std::vector<Submission> submissions;
  Lockout unnamed_lockout;  // unseal attempts that name no operator
  std::optional<Rotation> rotation;
  std::vector<Transition> transitions;

  // Appends a transition (the new state is the current one), keeping the last 64.
  void record(std::int64_t at, std::string event);
};

SealDocument parse_seal_document(std::string_view text);  // throws json::InputError
std::string serialize_seal_document(const SealDocument& d);

}  // namespace cc::seal
