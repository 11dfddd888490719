#include "auth/access_control.hpp"

#include <algorithm>

namespace cc::auth {

AccessControl::AccessControl(const Authenticator& configured, TokenService* runtime)
    : configured_(configured), runtime_(runtime) {}

bool AccessControl::enforcing() const { return configured_.enabled() || (runtime_ != nullptr && runtime_->has_tokens()); }

Result<std::optional<Principal>> AccessControl::identify(std::string_view authorization, bool require_token) const {
  if (!require_token && !enforcing()) return std::optional<Principal>{};
  if (authorization.empty()) {
    if (!require_token) {
      if (const auto* open = configured_.unauthenticated()) {
        // The configured policy outlives every request: share it without owning it.
        return std::optional<Principal>(Principal{std::shared_ptr<const Policy>(std::shared_ptr<void>(), open), false,
                                                  "unauthenticated requests"});
      }
    }
    return Error::unauthenticated("authentication required: send Authorization: Bearer <token> (or Basic)");
  }
  auto token = token_from_header(authorization);
  if (!token) {
    return Error::unauthenticated(
        "malformed Authorization header: expected 'Bearer <token>' or 'Basic <base64 of user:token>'");
  }
  if (const auto* policy = configured_.find(*token)) {
    Principal p{std::shared_ptr<const Policy>(std::shared_ptr<void>(), policy), false, "policy '" + policy->name + "'"};
    p.manager = auth::evaluate(*policy, {Scope::auth_admin, "", ""}) == Verdict::allowed &&
                std::any_of(policy->rules.begin(), policy->rules.end(), [](const Rule& r) {
                  return r.allow && std::find(r.scopes.begin(), r.scopes.end(), Scope::auth_admin) != r.scopes.end();
                });
    return std::optional<Principal>(std::move(p));
  }
  if (runtime_ != nullptr) {
    auto found = runtime_->find(*token);
    switch (found.lookup) {
      case Lookup::found:
        return std::optional<Principal>(std::move(found.principal));
      case Lookup::expired:
        return Error::unauthenticated("token expired");
      case Lookup::unavailable:
        return Error::unavailable("the signer state cannot be read, so tokens cannot be checked; try again");
      case Lookup::unknown:
        break;
    }
  }
  return Error::unauthenticated("unknown or revoked token");
}

Verdict AccessControl::evaluate(const Principal& principal, const Access& access) {
  if (access.scope == Scope::auth_admin) return principal.manager ? Verdict::allowed : Verdict::no_allow_rule;
  return auth::evaluate(*principal.policy, access);
}

}  // namespace cc::auth
