#pragma once
// What an AWS service does with a request's SigV4 Authorization header, for stand-ins in tests:
// parse it, find the secret of the access key id it names, check the session token, the
// credential scope (date, region, service) and the clock skew, then recompute the signature
// from the request as received with the project's signer and compare. A rejection carries the
// error type and message AWS's JSON services answer with (HTTP 400).
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "aws/sigv4.hpp"
#include "stand_in_server.hpp"

namespace cc::aws::test {

struct SigV4Verdict {
  std::string access_key_id;  // whose signature checked out
  std::string error_type;     // empty when accepted, else "InvalidSignatureException", ...
  std::string message;

  bool accepted() const { return error_type.empty(); }
};

// The credentials a service knows for an access key id (secret and the session token requests
// must carry, empty for long-term keys); nullopt for an unknown id.
using CredentialsLookup = std::function<std::optional<Credentials>(std::string_view access_key_id)>;

// AWS refuses signatures dated further than this from its clock.
constexpr auto kMaxSigningSkew = std::chrono::minutes(5);

SigV4Verdict check_sigv4(const StandInRequest& request, std::string_view region, std::string_view service,
                         const CredentialsLookup& lookup,
                         std::chrono::system_clock::time_point now = std::chrono::system_clock::now());

}  // namespace cc::aws::test
