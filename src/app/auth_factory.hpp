#pragma once
// Builds the request authenticator from the auth section: resolves env:VAR tokens, checks token
// format, scope names, key hex and operation names. Errors name the policy and the field.
#include <string_view>

#include "auth/authenticator.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace cc::app {

Result<auth::Authenticator> build_authenticator(const AuthConfig& config);

// Whether `op` names a signing type ("ATTESTATION"): what policy rules may name as operations.
bool known_operation(std::string_view op);

}  // namespace cc::app
