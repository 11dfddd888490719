#pragma once
// AWS KMS over its JSON protocol (TrentService, application/x-amz-json-1.1), on a Transport:
// Encrypt, Decrypt, GenerateDataKey and DescribeKey with symmetric keys. The seal layer wraps
// each Shamir share of the master key under a different KMS key with these, binding an
// encryption context so a wrapped share cannot be replayed in another role.
//
// One Kms talks to one region. A key ARN (arn:aws:kms:<region>:<account>:key/<id>) or alias ARN
// names the region its key lives in, and KMS answers NotFoundException for a key of another
// region, so a caller using keys in several regions keeps one Transport (and one Kms) per
// region, chosen with region_of_arn(). A bare key id or "alias/<name>" means a key of the
// caller's own account in the transport's region; keys of other accounts must be given by ARN.
//
// Errors name the operation, the key and the endpoint, with AWS's message: AccessDenied (and
// rejected credentials or signatures) Error::forbidden, the message naming the principal and the
// missing permission; an unknown key Error::not_found; a disabled key, one pending deletion or
// otherwise unusable Error::unavailable; a ciphertext that does not open (tampered, another
// encryption context, another key than the one asked for) Error::invalid_argument; throttling
// that outlived the transport's retries and anything else Error::unavailable.
//
// Plaintext answers are held in zeroising buffers, and the request and answer bodies that
// carried plaintext are scrubbed. Thread-safe when the transport is (HttpsTransport is).
#include <boost/json.hpp>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "aws/transport.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::aws {

// Name/value pairs KMS binds to a ciphertext as associated data: Decrypt must be given the
// same pairs. Not secret (CloudTrail logs them).
using EncryptionContext = std::map<std::string, std::string>;

// Plaintext that came from KMS: a heap buffer of fixed length, zeroised when destroyed, never
// printed. Move-only. (aws depends only on core, so this is not crypto's SecretBuffer.)
class KmsPlaintext {
 public:
  KmsPlaintext() = default;
  explicit KmsPlaintext(std::span<const std::uint8_t> bytes);
  KmsPlaintext(KmsPlaintext&& other) noexcept;
  KmsPlaintext& operator=(KmsPlaintext&& other) noexcept;
  KmsPlaintext(const KmsPlaintext&) = delete;
  KmsPlaintext& operator=(const KmsPlaintext&) = delete;
  ~KmsPlaintext();

  const std::uint8_t* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  std::span<const std::uint8_t> span() const { return {bytes_.get(), size_}; }

 private:
  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t size_ = 0;
};

struct EncryptResult {
  ByteVector ciphertext;  // the CiphertextBlob, opaque; it names the key that made it
  std::string key_arn;    // the key that encrypted, as an ARN even when given by alias or id
};

struct DecryptResult {
  KmsPlaintext plaintext;
  std::string key_arn;  // the key that decrypted
};

// Decrypt for a Nitro Enclave: KMS checked the attestation document (and the key policy's
// kms:RecipientAttestation conditions) and encrypted the plaintext to the document's public key.
struct RecipientDecryptResult {
  ByteVector ciphertext_for_recipient;  // CMS EnvelopedData (DER); only the enclave's private key opens it
  std::string key_arn;
};

struct DataKey {
  KmsPlaintext plaintext;
  ByteVector ciphertext;  // the same bytes under the KMS key; decrypt() gives them back
  std::string key_arn;
};

struct KeyInfo {
  std::string arn;
  std::string key_id;   // the key's UUID
  std::string account;  // AWSAccountId
  bool enabled = false;
  std::string state;  // KeyState: Enabled, Disabled, PendingDeletion, PendingImport, Unavailable, ...
  std::string usage;  // KeyUsage: ENCRYPT_DECRYPT for keys that can wrap shares
  std::string spec;   // KeySpec: SYMMETRIC_DEFAULT for those
};

class Kms {
 public:
  // KMS accepts 1 to 4096 bytes of plaintext, and 1 to 1024 bytes from GenerateDataKey.
  static constexpr std::size_t kMaxPlaintext = 4096;
  static constexpr std::size_t kMaxDataKey = 1024;

  explicit Kms(Transport& transport);

  std::string describe() const;  // "kms eu-west-1 (https://kms.eu-west-1.amazonaws.com)"

  // Encrypts `plaintext` under `key_id` (key id, key ARN, alias name or alias ARN), bound to
  // `context`. invalid_argument for an empty or too long plaintext, before anything is sent.
  Result<EncryptResult> encrypt(std::string_view key_id, std::span<const std::uint8_t> plaintext,
                                const EncryptionContext& context) const;

  // Decrypts a CiphertextBlob given the same `context` it was made with. With `key_id` (as for
  // encrypt(); recommended) KMS refuses a ciphertext of any other key (invalid_argument),
  // so a blob swapped for one under a key the attacker controls is not decrypted with it.
  Result<DecryptResult> decrypt(std::span<const std::uint8_t> ciphertext, const EncryptionContext& context,
                                std::string_view key_id = {}) const;

  // Decrypt with a Recipient: KMS returns the plaintext encrypted (RSAES_OAEP_SHA_256) to the
  // public key inside `attestation_document` instead of in the clear. What KMS answers in the
  // clear (Plaintext) is refused: a KMS endpoint that ignores the recipient is not trusted.
  Result<RecipientDecryptResult> decrypt_for_recipient(std::span<const std::uint8_t> ciphertext,
                                                       const EncryptionContext& context, std::string_view key_id,
                                                       std::span<const std::uint8_t> attestation_document) const;

  // A fresh random key of `bytes` bytes (32 for AES-256) from KMS, in the clear and wrapped
  // under `key_id` with `context`. invalid_argument for 0 or more than kMaxDataKey bytes.
  Result<DataKey> generate_data_key(std::string_view key_id, std::size_t bytes, const EncryptionContext& context) const;

  // What KMS says of a key: its ARN, state and usage. Works on disabled keys too (enabled is
  // then false), so a start-up check can say why a key is unusable.
  Result<KeyInfo> describe_key(std::string_view key_id) const;

 private:
  // Sends TrentService.<operation>; an error answer becomes an Error naming `key`.
  Result<boost::json::object> call(std::string_view operation, std::string_view key, boost::json::object body) const;

  Transport& transport_;
};

// The region a KMS key ARN or alias ARN names: "eu-west-1" for
// "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-…". Error::invalid_argument, quoting the
// text, for anything else (a bare key id or alias name has no region of its own).
Result<std::string> region_of_arn(std::string_view arn);

}  // namespace cc::aws
