#pragma once
// Access policies: a named list of allow/deny rules over scope (route family), validator key and
// signing operation. A request is permitted when at least one allow rule matches it and no deny
// rule does (deny wins). An allow rule leaves unconstrained what a request does not have (an
// allow rule for keys [A] with scopes [sign, public_keys] still lets the token list keys); a deny
// rule only matches requests that have the dimension it names (deny VOLUNTARY_EXIT does not stop
// listing keys). Pure values; thread-safe to share once built.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cc::auth {

// Route families, as the documentation names them.
enum class Scope { sign, public_keys, list_keys, import_keystores, delete_keys, chamber_status, chamber_seal,
                   chamber_rotate, chamber_keys_list, chamber_keys_generate, chamber_keys_import, chamber_keys_patch,
                   chamber_keys_delete, reload_keys, auth_admin };

std::optional<Scope> parse_scope(std::string_view name);
std::string_view scope_name(Scope scope);
// "sign, public_keys, …": every scope, for error messages.
std::string scope_list();

struct Rule {
  bool allow = true;
  std::vector<Scope> scopes;             // empty: every scope
  std::vector<std::string> keys;         // 0x-hex public keys, lower case; empty: every key
  std::vector<std::string> operations;   // signing types ("VOLUNTARY_EXIT"); empty: every operation
};

struct Policy {
  std::string name;
  std::vector<Rule> rules;
};

// What a request wants to do. `key` and `operation` are empty when the route has none.
struct Access {
  Scope scope = Scope::sign;
  std::string key;        // lower-case 0x-hex
  std::string operation;  // signing type
};

enum class Verdict { allowed, no_allow_rule, denied };

Verdict evaluate(const Policy& policy, const Access& access);

// Whether some allow rule of `policy` names `scope` (or every scope), whatever its keys and
// operations: a route acting on many keys (batch signing) refuses a policy that allows none
// before looking at each key.
bool allows_scope_somewhere(const Policy& policy, Scope scope);

}  // namespace cc::auth
