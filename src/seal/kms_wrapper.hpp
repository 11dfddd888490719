#pragma once
// KmsShareWrapper: a master-key share wrapped by one AWS KMS key (Encrypt/Decrypt with an
// encryption context naming the chamber's master key and the share), and the factory the
// Chamber uses: one transport per KMS region, taken from each key's ARN (or one endpoint for
// all, aws.endpoints.kms, for tests and egress proxies).
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "aws/kms.hpp"
#include "seal/chamber.hpp"

namespace cc::seal {

class KmsShareWrapper final : public ShareWrapper {
 public:
  KmsShareWrapper(std::shared_ptr<aws::Transport> transport, std::string key_arn);
  std::string key_id() const override { return arn_; }
  Result<ByteVector> wrap(const SecretBytes<32>& share, const std::string& context) override;
  Result<SecretBytes<32>> unwrap(const ByteVector& blob, const std::string& context) override;

 private:
  std::shared_ptr<aws::Transport> transport_;
  aws::Kms kms_;
  std::string arn_;
};

// Makes the transport of one region (HttpsTransport with the credential chain in production).
using KmsTransportFactory = std::function<Result<std::shared_ptr<aws::Transport>>(const std::string& region)>;

// A WrapperFactory that keeps one transport per region.
WrapperFactory kms_wrapper_factory(KmsTransportFactory transports);

}  // namespace cc::seal
