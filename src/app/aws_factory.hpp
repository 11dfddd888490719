#pragma once
// The AWS transports the configuration asks for: region from tee.nitro.aws.region or aws.region
// (else AWS_REGION, else AWS_DEFAULT_REGION), the standard credential chain (environment, IRSA, Pod Identity, IMDSv2;
// aws.endpoints.sts overrides the STS endpoint IRSA uses), and aws.endpoints.<service> for
// another endpoint than the regional one.
#include <chrono>
#include <memory>
#include <string>

#include "aws/transport.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace cc::app {

// The region of the DynamoDB tables and of STS: tee.nitro.aws.region or aws.region (an error when
// both are set and differ), else AWS_REGION, else AWS_DEFAULT_REGION; the error names the source.
Result<std::string> aws_region(const Config& config);

// A transport to DynamoDB whose attempts and retries fit within `bound` (a request of the
// signing path must be answered, 503 at worst, within anti_slashing.timeout_ms). Errors name
// what is missing (the region) or malformed (an endpoint).
Result<std::shared_ptr<aws::Transport>> dynamodb_transport(const Config& config,
                                                           std::chrono::milliseconds bound = std::chrono::seconds(20));

// A transport to KMS in `region` (aws.endpoints.kms, when set, serves every region).
Result<std::shared_ptr<aws::Transport>> kms_transport(const Config& config, const std::string& region);

}  // namespace cc::app
