#pragma once
// Chamber: the master key K of the DynamoDB key source. K (256 bits, random at init) never
// persists in plaintext; the seal document (seal_document.hpp, in the signer state shared by
// every replica) holds what rebuilds it, and the chamber state every replica follows.
//
// KMS-only mode. K is split into N Shamir shares (any M rebuild it, crypto/shamir.hpp), each
// wrapped by a different KMS key. A replica rebuilds K by itself on start (unless an operator
// sealed the chamber) and on `unseal`. IAM and KMS policy are the boundary.
//
// Operator-quorum mode. K is split M-of-N into operator shares, and an outer key O (random, per
// chamber) is split over the KMS keys exactly as K is in KMS-only mode. Each operator share is
// stored under O until its operator registers with a one-time registration token (only its
// SHA-256 is stored; it is spent by the same version-checked write that registers, so it is
// single-use across replicas); registering re-encrypts the share under a scrypt key of the
// operator's passphrase, then under O (operator_share.hpp). Once all N registered the chamber is
// sealed: nothing holds K, and rebuilding it needs KMS (for O) and M passphrases.
//   Unsealing: a replica rebuilds O from KMS (on start, at a refresh, or on `unseal`) and waits
// in kms_unsealed. Each `unseal` with a passphrase opens one operator's share (the named
// operator's, or each registered operator's in turn) and adds it to the document's submissions,
// re-encrypted under O with a deadline (signer_state.unseal_timeout_minutes, default 30). A
// replica in kms_unsealed that finds M live submissions rebuilds K, checks the commitment and is
// unsealed; so every replica reaches unsealed from one ceremony, at its next refresh.
//   Trade-off of the shared submissions: until their deadline they are protected by O alone, i.e.
// by KMS; whoever can read the signer state and use enough KMS keys in that window could rebuild
// K without the passphrases. Keep the timeout short; `seal` discards them at once. The
// alternative (each replica needing its own M passphrases) makes restarts of a fleet a ceremony
// per replica.
//   Wrong passphrases never unseal (AES-GCM under the passphrase key fails) and are rate-limited
// across replicas: every attempt is charged to the operator (or, when no operator is named, to
// one chamber-wide counter) in the document before scrypt runs, and a success clears it; from
// the third failure in a row the operator is locked out 30 s, doubling up to an hour
// (submit_passphrase() then says until when).
//
// Rotations (while unsealed; K never changes, so stored validator keys stay valid):
//   kms      re-split the KMS-wrapped secret (K or O) over a new KMS key list / threshold, at once
//   quorum   a fresh M'-of-N' split of K for a new operator set: awaiting_rotation (signing goes on,
//            the old operators still unseal) until every new operator registered
//   unseal   the same operators and threshold register new passphrases (fresh shares of K, so an
//            old share and passphrase are worthless afterwards): awaiting_rotation until done
//   mode     KMS-only → quorum: a new O over the same KMS keys and N operators registering
//            (awaiting_rotation); quorum → KMS-only: K split over the KMS keys, at once
// A seal cancels a rotation in progress, and so does cancel_rotation().
//
// Every transition is recorded in the document (transitions) and counted here (counters()).
// Secrets (K, O, shares, passphrase keys) live in zeroising types; `seal` drops K and O at once
// on this replica, and every other replica drops them at its next refresh (a replica that missed
// a seal notices it by the document's epoch).
// Thread-safe. Ceremonies run one at a time per Chamber; scrypt runs outside the lock that
// master_key() takes, so signing is never held up by a passphrase.
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/sealed_key.hpp"
#include "seal/seal_document.hpp"
#include "seal/state_machine.hpp"
#include "state/document_store.hpp"

namespace cc::seal {

class ShareWrapper {
 public:
  virtual ~ShareWrapper() = default;
  virtual std::string key_id() const = 0;  // the KMS key ARN
  // Encrypts a 32-byte share bound to `context` (it must be given again to unwrap).
  virtual Result<ByteVector> wrap(const SecretBytes<32>& share, const std::string& context) = 0;
  virtual Result<SecretBytes<32>> unwrap(const ByteVector& blob, const std::string& context) = 0;
};

// Makes the wrapper of one KMS key ARN (its region is in the ARN).
using WrapperFactory = std::function<Result<std::unique_ptr<ShareWrapper>>(const std::string& key_arn)>;

struct ChamberOptions {
  // How long a submitted operator share stays usable by the replicas (signer_state.unseal_timeout_minutes).
  std::chrono::minutes unseal_timeout{30};
  // scrypt cost for new passphrase registrations (2^17 · 8 · 128 B = 128 MiB, about half a second).
  std::uint64_t scrypt_n = std::uint64_t{1} << 17;
  std::uint32_t scrypt_r = 8;
  std::uint32_t scrypt_p = 1;
  std::size_t min_passphrase_chars = 12;
  // Unix seconds; tests move time.
  std::function<std::int64_t()> now;
};

// One per operator, returned once by init_quorum() and the rotations: hand each to its operator.
struct RegistrationToken {
  std::string operator_id;
  std::string token;  // cc-reg-…
};

struct QuorumSpec {
  unsigned operators = 0;          // N (or names.size())
  unsigned threshold = 0;          // M
  std::vector<std::string> names;  // optional operator ids; default op-1 … op-N
};

struct Registered {
  std::string operator_id;
  unsigned registered = 0;  // of `operators`, in the set this operator belongs to
  unsigned operators = 0;
  State state = State::uninitialized;
};

struct UnsealProgress {
  State state = State::uninitialized;  // this replica's
  unsigned submitted = 0;              // live operator shares (quorum mode)
  unsigned threshold = 0;              // operator shares needed (quorum mode)
  std::string operator_id;             // whose share a passphrase opened
};

struct OperatorStatus {
  std::string id;
  bool registered = false;
  bool submitted = false;
  std::uint32_t failures = 0;
  std::int64_t locked_until = 0;
};

// What status endpoints show: no secrets.
struct ChamberStatus {
  State state = State::uninitialized;         // this replica's
  State shared_state = State::uninitialized;  // the document's
  std::optional<Mode> mode;
  std::string master_key_id;
  std::vector<std::string> kms_keys;
  unsigned kms_threshold = 0;
  unsigned unseal_threshold = 0;  // quorum mode
  std::vector<OperatorStatus> operators;
  unsigned submitted = 0;
  std::string rotation;  // "" or the type in progress
  std::vector<OperatorStatus> rotation_operators;
  unsigned rotation_threshold = 0;
  std::vector<Transition> transitions;  // the last few
};

// Transitions this replica performed, for the metrics layer.
struct ChamberCounters {
  std::uint64_t init = 0;
  std::uint64_t seal = 0;
  std::uint64_t unseal = 0;                              // reaching unsealed from not holding K
  std::map<std::string, std::uint64_t> unseal_shares;    // operator id → accepted passphrases
  std::map<std::string, std::uint64_t> rotations;        // kms | quorum | unseal | mode
};

class Chamber {
 public:
  Chamber(state::DocumentStore& store, WrapperFactory wrappers, ChamberOptions options = {});

  // Reads the seal document and follows it (refresh()): a KMS-only chamber that no operator sealed
  // is rebuilt; a quorum chamber rebuilds O and waits in kms_unsealed. Errors: the document cannot
  // be read, or KMS cannot give enough shares (the message names each KMS key's error).
  Status open();

  // uninitialized → unsealed: new master key, split over `key_arns` with `threshold`.
  // conflict unless uninitialized (on any replica: the document is written with a version check).
  Status init_kms_only(const std::vector<std::string>& key_arns, unsigned threshold);
  // uninitialized → awaiting_registration (quorum mode). One registration token per operator.
  Result<std::vector<RegistrationToken>> init_quorum(const std::vector<std::string>& key_arns, unsigned kms_threshold,
                                                     const QuorumSpec& quorum);
  // Registers the operator of `token` (awaiting_registration, or awaiting_rotation for the new set).
  // unauthenticated when the token is unknown or spent; invalid_argument for a short passphrase.
  // The last registration seals the chamber (init) or completes the rotation.
  Result<Registered> register_operator(std::string_view token, std::string_view passphrase);

  // Drops the master key here and marks the chamber sealed for every replica (discarding
  // submissions and a rotation in progress).
  Status seal();
  // KMS-only: sealed → unsealed with KMS. Quorum: rebuilds O (sealed → kms_unsealed for every
  // replica); the operators' passphrases are still needed.
  Result<UnsealProgress> unseal();
  // Quorum: one operator's passphrase (its share is tried, or every registered operator's without
  // `operator_id`). Reaching the threshold unseals. unauthenticated for a wrong passphrase;
  // unavailable with `retry_after` set while the operator (or the unnamed counter) is locked out.
  Result<UnsealProgress> submit_passphrase(std::string_view passphrase, const std::string& operator_id,
                                           std::chrono::seconds* retry_after = nullptr);

  // Rotations: only while unsealed on this replica and in the document (conflict otherwise).
  Status rotate_kms(const std::vector<std::string>& key_arns, unsigned threshold);
  Result<std::vector<RegistrationToken>> rotate_quorum(const QuorumSpec& quorum);
  Result<std::vector<RegistrationToken>> rotate_unseal();
  // To quorum: `quorum` gives the operators (tokens returned). To KMS-only: no tokens.
  Result<std::vector<RegistrationToken>> rotate_mode(Mode target, const QuorumSpec& quorum);
  // awaiting_rotation → unsealed, the rotation's tokens void.
  Status cancel_rotation();

  // Re-reads the seal document: a seal by another replica drops the key here; in quorum mode,
  // live submissions unseal a replica waiting in kms_unsealed.
  Status refresh();

  State state() const;
  ChamberStatus status() const;
  ChamberCounters counters() const;
  // The master key while signing is allowed, else null.
  std::shared_ptr<const crypto::MasterKey> master_key() const;
  // Whether this replica holds the outer key (tests of zeroisation).
  bool holds_outer_key() const;

 private:
  std::int64_t now() const;
  Status refresh_locked();
  Result<SealDocument> read_locked();
  // Version-checked read-modify-write of the document; `change` may refuse. Adopts the result.
  Result<SealDocument> write_locked(const std::function<Status(SealDocument&)>& change);
  void adopt_locked(const SealDocument& d);
  Result<SecretBytes<32>> rebuild_kms_secret(const KmsLayer& layer);
  Result<KmsLayer> wrap_kms_secret(const SecretBytes<32>& secret, KmsLayer::Secret kind, const std::string& secret_id,
                                   const std::vector<std::string>& key_arns, unsigned threshold);
  // O of the current document, rebuilt from KMS when not held.
  Status ensure_outer_locked(const SealDocument& d);
  // kms_unsealed → unsealed when the document holds enough live submissions.
  Status combine_submissions_locked(const SealDocument& d);
  Result<Quorum> new_quorum(const SecretBytes<32>& master, const SecretBytes<32>& outer, const std::string& outer_id,
                            const std::string& master_id, const QuorumSpec& spec,
                            std::vector<RegistrationToken>& tokens);
  Status require_unsealed_locked(const SealDocument& d, const char* what) const;
  Result<std::vector<RegistrationToken>> rotate_operators_locked(const SealDocument& d, const std::string& type,
                                                                 const QuorumSpec& spec);
  void hold_key_locked(const std::string& id, const SecretBytes<32>& secret, std::uint64_t epoch);

  state::DocumentStore& store_;
  WrapperFactory wrappers_;
  ChamberOptions options_;
  std::mutex ceremony_mu_;  // one ceremony at a time (taken before mu_)
  mutable std::mutex mu_;
  State state_ = State::uninitialized;
  std::shared_ptr<const crypto::MasterKey> key_;
  std::uint64_t key_epoch_ = 0;
  std::optional<SecretBytes<32>> outer_;
  std::string outer_id_;
  std::optional<SealDocument> last_;  // the last document read or written (for status)
  ChamberCounters counters_;
};

}  // namespace cc::seal
