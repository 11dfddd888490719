#pragma once
// The AWS transports the configuration asks for: region from aws.region (else AWS_REGION, else
// AWS_DEFAULT_REGION), the standard credential chain (environment, IRSA, Pod Identity, IMDSv2;
// aws.endpoints.sts overrides the STS endpoint IRSA uses), and aws.endpoints.<service> for
// another endpoint than the regional one.
#include <memory>
#include <string>

#include "aws/transport.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace cc::app {

// A transport to DynamoDB. Errors name what is missing (the region) or malformed (an endpoint).
Result<std::shared_ptr<aws::Transport>> dynamodb_transport(const Config& config);

}  // namespace cc::app
