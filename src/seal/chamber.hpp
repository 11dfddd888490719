#pragma once
// Chamber: the master key of the DynamoDB key source, in KMS-only mode. At init a random 256-bit
// master key is split into N Shamir shares (any M rebuild it, crypto/shamir.hpp), each share is
// wrapped by a different KMS key, and the wrapped shares, the commitment and the chamber state
// go to the signer state (document "seal"), shared by every replica. On start, and on `unseal`,
// a replica unwraps shares until it has M, rebuilds the key and checks it against the
// commitment; the key lives only in this process's memory. `seal` drops it here at once and marks
// the chamber sealed for every replica, which drop theirs at their next refresh.
//
// KMS is reached through ShareWrapper (one per KMS key, seal/kms_wrapper.hpp in production), so a
// KMS key that is unavailable costs one share, not the unseal, while M remain.
// Thread-safe.
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/sealed_key.hpp"
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

class Chamber {
 public:
  Chamber(state::DocumentStore& store, WrapperFactory wrappers);

  // Reads the seal document; when the chamber is initialized and not sealed by an operator,
  // rebuilds the master key (KMS-only restart). Errors: the document cannot be read, or the
  // key cannot be rebuilt (fewer than M shares unwrap: the message names each KMS key's error).
  Status open();

  // uninitialized → unsealed: new master key, split over `key_arns` with `threshold`.
  // conflict unless uninitialized (on any replica: the document is written with a version check).
  Status init_kms_only(const std::vector<std::string>& key_arns, unsigned threshold);

  // Drops the master key here and marks the chamber sealed for every replica.
  Status seal();
  // sealed → unsealed with KMS (KMS-only mode).
  Status unseal();

  // Re-reads the seal document: a seal by another replica drops the key here.
  Status refresh();

  State state() const;
  // The master key while signing is allowed, else null.
  std::shared_ptr<const crypto::MasterKey> master_key() const;

 private:
  Status rebuild_locked(const std::string& document);

  state::DocumentStore& store_;
  WrapperFactory wrappers_;
  mutable std::mutex mu_;
  State state_ = State::uninitialized;
  std::shared_ptr<const crypto::MasterKey> key_;
};

}  // namespace cc::seal
