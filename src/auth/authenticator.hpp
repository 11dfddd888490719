#pragma once
// Authenticator turns an Authorization header into the policy of its token. Clients send
// `Authorization: Bearer <token>`, or HTTP Basic with the token as password (the user name is
// ignored: validator clients can often only put credentials in the signer URL). Tokens are kept
// only as HMAC-SHA256 under a random per-process key and compared in constant time; they are
// never logged. With no policy configured the signer is open (Web3Signer compatible).
// Immutable after construction, so thread-safe.
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/policy.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::auth {

// The token inside an Authorization header, or nullopt when there is none or it is malformed.
std::optional<std::string> token_from_header(std::string_view authorization);

// Static tokens: at least 16 characters of [A-Za-z0-9-].
Status check_static_token(std::string_view token);

struct TokenPolicy {
  Policy policy;
  std::string token;  // resolved secret; dropped (zeroised) once hashed
};

class Authenticator {
 public:
  // Open signer: every request is allowed.
  Authenticator() = default;
  Authenticator(std::vector<TokenPolicy> policies, std::optional<Policy> unauthenticated);

  bool enabled() const { return !entries_.empty() || unauthenticated_.has_value(); }
  // The policy of `token`, or nullptr when the token is unknown.
  const Policy* find(std::string_view token) const;
  // The policy applied to requests without credentials, if any.
  const Policy* unauthenticated() const { return unauthenticated_ ? &*unauthenticated_ : nullptr; }

 private:
  Bytes<32> hash(std::string_view token) const;

  Bytes<32> key_{};
  struct Entry {
    Bytes<32> token_hash;
    Policy policy;
  };
  std::vector<Entry> entries_;
  std::optional<Policy> unauthenticated_;
};

}  // namespace cc::auth
