#include "aws/region.hpp"

#include <cstdlib>

namespace cc::aws {

namespace {

bool valid_region(std::string_view region) {
  if (region.empty() || region.size() > 64) return false;
  for (char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

Result<std::string> checked(std::string value, std::string_view source) {
  // The region becomes part of a host name and of the SigV4 credential scope.
  if (!valid_region(value)) {
    return Error::invalid(std::string(source) + ": '" + value + "' is not an AWS region name (e.g. eu-west-1)");
  }
  return value;
}

}  // namespace

EnvLookup process_environment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* value = std::getenv(std::string(name).c_str());
    if (value == nullptr || *value == '\0') return std::nullopt;
    return std::string(value);
  };
}

Result<std::string> resolve_region(std::string_view configured, const EnvLookup& env) {
  if (!configured.empty()) return checked(std::string(configured), "configured AWS region");
  if (auto region = env("AWS_REGION")) return checked(std::move(*region), "AWS_REGION");
  if (auto region = env("AWS_DEFAULT_REGION")) return checked(std::move(*region), "AWS_DEFAULT_REGION");
  return Error::invalid(
      "no AWS region: set it in the configuration, or in the environment as AWS_REGION or AWS_DEFAULT_REGION");
}

std::string default_endpoint(std::string_view service, std::string_view region) {
  const std::string suffix = region.starts_with("cn-") ? ".amazonaws.com.cn" : ".amazonaws.com";
  return "https://" + std::string(service) + "." + std::string(region) + suffix;
}

}  // namespace cc::aws
