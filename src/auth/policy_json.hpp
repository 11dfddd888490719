#pragma once
// Policies as data: built from the configuration (auth.policies[].rules) or from JSON (the Auth
// API, the signer state), with one validation for both, so a rule means the same wherever it
// was written. JSON shape (the documented one):
//   {"name": "vc-alpha", "rules": [{"effect": "allow", "scopes": ["sign", "public_keys"],
//                                   "keys": ["0xabc…"], "operations": ["ATTESTATION"]},
//                                  {"effect": "deny", "operations": ["VOLUNTARY_EXIT"]}]}
#include <boost/json.hpp>
#include <functional>
#include <string>
#include <string_view>

#include "auth/policy.hpp"
#include "core/config.hpp"
#include "core/result.hpp"

namespace cc::auth {

// Whether a signing type exists ("ATTESTATION"); supplied by the layer that knows them.
using KnownOperation = std::function<bool(std::string_view)>;

// A validated rule: effect allow|deny, known scopes, 0x-hex BLS public keys (stored lower case),
// known operations. Errors are invalid_argument naming `where` and the offending value.
Result<Rule> make_rule(const AuthRuleConfig& spec, const std::string& where, const KnownOperation& known);

// Policy names: 1-64 characters of [A-Za-z0-9_.-].
Status check_policy_name(std::string_view name);

// {"name", "rules"} → Policy. Errors name the JSON field ("rules[1].scopes[0]: unknown scope 'sing'").
Result<Policy> policy_from_json(const boost::json::value& v, const KnownOperation& known);
boost::json::object policy_to_json(const Policy& policy);

}  // namespace cc::auth
