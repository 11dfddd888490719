#pragma once
// KmsShareWrapper: a master-key share wrapped by one AWS KMS key (Encrypt/Decrypt with an
// encryption context naming the chamber's master key and the share), and the factory the
// Chamber uses: one transport per KMS region, taken from each key's ARN (or one endpoint for
// all, aws.endpoints.kms, for tests and egress proxies).
//
// In a Nitro Enclave the shares come back through a KmsRecipient: each Decrypt carries a fresh
// attestation document naming the recipient's public key, KMS checks it against the key policy
// (kms:RecipientAttestation:PCR0/PCR8) and answers with the share encrypted to that key, so the
// share exists in the clear only inside the attested enclave. A KMS-only chamber therefore
// unseals itself after a restart only in an enclave running the image its KMS keys allow: that
// is the attested auto-unseal.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/kms.hpp"
#include "seal/chamber.hpp"

namespace cc::seal {

// Where KMS answers are sent in an enclave. Thread-safe.
class KmsRecipient {
 public:
  virtual ~KmsRecipient() = default;
  // A fresh attestation document whose public_key is the recipient's key.
  virtual Result<ByteVector> attestation_document() = 0;
  // Opens a CiphertextForRecipient; the caller wipes the plaintext.
  virtual Result<ByteVector> open(const ByteVector& ciphertext_for_recipient) = 0;
};

class KmsShareWrapper final : public ShareWrapper {
 public:
  // With a recipient, unwrap() asks KMS to encrypt the share to it and never accepts it in the clear.
  KmsShareWrapper(std::shared_ptr<aws::Transport> transport, std::string key_arn,
                  std::shared_ptr<KmsRecipient> recipient = nullptr);
  std::string key_id() const override { return arn_; }
  Result<ByteVector> wrap(const SecretBytes<32>& share, const std::string& context) override;
  Result<SecretBytes<32>> unwrap(const ByteVector& blob, const std::string& context) override;

 private:
  std::shared_ptr<aws::Transport> transport_;
  aws::Kms kms_;
  std::string arn_;
  std::shared_ptr<KmsRecipient> recipient_;
};

// Makes the transport of one region (HttpsTransport with the credential chain in production).
using KmsTransportFactory = std::function<Result<std::shared_ptr<aws::Transport>>(const std::string& region)>;

// A WrapperFactory that keeps one transport per region; every wrapper it makes uses `recipient`
// when given (Nitro mode).
WrapperFactory kms_wrapper_factory(KmsTransportFactory transports, std::shared_ptr<KmsRecipient> recipient = nullptr);

}  // namespace cc::seal
