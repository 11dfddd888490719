#include "app/aws_factory.hpp"

#include "aws/credentials.hpp"
#include "aws/https_transport.hpp"
#include "aws/region.hpp"

namespace cc::app {

Result<std::shared_ptr<aws::Transport>> dynamodb_transport(const Config& config) {
  auto region = aws::resolve_region(config.aws.region);
  if (!region) return Error::invalid("aws.region: " + region.error().message);
  // The process environment, with aws.endpoints.sts in the variable the STS client reads.
  const auto process = aws::process_environment();
  const std::string sts = config.aws.sts_endpoint;
  aws::EnvLookup env = [process, sts](std::string_view name) -> std::optional<std::string> {
    if (name == "AWS_ENDPOINT_URL_STS" && !sts.empty()) return sts;
    return process(name);
  };
  aws::HttpsTransportOptions options;
  options.service = "dynamodb";
  options.region = *region;
  options.endpoint = config.aws.dynamodb_endpoint;
  options.credentials = aws::default_credential_chain(*region, env);
  auto transport = aws::HttpsTransport::create(std::move(options));
  if (!transport) return Error::invalid("aws.endpoints.dynamodb: " + transport.error().message);
  return std::shared_ptr<aws::Transport>(std::move(*transport));
}

}  // namespace cc::app
