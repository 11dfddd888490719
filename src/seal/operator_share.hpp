#pragma once
// The envelopes of an operator's share of the master key (quorum mode), and the rules around
// them: passphrases, registration tokens, wrong-passphrase lockouts.
//
//   pending     AES-GCM(outer key, share)                              until the operator registers
//   registered  AES-GCM(outer key, AES-GCM(scrypt(passphrase), share)) at rest
//   submitted   AES-GCM(outer key, share), with a deadline             while unsealing (shared by replicas)
//
// The outer key is rebuilt from the KMS shares, so reading a registered share needs KMS *and* the
// passphrase. Each envelope's associated data names its kind, the master and outer key ids, the
// operator and the share index (and the deadline of a submission), so no blob can be replayed as
// another kind, for another operator or another key. Thread-safe (pure functions).
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/secret_buffer.hpp"
#include "seal/seal_document.hpp"

namespace cc::seal {

// What an envelope is bound to.
struct ShareContext {
  std::string master_key_id;
  std::string outer_key_id;
  std::string operator_id;
  std::uint8_t x = 0;
};

ByteVector wrap_pending(const SecretBytes<32>& outer, const ShareContext& c, const SecretBytes<32>& share);
// invalid_argument when the blob does not open (not this outer key, moved, tampered with).
Result<SecretBytes<32>> open_pending(const SecretBytes<32>& outer, const ShareContext& c, const ByteVector& blob);

// `passphrase_key`: 32 bytes from passphrase_key().
ByteVector wrap_registered(const SecretBytes<32>& outer, const ShareContext& c, const SecretBytes<32>& share,
                           const crypto::SecretBuffer& passphrase_key);
// invalid_argument "… does not open under the outer key" when the document is damaged, and
// unauthenticated "wrong passphrase" when only the passphrase layer fails.
Result<SecretBytes<32>> open_registered(const SecretBytes<32>& outer, const ShareContext& c, const ByteVector& blob,
                                        const crypto::SecretBuffer& passphrase_key);

ByteVector wrap_submission(const SecretBytes<32>& outer, const ShareContext& c, std::int64_t expires,
                           const SecretBytes<32>& share);
Result<SecretBytes<32>> open_submission(const SecretBytes<32>& outer, const ShareContext& c, std::int64_t expires,
                                        const ByteVector& blob);

// The passphrase as used: Unicode NFKD without control characters (as EIP-2335 passwords), so
// the same passphrase typed on another system gives the same key. invalid_argument when it is not
// UTF-8 or shorter than `min_chars` characters (the message says so, never what it was).
Result<crypto::SecretBuffer> normalize_passphrase(std::string_view utf8, std::size_t min_chars);

// scrypt(passphrase, salt) with the stored cost; invalid_argument for parameters out of bounds.
Result<crypto::SecretBuffer> passphrase_key(const crypto::SecretBuffer& passphrase, const PassphraseKdf& kdf);

// A new one-time registration token ("cc-reg-" + 64 hex) and its hash as stored.
std::string new_registration_token();
Bytes<32> registration_token_hash(std::string_view token);

// Seconds of lockout after `failures` wrong passphrases in a row: none for the first two, then
// 30 s from the kFreeAttempts-th on, doubling per further failure, at most an hour.
constexpr std::uint32_t kFreeAttempts = 3;
std::int64_t lockout_seconds(std::uint32_t failures);

}  // namespace cc::seal
