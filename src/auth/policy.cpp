#include "auth/policy.hpp"

#include <algorithm>
#include <array>

namespace cc::auth {

namespace {

constexpr std::array<std::pair<Scope, std::string_view>, 15> kScopes = {{
    {Scope::sign, "sign"},
    {Scope::public_keys, "public_keys"},
    {Scope::list_keys, "list_keys"},
    {Scope::import_keystores, "import_keystores"},
    {Scope::delete_keys, "delete_keys"},
    {Scope::chamber_status, "chamber_status"},
    {Scope::chamber_seal, "chamber_seal"},
    {Scope::chamber_rotate, "chamber_rotate"},
    {Scope::chamber_keys_list, "chamber_keys_list"},
    {Scope::chamber_keys_generate, "chamber_keys_generate"},
    {Scope::chamber_keys_import, "chamber_keys_import"},
    {Scope::chamber_keys_patch, "chamber_keys_patch"},
    {Scope::chamber_keys_delete, "chamber_keys_delete"},
    {Scope::reload_keys, "reload_keys"},
    {Scope::auth_admin, "auth_admin"},
}};

template <class T, class V>
bool contains(const std::vector<T>& list, const V& value) {
  return std::find(list.begin(), list.end(), value) != list.end();
}

// For allow rules a dimension the request lacks is unconstrained; deny rules need it present.
bool dimension_matches(const std::vector<std::string>& filter, const std::string& value, bool allow) {
  if (filter.empty()) return true;
  if (value.empty()) return allow;
  return contains(filter, value);
}

bool matches(const Rule& rule, const Access& access) {
  if (!rule.scopes.empty() && !contains(rule.scopes, access.scope)) return false;
  return dimension_matches(rule.keys, access.key, rule.allow) &&
         dimension_matches(rule.operations, access.operation, rule.allow);
}

}  // namespace

std::optional<Scope> parse_scope(std::string_view name) {
  for (const auto& [scope, text] : kScopes) {
    if (text == name) return scope;
  }
  return std::nullopt;
}

std::string_view scope_name(Scope scope) {
  for (const auto& [s, text] : kScopes) {
    if (s == scope) return text;
  }
  return "unknown";
}

std::string scope_list() {
  std::string out;
  for (const auto& [s, text] : kScopes) out += (out.empty() ? "" : ", ") + std::string(text);
  return out;
}

Verdict evaluate(const Policy& policy, const Access& access) {
  bool allowed = false;
  for (const auto& rule : policy.rules) {
    if (!matches(rule, access)) continue;
    if (!rule.allow) return Verdict::denied;
    allowed = true;
  }
  return allowed ? Verdict::allowed : Verdict::no_allow_rule;
}

bool allows_scope_somewhere(const Policy& policy, Scope scope) {
  return std::any_of(policy.rules.begin(), policy.rules.end(), [scope](const Rule& r) {
    return r.allow && (r.scopes.empty() || contains(r.scopes, scope));
  });
}

}  // namespace cc::auth
