#include "app/aws_factory.hpp"

#include "aws/credentials.hpp"
#include "aws/https_transport.hpp"
#include "aws/region.hpp"

#include <algorithm>

namespace cc::app {

namespace {

// The standard credential chain, with aws.endpoints.sts in the variable the STS client reads.
std::shared_ptr<aws::CredentialChain> credentials(const Config& config, const std::string& region) {
  const auto process = aws::process_environment();
  const std::string sts = config.aws.sts_endpoint;
  aws::EnvLookup env = [process, sts](std::string_view name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL_STS" && !sts.empty()) return sts;
    return process(name);
  };
  return aws::default_credential_chain(region, env);
}

}  // namespace

Result<std::string> aws_region(const Config& config) {
  const auto& nitro = config.tee.nitro_aws_region;
  const auto& plain = config.aws.region;
  if (!nitro.empty() && !plain.empty() && nitro != plain) {
    return Error::invalid("tee.nitro.aws.region (" + nitro + ") and aws.region (" + plain +
                          ") disagree; set one of them, or both to the same region");
  }
  const std::string& configured = nitro.empty() ? plain : nitro;
  auto region = aws::resolve_region(configured);
  if (!region) return Error::invalid((nitro.empty() ? "aws.region: " : "tee.nitro.aws.region: ") + region.error().message);
  return region;
}

Result<std::shared_ptr<aws::Transport>> kms_transport(const Config& config, const std::string& region) {
  aws::HttpsTransportOptions options;
  options.service = "kms";
  options.region = region;
  options.endpoint = config.aws.kms_endpoint;
  options.credentials = credentials(config, region);
  auto transport = aws::HttpsTransport::create(std::move(options));
  if (!transport) return Error::invalid("aws.endpoints.kms: " + transport.error().message);
  return std::shared_ptr<aws::Transport>(std::move(*transport));
}

Result<std::shared_ptr<aws::Transport>> dynamodb_transport(const Config& config, std::chrono::milliseconds bound) {
  auto region = aws_region(config);
  if (!region) return region.error();
  aws::HttpsTransportOptions options;
  options.service = "dynamodb";
  options.region = *region;
  options.endpoint = config.aws.dynamodb_endpoint;
  options.credentials = credentials(config, *region);
  // Three attempts with short backoff inside the bound: a slow or unreachable endpoint turns into
  // an answer (503) in time instead of a client-side timeout.
  options.max_attempts = 3;
  options.attempt_timeout = std::max(std::chrono::milliseconds(100), bound / 3);
  options.backoff_cap = std::min(options.backoff_cap, std::max(std::chrono::milliseconds(10), bound / 10));
  auto transport = aws::HttpsTransport::create(std::move(options));
  if (!transport) return Error::invalid("aws.endpoints.dynamodb: " + transport.error().message);
  return std::shared_ptr<aws::Transport>(std::move(*transport));
}

}  // namespace cc::app
