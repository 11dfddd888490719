#include "seal/kms_wrapper.hpp"

namespace cc::seal {

namespace {
aws::EncryptionContext context_of(const std::string& context) {
  return {{"purpose", "containment-chamber master key share"}, {"share", context}};
}
}  // namespace

KmsShareWrapper::KmsShareWrapper(std::shared_ptr<aws::Transport> transport, std::string key_arn)
    : transport_(std::move(transport)), kms_(*transport_), arn_(std::move(key_arn)) {}

Result<ByteVector> KmsShareWrapper::wrap(const SecretBytes<32>& share, const std::string& context) {
  auto r = kms_.encrypt(arn_, std::span<const std::uint8_t>(share.data(), 32), context_of(context));
  if (!r) return r.error();
  return std::move(r->ciphertext);
}

Result<SecretBytes<32>> KmsShareWrapper::unwrap(const ByteVector& blob, const std::string& context) {
  // With the key named, KMS refuses a blob of any other key: a swapped share is not opened.
  auto r = kms_.decrypt(blob, context_of(context), arn_);
  if (!r) return r.error();
  if (r->plaintext.size() != 32) {
    return Error::invalid("KMS key " + arn_ + " returned " + std::to_string(r->plaintext.size()) +
                          " bytes for a 32-byte share");
  }
  SecretBytes<32> out;
  std::copy(r->plaintext.data(), r->plaintext.data() + 32, out.data());
  return out;
}

WrapperFactory kms_wrapper_factory(KmsTransportFactory transports) {
  struct Cache {
    std::mutex mu;
    std::map<std::string, std::shared_ptr<aws::Transport>> by_region;
  };
  auto cache = std::make_shared<Cache>();
  return [cache, transports = std::move(transports)](const std::string& arn) -> Result<std::unique_ptr<ShareWrapper>> {
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
    return std::unique_ptr<ShareWrapper>(std::make_unique<KmsShareWrapper>(std::move(transport), arn));
  };
}

}  // namespace cc::seal
