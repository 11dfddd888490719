#pragma once
// The enclave's KMS recipient (seal::KmsRecipient): one ephemeral RSA-2048 key per start
// (tee::RecipientKey), and for every KMS Decrypt a fresh NSM attestation document carrying its
// public key, so KMS can check the enclave's PCRs against the key policy before it answers.
#include <memory>

#include "seal/kms_wrapper.hpp"
#include "tee/nsm_client.hpp"
#include "tee/recipient.hpp"

namespace cc::app {

class NsmKmsRecipient final : public seal::KmsRecipient {
 public:
  static Result<std::shared_ptr<NsmKmsRecipient>> create(std::shared_ptr<tee::NsmClient> nsm);
  Result<ByteVector> attestation_document() override;
  Result<ByteVector> open(const ByteVector& ciphertext_for_recipient) override;

 private:
  NsmKmsRecipient(std::shared_ptr<tee::NsmClient> nsm, tee::RecipientKey key)
      : nsm_(std::move(nsm)), key_(std::move(key)) {}
  std::shared_ptr<tee::NsmClient> nsm_;
  tee::RecipientKey key_;
};

}  // namespace cc::app
