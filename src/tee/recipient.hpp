#pragma once
// The enclave's side of KMS Decrypt with a Recipient: an ephemeral RSA-2048 key whose public half
// goes into an attestation document (its public_key field); KMS encrypts the plaintext to it and
// answers CiphertextForRecipient, a CMS EnvelopedData (RFC 5652: the content key wrapped with
// RSAES-OAEP-SHA-256, the content under AES-256-CBC), which only this key opens. The key lives in
// this object's memory only and is made anew for every start.
#include <memory>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::tee {

class RecipientKey {
 public:
  static Result<RecipientKey> generate();
  RecipientKey(RecipientKey&&) noexcept;
  RecipientKey& operator=(RecipientKey&&) noexcept;
  ~RecipientKey();

  // DER SubjectPublicKeyInfo, as the attestation document's public_key carries it.
  const ByteVector& public_key_der() const { return spki_; }

  // Opens a CiphertextForRecipient. The caller owns (and should wipe) the plaintext. invalid for
  // anything that is not an EnvelopedData for this key.
  Result<ByteVector> open(const ByteVector& enveloped_der) const;

 private:
  struct Key;
  explicit RecipientKey(std::unique_ptr<Key> key, ByteVector spki);
  std::unique_ptr<Key> key_;
  ByteVector spki_;
};

}  // namespace cc::tee
