#include "app/enclave_recipient.hpp"

namespace cc::app {

Result<std::shared_ptr<NsmKmsRecipient>> NsmKmsRecipient::create(std::shared_ptr<tee::NsmClient> nsm) {
  auto key = tee::RecipientKey::generate();
  if (!key) return key.error();
  return std::shared_ptr<NsmKmsRecipient>(new NsmKmsRecipient(std::move(nsm), std::move(*key)));
}

Result<ByteVector> NsmKmsRecipient::attestation_document() {
  tee::AttestationRequest request;
  request.public_key = key_.public_key_der();
  return nsm_->attestation(request);
}

Result<ByteVector> NsmKmsRecipient::open(const ByteVector& ciphertext_for_recipient) {
  return key_.open(ciphertext_for_recipient);
}

}  // namespace cc::app
