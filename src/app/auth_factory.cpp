#include "app/auth_factory.hpp"

#include <algorithm>
#include <cstdlib>

#include "auth/policy_json.hpp"
#include "ssz/signing_request.hpp"

namespace cc::app {

bool known_operation(std::string_view op) { return ssz::parse_sign_type(op).has_value(); }

namespace {

Result<std::vector<auth::Rule>> build_rules(const std::vector<AuthRuleConfig>& rules, const std::string& where) {
  std::vector<auth::Rule> out;
  for (std::size_t i = 0; i < rules.size(); ++i) {
    auto r = auth::make_rule(rules[i], where + ".rules[" + std::to_string(i) + "]", known_operation);
    if (!r) return r.error();
    out.push_back(std::move(r).value());
  }
  return out;
}

}  // namespace

Result<auth::Authenticator> build_authenticator(const AuthConfig& config) {
  std::vector<auth::TokenPolicy> policies;
  for (const auto& pc : config.policies) {
    const std::string where = "auth policy '" + pc.name + "'";
    if (std::count_if(config.policies.begin(), config.policies.end(),
                      [&](const AuthPolicyConfig& o) { return o.name == pc.name; }) > 1) {
      return Error::invalid(where + ": the name is used twice");
    }
    std::string token = pc.token;
    if (token.rfind("env:", 0) == 0) {
      const char* v = std::getenv(token.substr(4).c_str());
      if (v == nullptr || *v == '\0') {
        return Error::invalid(where + ": token environment variable " + token.substr(4) + " is not set");
      }
      token = v;
    }
    if (auto ok = auth::check_static_token(token); !ok) return Error::invalid(where + ": " + ok.error().message);
    auto rules = build_rules(pc.rules, where);
    if (!rules) return rules.error();
    for (const auto& other : policies) {
      if (other.token == token) return Error::invalid(where + ": its token is the same as policy '" + other.policy.name + "'");
    }
    policies.push_back({{pc.name, std::move(rules).value()}, std::move(token)});
  }
  std::optional<auth::Policy> unauthenticated;
  if (config.has_unauthenticated_policy) {
    auto rules = build_rules(config.unauthenticated_rules, "auth.unauthenticated_policy");
    if (!rules) return rules.error();
    unauthenticated = auth::Policy{"unauthenticated", std::move(rules).value()};
  }
  if (policies.empty() && !unauthenticated) return auth::Authenticator{};
  return auth::Authenticator(std::move(policies), std::move(unauthenticated));
}

}  // namespace cc::app
