#pragma once
// Where the AWS layer reads environment variables from. Components take an EnvLookup instead of
// calling getenv() so tests can give each one its own environment without touching the process's.
#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace cc::aws {

// The value of a variable, or nullopt when it is unset or empty (as the AWS SDKs treat empty).
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

// Reads the process environment.
EnvLookup process_environment();

}  // namespace cc::aws
