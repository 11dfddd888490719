#include "auth/policy_json.hpp"

#include "core/bytes.hpp"
#include "core/json.hpp"

namespace cc::auth {

namespace {

std::vector<std::string> string_list(const json::Object& o, std::string_view key) {
  std::vector<std::string> out;
  if (!o.has(key)) return out;
  const auto& list = o.array(key);
  for (std::size_t i = 0; i < list.size(); ++i) {
    out.emplace_back(json::as_string(list[i], json::index_path(o.field(key), i)));
  }
  return out;
}

}  // namespace

Result<Rule> make_rule(const AuthRuleConfig& spec, const std::string& where, const KnownOperation& known) {
  Rule rule;
  if (spec.effect != "allow" && spec.effect != "deny") {
    return Error::invalid(where + ".effect: '" + spec.effect + "' is neither allow nor deny");
  }
  rule.allow = spec.effect == "allow";
  for (std::size_t i = 0; i < spec.scopes.size(); ++i) {
    auto scope = parse_scope(spec.scopes[i]);
    if (!scope) {
      return Error::invalid(where + ".scopes[" + std::to_string(i) + "]: unknown scope '" + spec.scopes[i] +
                            "' (known: " + scope_list() + ")");
    }
    rule.scopes.push_back(*scope);
  }
  for (std::size_t i = 0; i < spec.keys.size(); ++i) {
    auto key = from_hex_fixed<48>(spec.keys[i]);
    if (!key) {
      return Error::invalid(where + ".keys[" + std::to_string(i) + "]: '" + spec.keys[i] + "': " + key.error().message);
    }
    rule.keys.push_back(to_hex(*key));  // canonical lower case
  }
  for (std::size_t i = 0; i < spec.operations.size(); ++i) {
    if (!known(spec.operations[i])) {
      return Error::invalid(where + ".operations[" + std::to_string(i) + "]: unknown operation '" +
                            spec.operations[i] + "' (a signing type such as ATTESTATION or VOLUNTARY_EXIT)");
    }
    rule.operations.push_back(spec.operations[i]);
  }
  return rule;
}

Status check_policy_name(std::string_view name) {
  if (name.empty() || name.size() > 64) return Error::invalid("a policy name has 1 to 64 characters");
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                    c == '-' || c == '.';
    if (!ok) return Error::invalid("policy name '" + std::string(name) + "': only letters, digits, '_', '-' and '.'");
  }
  return {};
}

Result<Policy> policy_from_json(const boost::json::value& v, const KnownOperation& known) {
  try {
    const json::Object o(v, "");
    Policy policy;
    policy.name = std::string(o.string("name"));
    if (auto ok = check_policy_name(policy.name); !ok) return Error::invalid("name: " + ok.error().message);
    const auto& rules = o.array("rules");
    if (rules.empty()) return Error::invalid("rules: a policy needs at least one rule");
    for (std::size_t i = 0; i < rules.size(); ++i) {
      const json::Object r(rules[i], json::index_path("rules", i));
      AuthRuleConfig spec;
      if (r.has("effect")) spec.effect = std::string(r.string("effect"));
      spec.scopes = string_list(r, "scopes");
      spec.keys = string_list(r, "keys");
      spec.operations = string_list(r, "operations");
      auto rule = make_rule(spec, r.path(), known);
      if (!rule) return rule.error();
      policy.rules.push_back(std::move(*rule));
    }
    return policy;
  } catch (const json::InputError& e) {
    return Error::invalid(e.what());
  }
}

boost::json::object policy_to_json(const Policy& policy) {
  boost::json::array rules;
  for (const auto& r : policy.rules) {
    boost::json::object o{{"effect", r.allow ? "allow" : "deny"}};
    if (!r.scopes.empty()) {
      boost::json::array scopes;
      for (auto s : r.scopes) scopes.emplace_back(scope_name(s));
      o["scopes"] = std::move(scopes);
    }
    if (!r.keys.empty()) o["keys"] = boost::json::value_from(r.keys);
    if (!r.operations.empty()) o["operations"] = boost::json::value_from(r.operations);
    rules.emplace_back(std::move(o));
  }
  return {{"name", policy.name}, {"rules", std::move(rules)}};
}

}  // namespace cc::auth
