#include "seal/kms_wrapper.hpp"

#include <openssl/crypto.h>

namespace cc::seal {

namespace {
aws::EncryptionContext context_of(const std::string& context) {
  return {{"purpose", "containment-chamber master key share"}, {"share", context}};
}
}  // namespace

KmsShareWrapper::KmsShareWrapper(std::shared_ptr<aws::Transport> transport, std::string key_arn,
                                 std::shared_ptr<KmsRecipient> recipient)
    : transport_(std::move(transport)), kms_(*transport_), arn_(std::move(key_arn)), recipient_(std::move(recipient)) {}

Result<ByteVector> KmsShareWrapper::wrap(const SecretBytes<32>& share, const std::string& context) {
  auto r = kms_.encrypt(arn_, std::span<const std::uint8_t>(share.data(), 32), context_of(context));
  if (!r) return r.error();
  return std::move(r->ciphertext);
}

Result<SecretBytes<32>> KmsShareWrapper::unwrap(const ByteVector& blob, const std::string& context) {
  // With the key named, KMS refuses a blob of any other key: a swapped share is not opened.
  auto to_share = [this](const std::uint8_t* data, std::size_t size) -> Result<SecretBytes<32>> {
    if (size != 32) {
      return Error::invalid("KMS key " + arn_ + " returned " + std::to_string(size) + " bytes for a 32-byte share");
    }
    SecretBytes<32> out;
    std::copy(data, data + 32, out.data());
    return out;
  };
  if (!recipient_) {
    auto r = kms_.decrypt(blob, context_of(context), arn_);
    if (!r) return r.error();
    return to_share(r->plaintext.data(), r->plaintext.size());
  }
  auto document = recipient_->attestation_document();
  if (!document) return Error::unavailable("KMS key " + arn_ + ": no attestation document: " + document.error().message);
  auto r = kms_.decrypt_for_recipient(blob, context_of(context), arn_, *document);
  if (!r) return r.error();
  auto plaintext = recipient_->open(r->ciphertext_for_recipient);
  if (!plaintext) {
    return Error::unavailable("KMS key " + arn_ + ": the share sent for this enclave does not open: " +
                              plaintext.error().message);
  }
  auto share = to_share(plaintext->data(), plaintext->size());
  OPENSSL_cleanse(plaintext->data(), plaintext->size());
  return share;
}

WrapperFactory kms_wrapper_factory(KmsTransportFactory transports, std::shared_ptr<KmsRecipient> recipient) {
  struct Cache {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<aws::Transport>> by_region;
  };
  auto cache = std::make_shared<Cache>();
  return [cache, transports = std::move(transports),
          recipient = std::move(recipient)](const std::string& arn) -> Result<std::unique_ptr<ShareWrapper>> {
    auto region = aws::region_of_arn(arn);
    if (!region) return region.error();
    std::shared_ptr<aws::Transport> transport;
    {
      std::lock_guard lock(cache->mu);
      auto& slot = cache->by_region[*region];
      if (!slot) {
        auto made = transports(*region);
        if (!made) return made.error();
        slot = std::move(*made);
      }
      transport = slot;
    }
    return std::unique_ptr<ShareWrapper>(std::make_unique<KmsShareWrapper>(std::move(transport), arn, recipient));
  };
}

}  // namespace cc::seal
