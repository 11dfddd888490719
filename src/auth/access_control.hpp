#pragma once
// AccessControl answers "who is this request?" from its Authorization header, over both token
// sources: tokens configured with policies (Authenticator) and runtime tokens in the signer
// state (TokenService, optional). The signer enforces authentication as soon as either holds
// anything; until then it is open, as Web3Signer is (migrations), except for the Auth API,
// which always needs a management token.
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/authenticator.hpp"
#include "auth/token_service.hpp"

namespace cc::auth {

class AccessControl {
 public:
  // `runtime` may be null (no signer state); both must outlive this.
  AccessControl(const Authenticator& configured, TokenService* runtime);

  // Whether requests need credentials (a configured policy, an unauthenticated_policy, or any
  // runtime token).
  bool enforcing() const;

  // The principal of a request with this Authorization header (empty: none). nullopt when the
  // signer is open and `require_token` is false. Errors: unauthenticated (no, malformed,
  // unknown or expired token), unavailable (the signer state cannot be read, so a runtime token
  // cannot be checked). A request without credentials gets the unauthenticated_policy when one
  // is configured, unless `require_token`.
  Result<std::optional<Principal>> identify(std::string_view authorization, bool require_token = false) const;

  // Whether `principal` may use `access`. The Auth API (scope auth_admin) is for management
  // tokens and configured policies that name auth_admin; never for client tokens or
  // unauthenticated requests, whatever their rules say.
  static Verdict evaluate(const Principal& principal, const Access& access);

  TokenService* runtime() const { return runtime_; }

 private:
  const Authenticator& configured_;
  TokenService* runtime_;
};

}  // namespace cc::auth
