#pragma once
// Which AWS region to talk to, and the public endpoint of a service there.
#include <string>
#include <string_view>

#include "aws/environment.hpp"
#include "core/result.hpp"

namespace cc::aws {

// `configured` (the config file's value) when not empty, else AWS_REGION, else
// AWS_DEFAULT_REGION. Error::invalid naming all three when none is set, or naming the source of
// a value that is not a region name (lowercase letters, digits and '-').
Result<std::string> resolve_region(std::string_view configured, const EnvLookup& env = process_environment());

// "https://<service>.<region>.amazonaws.com", or ".amazonaws.com.cn" for the China regions.
std::string default_endpoint(std::string_view service, std::string_view region);

}  // namespace cc::aws
