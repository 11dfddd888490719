#include "core/config.hpp"

#include "core/bytes.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <fstream>
#include <limits>
#include <sstream>

namespace cc {
namespace {

std::uint64_t parse_unsigned(const std::string& text, std::uint64_t max) {
  std::uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || ptr != text.data() + text.size()) {
    throw std::invalid_argument("expected a non-negative integer, got '" + text + "'");
  }
  if (v > max) throw std::invalid_argument("value " + text + " is above the maximum " + std::to_string(max));
  return v;
}


// Field builders. `get` returns a reference to the member inside Config.
template <class Get>
ConfigField string_field(std::string path, std::string description, Get get) {
  return ConfigField{std::move(path), "string", std::move(description),
                     [get](Config& c, const std::string& v) { get(c) = v; }, {},
                     [get](const Config& c) { return get(const_cast<Config&>(c)); }};
}

template <class Get>
ConfigField enum_field(std::string path, std::vector<std::string> allowed, std::string description, Get get) {
  std::string type;
  for (const auto& a : allowed) type += (type.empty() ? "" : "|") + a;
  return ConfigField{std::move(path), type, std::move(description),
                     [get, allowed, type](Config& c, const std::string& v) {
                       if (std::find(allowed.begin(), allowed.end(), v) == allowed.end()) {
                         throw std::invalid_argument("'" + v + "' is not one of " + type);
                       }
                       get(c) = v;
                     },
                     {}, [get](const Config& c) { return get(const_cast<Config&>(c)); }};
}

template <class Get>
ConfigField uint_field(std::string path, std::string type, std::string description, Get get) {
  using T = std::remove_reference_t<decltype(get(std::declval<Config&>()))>;
  const std::uint64_t max = type == "port" ? 65535 : std::numeric_limits<T>::max();
  return ConfigField{std::move(path), std::move(type), std::move(description),
                     [get, max](Config& c, const std::string& v) { get(c) = static_cast<T>(parse_unsigned(v, max)); },
                     {}, [get](const Config& c) { return std::to_string(get(const_cast<Config&>(c))); }};
}

template <class Get>
ConfigField bool_field(std::string path, std::string description, Get get) {
  return ConfigField{std::move(path), "bool", std::move(description),
                     [get](Config& c, const std::string& v) {
                       if (v == "true") {
                         get(c) = true;
                       } else if (v == "false") {
                         get(c) = false;
                       } else {
                         throw std::invalid_argument("expected true or false, got '" + v + "'");
                       }
                     },
                     {}, [get](const Config& c) { return std::string(get(const_cast<Config&>(c)) ? "true" : "false"); }};
}

template <class Get>
ConfigField list_field(std::string path, std::string description, Get get) {
  auto split = [](const std::string& v) {
    std::vector<std::string> out;
    std::stringstream ss(v);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (!item.empty()) out.push_back(item);
    }
    return out;
  };
  return ConfigField{std::move(path), "list", std::move(description),
                     [get, split](Config& c, const std::string& v) { get(c) = split(v); },
                     [get](Config& c, const std::vector<std::string>& v) { get(c) = v; },
                     [get](const Config& c) {
                       std::string out;
                       for (const auto& p : get(const_cast<Config&>(c))) out += (out.empty() ? "" : ",") + p;
                       return out.empty() ? std::string("(none)") : out;
                     }};
}

std::vector<ConfigField> make_fields() {
  std::vector<ConfigField> f;
  f.push_back(enum_field("network", {"mainnet", "sepolia", "hoodi", "holesky"},
                         "Ethereum network; requests whose genesis_validators_root differs are refused with 403",
                         [](Config& c) -> std::string& { return c.network; }));
  f.push_back(string_field("server.listen_address", "Address of the HTTP listener (signing API, probes)",
                           [](Config& c) -> std::string& { return c.server.listen_address; }));
  f.push_back(uint_field("server.listen_port", "port", "Port of the HTTP listener (0 picks a free port and logs it)",
                         [](Config& c) -> std::uint16_t& { return c.server.listen_port; }));
  f.push_back(uint_field("server.io_threads", "uint", "Threads parsing HTTP (0: one per core, at most 4)",
                         [](Config& c) -> std::uint32_t& { return c.server.io_threads; }));
  f.push_back(uint_field("server.signing_threads", "uint", "Threads computing BLS signatures (0: one per core)",
                         [](Config& c) -> std::uint32_t& { return c.server.signing_threads; }));
  f.push_back(uint_field("server.max_pending_requests", "uint",
                         "Signing requests queued or in flight before new ones get 503 with Retry-After",
                         [](Config& c) -> std::uint32_t& { return c.server.max_pending_requests; }));
  f.push_back(uint_field("server.request_timeout_seconds", "uint",
                         "A signing request not signed this long after it arrived is dropped with 503 and "
                         "Retry-After instead of being signed late (its anti-slashing record, if written, stays)",
                         [](Config& c) -> std::uint32_t& { return c.server.request_timeout_seconds; }));
  f.push_back(uint_field("server.signature_cache_entries", "uint",
                         "Recent signatures of messages without slashing risk (selection proofs, registrations, ...) "
                         "kept to answer identical requests without signing again, ~200 bytes each (0: off)",
                         [](Config& c) -> std::uint32_t& { return c.server.signature_cache_entries; }));
  f.push_back(uint_field("server.max_batch_keys", "uint",
                         "Public keys in one batch signing request (POST /api/v1/eth2/sign) at most; more get 400. "
                         "Each key counts against server.max_pending_requests",
                         [](Config& c) -> std::uint32_t& { return c.server.max_batch_keys; }));
  f.push_back(uint_field("server.max_body_bytes", "uint", "Largest accepted request body; larger gets 413",
                         [](Config& c) -> std::uint64_t& { return c.server.max_body_bytes; }));
  f.push_back(uint_field("server.idle_timeout_seconds", "uint",
                         "Keep-alive connections idle (or sending a request) longer than this are closed",
                         [](Config& c) -> std::uint32_t& { return c.server.idle_timeout_seconds; }));
  f.push_back(uint_field("server.shutdown_timeout_seconds", "uint",
                         "On SIGTERM or SIGINT: how long requests in flight may take to finish after the listeners "
                         "close; past it the signer exits 1 naming how many it abandoned",
                         [](Config& c) -> std::uint32_t& { return c.server.shutdown_timeout_seconds; }));
  f.push_back(uint_field("server.max_connections", "uint",
                         "Open connections per listener at most (0: no limit); more are answered 503 and closed",
                         [](Config& c) -> std::uint32_t& { return c.server.max_connections; }));
  f.push_back(enum_field("tls.mode", {"disabled", "file", "atls"},
                         "HTTPS listener: disabled, or file (PEM certificate and key); atls needs enclave mode",
                         [](Config& c) -> std::string& { return c.tls.mode; }));
  f.push_back(uint_field("tls.listen_port", "port", "Port of the HTTPS listener (beside the plain HTTP one)",
                         [](Config& c) -> std::uint16_t& { return c.tls.listen_port; }));
  f.push_back(string_field("tls.file.cert_path", "PEM certificate chain of the HTTPS listener",
                           [](Config& c) -> std::string& { return c.tls.cert_path; }));
  f.push_back(string_field("tls.file.key_path", "PEM private key of the HTTPS listener",
                           [](Config& c) -> std::string& { return c.tls.key_path; }));
  f.push_back(string_field("tls.file.client_ca_path",
                           "PEM CA bundle: when set, HTTPS clients must present a certificate it signed (mTLS)",
                           [](Config& c) -> std::string& { return c.tls.client_ca_path; }));
  f.push_back(list_field("tls.file.client_fingerprints",
                         "SHA-256 fingerprints of the only client certificates HTTPS accepts (mTLS pinning)",
                         [](Config& c) -> std::vector<std::string>& { return c.tls.client_fingerprints; }));
  f.push_back(uint_field("tls.file.reload_interval_seconds", "uint",
                         "How often the certificate files are checked for changes (0: only on SIGHUP)",
                         [](Config& c) -> std::uint32_t& { return c.tls.reload_interval_seconds; }));
  f.push_back(bool_field("http.key_manager_api.enabled",
                         "Serve the Key Manager API (GET/POST/DELETE /eth/v1/keystores; scopes list_keys, "
                         "import_keystores, delete_keys)",
                         [](Config& c) -> bool& { return c.http.key_manager_api.enabled; }));
  f.push_back(uint_field("http.key_manager_api.max_items_per_request", "uint",
                         "Most keystores (POST) or pubkeys (DELETE) in one Key Manager request; more gets 400",
                         [](Config& c) -> std::uint32_t& { return c.http.key_manager_api.max_items_per_request; }));
  f.push_back(uint_field("http.key_manager_api.max_concurrent_reads", "uint",
                         "Key Manager GET requests served at once; more gets 503",
                         [](Config& c) -> std::uint32_t& { return c.http.key_manager_api.max_concurrent_reads; }));
  f.push_back(uint_field("http.key_manager_api.max_concurrent_writes", "uint",
                         "Key Manager POST/DELETE requests served at once; more gets 503",
                         [](Config& c) -> std::uint32_t& { return c.http.key_manager_api.max_concurrent_writes; }));
  f.push_back(uint_field("http.key_manager_api.request_timeout_seconds", "uint",
                         "Key Manager import: keystores not decrypted within this time answer error",
                         [](Config& c) -> std::uint32_t& { return c.http.key_manager_api.request_timeout_seconds; }));
  f.push_back(uint_field("chamber.keys.list.max_concurrent_requests", "uint",
                         "Chamber key API: GET /api/v1/chamber/keys requests served at once; more gets 429",
                         [](Config& c) -> std::uint32_t& { return c.chamber.keys.list_max_concurrent_requests; }));
  struct Group {
    const char* name;
    const char* what;
    ChamberKeysEndpointConfig ChamberKeysConfig::*member;
  };
  for (const Group g : {Group{"generate", "POST /api/v1/chamber/keys/generate (new keys, scope chamber_keys_generate)",
                              &ChamberKeysConfig::generate},
                        Group{"import", "POST /api/v1/chamber/keys (EIP-2335 keystores, scope chamber_keys_import)",
                              &ChamberKeysConfig::import},
                        Group{"lifecycle",
                              "PATCH and DELETE /api/v1/chamber/keys (activate, deactivate, delete; scopes "
                              "chamber_keys_patch, chamber_keys_delete)",
                              &ChamberKeysConfig::lifecycle}}) {
    const std::string prefix = std::string("chamber.keys.") + g.name;
    const auto member = g.member;
    f.push_back(bool_field(prefix + ".enabled",
                           std::string("Chamber key API: serve ") + g.what + "; needs key_sources.dynamodb.table",
                           [member](Config& c) -> bool& { return (c.chamber.keys.*member).enabled; }));
    f.push_back(uint_field(prefix + ".max_items_per_request", "uint",
                           std::string("Chamber key API ") + g.name + ": most items in one request; more gets 400",
                           [member](Config& c) -> std::uint32_t& { return (c.chamber.keys.*member).max_items_per_request; }));
    f.push_back(uint_field(prefix + ".max_concurrent_requests", "uint",
                           std::string("Chamber key API ") + g.name + ": requests served at once; more gets 429",
                           [member](Config& c) -> std::uint32_t& {
                             return (c.chamber.keys.*member).max_concurrent_requests;
                           }));
    f.push_back(uint_field(prefix + ".request_timeout_seconds", "uint",
                           std::string("Chamber key API ") + g.name + ": items not done within this time answer error",
                           [member](Config& c) -> std::uint32_t& {
                             return (c.chamber.keys.*member).request_timeout_seconds;
                           }));
  }
  f.push_back(string_field("metrics.listen_address",
                           "Address of the Prometheus metrics listener (GET /metrics, always plain HTTP)",
                           [](Config& c) -> std::string& { return c.metrics.listen_address; }));
  f.push_back(uint_field("metrics.listen_port", "port", "Port of the Prometheus metrics listener (0: any free port, logged)",
                         [](Config& c) -> std::uint16_t& { return c.metrics.listen_port; }));
  f.push_back(uint_field("metrics.refresh_interval_seconds", "uint",
                         "How often containment_healthy is re-checked (it writes to the anti-slashing database like "
                         "/healthcheck); other metrics are read at each scrape",
                         [](Config& c) -> std::uint32_t& { return c.metrics.refresh_interval_seconds; }));
  f.push_back(list_field("key_sources.filesystem.paths",
                         "Directories holding Web3Signer YAML key descriptors and/or EIP-2335 *.json keystores "
                         "with a <name>.txt password file each",
                         [](Config& c) -> std::vector<std::string>& { return c.filesystem_keys.paths; }));
  f.push_back(uint_field("key_sources.filesystem.keystore_load_concurrency", "uint",
                         "Keystores decrypted at once (0: one per core; scrypt is also bounded by memory)",
                         [](Config& c) -> std::uint32_t& { return c.filesystem_keys.keystore_load_concurrency; }));
  f.push_back(uint_field("key_sources.filesystem.kdf_memory_budget_mib", "uint",
                         "MiB of KDF working memory keystore decryption may use at once (scrypt n=2^18 needs 256 "
                         "each; 0: half of the RAM or container memory limit)",
                         [](Config& c) -> std::uint32_t& { return c.filesystem_keys.kdf_memory_budget_mib; }));
  f.push_back(list_field("key_sources.canary_keys",
                         "Public keys (0x hex) of canary keys: listed like other keys, but every signing request for "
                         "one is refused with 403, logged at error and counted in containment_canary_signing_total",
                         [](Config& c) -> std::vector<std::string>& { return c.canary_keys.public_keys; }));
  f.push_back(string_field("key_sources.dynamodb.table",
                           "DynamoDB table of validator keys sealed under the chamber's master key (needs "
                           "signer_state.backend dynamodb; keys load once the chamber is unsealed)",
                           [](Config& c) -> std::string& { return c.dynamodb_keys.table; }));
  f.push_back(uint_field("key_sources.dynamodb.refresh_interval_seconds", "uint",
                         "How often the key table is re-read (keys added or removed by other replicas)",
                         [](Config& c) -> std::uint32_t& { return c.dynamodb_keys.refresh_interval_seconds; }));
  f.push_back(enum_field("anti_slashing.backend", {"sqlite", "postgres", "dynamodb"},
                         "Anti-slashing database: sqlite (embedded, one signer), postgres or dynamodb (shared by "
                         "replicas)",
                         [](Config& c) -> std::string& { return c.anti_slashing.backend; }));
  f.push_back(string_field("anti_slashing.path", "SQLite anti-slashing database file (created 0600)",
                           [](Config& c) -> std::string& { return c.anti_slashing.path; }));
  f.push_back(string_field("anti_slashing.url",
                           "PostgreSQL connection: \"host=... port=5432 user=... password=... dbname=... "
                           "sslmode=require\" or a postgresql:// URL (with hostaddr= to pin the address); "
                           "env:VAR reads it from a variable",
                           [](Config& c) -> std::string& { return c.anti_slashing.url; }));
  f.push_back(uint_field("anti_slashing.pool_size", "uint", "PostgreSQL connections per signer",
                         [](Config& c) -> std::uint32_t& { return c.anti_slashing.pool_size; }));
  f.push_back(uint_field("anti_slashing.timeout_ms", "uint",
                         "PostgreSQL: longest wait for the database before a request is answered 503",
                         [](Config& c) -> std::uint32_t& { return c.anti_slashing.timeout_ms; }));
  f.push_back(string_field("anti_slashing.table", "dynamodb backend: table name (key pk, sk; local index by_source)",
                           [](Config& c) -> std::string& { return c.anti_slashing.table; }));
  f.push_back(uint_field("anti_slashing.max_batch", "uint",
                         "Most signing records committed in one transaction (group commit)",
                         [](Config& c) -> std::uint32_t& { return c.anti_slashing.max_batch; }));
  f.push_back(enum_field("signer_state.backend", {"file", "dynamodb"},
                         "Where runtime auth policies and tokens live: file (a directory; replicas on one host or "
                         "a shared volume) or dynamodb (a table shared by replicas anywhere)",
                         [](Config& c) -> std::string& { return c.signer_state.backend; }));
  f.push_back(string_field("signer_state.path", "file backend: directory of the signer state (created 0700)",
                           [](Config& c) -> std::string& { return c.signer_state.path; }));
  f.push_back(string_field("signer_state.table", "dynamodb backend: table name (key pk); not a key or anti-slashing table",
                           [](Config& c) -> std::string& { return c.signer_state.table; }));
  f.push_back(uint_field("signer_state.refresh_interval_seconds", "uint",
                         "dynamodb backend: how often a replica re-reads the state, e.g. to see revocations (0: never)",
                         [](Config& c) -> std::uint32_t& { return c.signer_state.refresh_interval_seconds; }));
  f.push_back(uint_field("signer_state.unseal_timeout_minutes", "uint",
                         "Operator-quorum unseal: how long a submitted passphrase's share stays usable by every "
                         "replica (1 to 1440; a seal discards them at once)",
                         [](Config& c) -> std::uint32_t& { return c.signer_state.unseal_timeout_minutes; }));
  f.push_back(string_field("aws.region",
                           "AWS region of the DynamoDB tables (default: tee.nitro.aws.region, AWS_REGION, "
                           "AWS_DEFAULT_REGION)",
                           [](Config& c) -> std::string& { return c.aws.region; }));
  f.push_back(enum_field("tee.platform", {"none", "nitro"},
                         "Trusted execution: none, or nitro (run inside an AWS Nitro Enclave; needs tls.mode atls and "
                         "signer_state.backend dynamodb)",
                         [](Config& c) -> std::string& { return c.tee.platform; }));
  f.push_back(string_field("tee.nitro.aws.region",
                           "AWS region in Nitro mode; used for DynamoDB like aws.region (the two must agree when both "
                           "are set)",
                           [](Config& c) -> std::string& { return c.tee.nitro_aws_region; }));
  f.push_back(string_field("aws.endpoints.dynamodb",
                           "DynamoDB endpoint override, e.g. http://127.0.0.1:8000 (default: the regional endpoint)",
                           [](Config& c) -> std::string& { return c.aws.dynamodb_endpoint; }));
  f.push_back(string_field("aws.endpoints.sts", "STS endpoint override for web-identity credentials",
                           [](Config& c) -> std::string& { return c.aws.sts_endpoint; }));
  f.push_back(string_field("aws.endpoints.kms",
                           "KMS endpoint override for every KMS key (default: the regional endpoint of each key's ARN)",
                           [](Config& c) -> std::string& { return c.aws.kms_endpoint; }));
  f.push_back(enum_field("logging.level", {"trace", "debug", "info", "warn", "error"},
                         "Log level (debug adds one line per signing request); also --log-level",
                         [](Config& c) -> std::string& { return c.logging.level; }));
  f.push_back(enum_field("logging.format", {"text", "json"},
                         "Log format: text, or json (one object per line: timestamp, level, message, fields); also "
                         "--log-format",
                         [](Config& c) -> std::string& { return c.logging.format; }));
  f.push_back(uint_field("logging.summary_interval_seconds", "uint",
                         "How often an info line sums up the signing requests answered since the last one, by "
                         "operation and status (0: never)",
                         [](Config& c) -> std::uint32_t& { return c.logging.summary_interval_seconds; }));
  return f;
}

std::size_t edit_distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> prev(b.size() + 1), cur(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j) prev[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      cur[j] = std::min({prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1)});
    }
    std::swap(prev, cur);
  }
  return prev[b.size()];
}

std::string unknown_key_message(const std::string& path, const std::string& source) {
  std::string best;
  std::size_t best_d = 4;
  for (const auto& f : config_fields()) {
    auto d = edit_distance(path, f.path);
    if (d < best_d) best_d = d, best = f.path;
  }
  std::string msg = source + ": unknown configuration key '" + path + "'";
  if (!best.empty()) msg += " (did you mean '" + best + "'?)";
  return msg;
}

// Sections whose keys exist in the documented configuration but are not built into this version.
// A key of the config table is supported even inside such a section, and so is a mapping that
// holds one (so `tee: {nitro: {aws: {region: …}}}` is read while `tee.platform` is refused).
// Keys read outside the table because their values are lists of mappings.
constexpr std::string_view kStructuredKeys[] = {"tee.nitro.egress.endpoints"};

bool is_unsupported_section(const std::string& path) {
  for (const auto& f : config_fields()) {
    if (f.path == path || f.path.rfind(path + ".", 0) == 0) return false;
  }
  for (std::string_view k : kStructuredKeys) {
    if (k == path || k.rfind(path + ".", 0) == 0) return false;
  }
  // chamber.keys is built (the Chamber key API): a key there that is not in the table is a typo.
  if (path == "chamber.keys" || path.rfind("chamber.keys.", 0) == 0) return false;
  for (const char* s : {"chamber", "key_sources.dynamodb.keygen",
                        "key_sources.dynamodb.writable", "key_sources.dynamodb.key_refresh_interval_minutes"}) {
    const std::string p(s);
    if (path == p || path.rfind(p + ".", 0) == 0) return true;
  }
  return false;
}

std::vector<std::string> string_list(const YAML::Node& node, const std::string& path, const std::string& source) {
  if (!node.IsSequence()) throw ConfigError(source + ": " + path + ": expected a list");
  std::vector<std::string> out;
  for (const auto& item : node) {
    if (!item.IsScalar()) throw ConfigError(source + ": " + path + ": list items must be plain values");
    out.push_back(item.as<std::string>());
  }
  return out;
}

void check_keys(const YAML::Node& node, const std::string& path, const std::string& source,
                std::initializer_list<std::string_view> allowed) {
  if (!node.IsMap()) throw ConfigError(source + ": " + path + ": expected a mapping");
  for (const auto& kv : node) {
    const auto key = kv.first.as<std::string>();
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      std::string list;
      for (auto a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      throw ConfigError(source + ": unknown configuration key '" + path + "." + key + "' (expected one of: " + list +
                        ")");
    }
  }
}

std::vector<AuthRuleConfig> parse_rules(const YAML::Node& node, const std::string& path, const std::string& source) {
  if (!node.IsSequence()) throw ConfigError(source + ": " + path + ": expected a list of rules");
  std::vector<AuthRuleConfig> rules;
  std::size_t i = 0;
  for (const auto& r : node) {
    const std::string rp = path + "[" + std::to_string(i++) + "]";
    check_keys(r, rp, source, {"effect", "scopes", "keys", "operations"});
    AuthRuleConfig rule;
    if (r["effect"]) rule.effect = r["effect"].as<std::string>();
    if (rule.effect != "allow" && rule.effect != "deny") {
      throw ConfigError(source + ": " + rp + ".effect: '" + rule.effect + "' is not allow or deny");
    }
    if (r["scopes"]) rule.scopes = string_list(r["scopes"], rp + ".scopes", source);
    if (r["keys"]) rule.keys = string_list(r["keys"], rp + ".keys", source);
    if (r["operations"]) rule.operations = string_list(r["operations"], rp + ".operations", source);
    rules.push_back(std::move(rule));
  }
  return rules;
}

// auth:
//   policies: [{name, token, rules: [{effect, scopes, keys, operations}]}]
//   unauthenticated_policy: {rules: [...]}
void apply_auth(Config& config, const YAML::Node& node, const std::string& source) {
  check_keys(node, "auth", source, {"policies", "unauthenticated_policy"});
  if (node["policies"]) {
    if (!node["policies"].IsSequence()) throw ConfigError(source + ": auth.policies: expected a list of policies");
    std::size_t i = 0;
    for (const auto& p : node["policies"]) {
      const std::string pp = "auth.policies[" + std::to_string(i++) + "]";
      check_keys(p, pp, source, {"name", "token", "rules"});
      AuthPolicyConfig policy;
      if (!p["name"] || !p["token"]) throw ConfigError(source + ": " + pp + ": needs a name and a token");
      policy.name = p["name"].as<std::string>();
      policy.token = p["token"].as<std::string>();
      if (p["rules"]) {
        policy.rules = parse_rules(p["rules"], pp + ".rules", source);
      } else {
        policy.rules.push_back({});  // no rules: everything allowed for this token
      }
      config.auth.policies.push_back(std::move(policy));
    }
  }
  if (node["unauthenticated_policy"]) {
    check_keys(node["unauthenticated_policy"], "auth.unauthenticated_policy", source, {"rules"});
    config.auth.has_unauthenticated_policy = true;
    if (node["unauthenticated_policy"]["rules"]) {
      config.auth.unauthenticated_rules =
          parse_rules(node["unauthenticated_policy"]["rules"], "auth.unauthenticated_policy.rules", source);
    }
  }
}

// The earlier documented form: auth_policies: {<name>: {token, allowed_scopes, denied_scopes}}.
void apply_legacy_auth_policies(Config& config, const YAML::Node& node, const std::string& source) {
  if (!node.IsMap()) throw ConfigError(source + ": auth_policies: expected a mapping of policy names");
  for (const auto& kv : node) {
    const auto name = kv.first.as<std::string>();
    const std::string pp = "auth_policies." + name;
    check_keys(kv.second, pp, source, {"token", "allowed_scopes", "denied_scopes"});
    if (!kv.second["token"]) throw ConfigError(source + ": " + pp + ": needs a token");
    AuthPolicyConfig policy{name, kv.second["token"].as<std::string>(), {}};
    AuthRuleConfig allow;
    if (kv.second["allowed_scopes"]) allow.scopes = string_list(kv.second["allowed_scopes"], pp + ".allowed_scopes", source);
    policy.rules.push_back(allow);
    if (kv.second["denied_scopes"]) {
      AuthRuleConfig deny{"deny", string_list(kv.second["denied_scopes"], pp + ".denied_scopes", source), {}, {}};
      policy.rules.push_back(deny);
    }
    config.auth.policies.push_back(std::move(policy));
  }
}

std::uint64_t whole_number(const YAML::Node& node, const std::string& path, const std::string& source,
                           std::uint64_t min, std::uint64_t max) {
  const auto text = node.IsScalar() ? node.as<std::string>() : std::string();
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) {
    throw ConfigError(source + ": " + path + ": '" + text + "' is not a whole number from " + std::to_string(min) +
                      " to " + std::to_string(max));
  }
  return v;
}

void apply_egress(Config& config, const YAML::Node& node, const std::string& source) {
  const std::string path = "tee.nitro.egress.endpoints";
  if (!node.IsSequence()) throw ConfigError(source + ": " + path + ": expected a list of {hostname, port, loopback, vsock_port}");
  std::vector<EgressEndpointConfig> out;
  std::size_t i = 0;
  for (const auto& e : node) {
    const std::string ep = path + "[" + std::to_string(i++) + "]";
    check_keys(e, ep, source, {"hostname", "port", "loopback", "vsock_port"});
    for (const char* required : {"hostname", "loopback", "vsock_port"}) {
      if (!e[required]) throw ConfigError(source + ": " + ep + ": '" + required + "' is required");
    }
    EgressEndpointConfig entry;
    entry.hostname = e["hostname"].as<std::string>();
    entry.loopback = e["loopback"].as<std::string>();
    if (e["port"]) entry.port = static_cast<std::uint16_t>(whole_number(e["port"], ep + ".port", source, 1, 65535));
    entry.vsock_port = static_cast<std::uint32_t>(whole_number(e["vsock_port"], ep + ".vsock_port", source, 1, 0xFFFFFFFEu));
    out.push_back(std::move(entry));
  }
  config.tee.egress = std::move(out);
}

void apply_node(Config& config, const YAML::Node& node, const std::string& path, const std::string& source) {
  try {
    if (path == "tee.nitro.egress.endpoints") return apply_egress(config, node, source);
    if (path == "auth") return apply_auth(config, node, source);
    if (path == "auth_policies") return apply_legacy_auth_policies(config, node, source);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": " + path + ": " + e.what());
  }
  if (!path.empty() && is_unsupported_section(path)) {
    throw ConfigError(source + ": '" + path + "' is not supported by this version of containment-chamber");
  }
  const ConfigField* field = path.empty() ? nullptr : find_config_field(path);
  if (node.IsMap() && field == nullptr) {
    for (const auto& kv : node) {
      const auto key = kv.first.as<std::string>();
      apply_node(config, kv.second, path.empty() ? key : path + "." + key, source);
    }
    return;
  }
  if (field == nullptr) throw ConfigError(unknown_key_message(path, source));
  try {
    if (node.IsSequence()) {
      if (!field->set_list) throw std::invalid_argument("expected a single value, got a list");
      std::vector<std::string> items;
      for (const auto& item : node) {
        if (!item.IsScalar()) throw std::invalid_argument("list items must be plain values");
        items.push_back(item.as<std::string>());
      }
      field->set_list(config, items);
    } else if (node.IsScalar()) {
      field->set(config, node.as<std::string>());
    } else if (node.IsNull()) {
      throw std::invalid_argument("has no value");
    } else {
      throw std::invalid_argument("expected a " + field->type + " value, got a mapping");
    }
  } catch (const std::invalid_argument& e) {
    throw ConfigError(source + ": " + path + ": " + e.what());
  }
}

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

}  // namespace

std::string ConfigField::flag() const {
  std::string out = "--" + path;
  std::replace(out.begin(), out.end(), '.', '-');
  std::replace(out.begin(), out.end(), '_', '-');
  return out;
}

std::string ConfigField::env() const {
  std::string out = "CONTAINMENT_";
  for (char ch : path) {
    if (ch == '.') {
      out += "__";
    } else {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    }
  }
  return out;
}

const std::vector<ConfigField>& config_fields() {
  static const std::vector<ConfigField> fields = make_fields();
  return fields;
}

const ConfigField* find_config_field(const std::string& path) {
  for (const auto& f : config_fields()) {
    if (f.path == path) return &f;
  }
  return nullptr;
}

void apply_config_text(Config& config, const std::string& text, const std::string& source) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    throw ConfigError(source + ": not valid YAML or JSON: " + e.what());
  }
  if (root.IsNull()) return;  // an empty file keeps the defaults
  if (!root.IsMap()) throw ConfigError(source + ": the top level must be a mapping of sections");
  apply_node(config, root, "", source);
}

void apply_config_file(Config& config, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw ConfigError("cannot read config file '" + path + "': " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  apply_config_text(config, ss.str(), path);
}

void apply_config_env(Config& config, char** environ_vars) {
  static const std::string kPrefix = "CONTAINMENT_";
  for (char** e = environ_vars; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    if (entry.rfind(kPrefix, 0) != 0) continue;
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const std::string name = entry.substr(0, eq);
    std::string path = lower(name.substr(kPrefix.size()));
    for (std::size_t p = path.find("__"); p != std::string::npos; p = path.find("__", p + 1)) path.replace(p, 2, ".");
    if (path == "tee.nitro.egress.endpoints") {
      // A list of mappings: the value is its JSON (or YAML flow) text.
      try {
        apply_egress(config, YAML::Load(entry.substr(eq + 1)), "environment " + name);
      } catch (const YAML::Exception& error) {
        throw ConfigError("environment " + name + ": expected a JSON list of {hostname, port, loopback, vsock_port}: " +
                          error.what());
      }
      continue;
    }
    if (is_unsupported_section(path)) {
      throw ConfigError("environment " + name + ": '" + path + "' is not supported by this version of containment-chamber");
    }
    if (find_config_field(path) == nullptr) throw ConfigError(unknown_key_message(path, "environment " + name));
    apply_config_value(config, path, entry.substr(eq + 1), "environment " + name);
  }
}

void apply_config_value(Config& config, const std::string& path, const std::string& value, const std::string& source) {
  const ConfigField* field = find_config_field(path);
  if (field == nullptr) throw ConfigError(unknown_key_message(path, source));
  try {
    field->set(config, value);
  } catch (const std::invalid_argument& e) {
    throw ConfigError(source + ": " + path + ": " + e.what());
  }
}

void validate_config(const Config& config) {
  for (const auto& pk : config.canary_keys.public_keys) {
    if (auto parsed = from_hex_fixed<48>(pk); !parsed) {
      throw ConfigError("key_sources.canary_keys: '" + pk + "' is not a public key (0x and 96 hex digits): " +
                        parsed.error().message);
    }
  }
  if (config.server.max_pending_requests == 0) throw ConfigError("server.max_pending_requests: must be at least 1");
  if (config.server.request_timeout_seconds == 0) {
    throw ConfigError("server.request_timeout_seconds: must be at least 1");
  }
  if (config.server.max_batch_keys == 0) throw ConfigError("server.max_batch_keys: must be at least 1");
  if (config.server.max_body_bytes < 1024) throw ConfigError("server.max_body_bytes: must be at least 1024");
  if (config.anti_slashing.backend == "sqlite" && config.anti_slashing.path.empty()) {
    throw ConfigError("anti_slashing.path: required for the sqlite backend");
  }
  if (config.anti_slashing.max_batch == 0) throw ConfigError("anti_slashing.max_batch: must be at least 1");
  if (config.anti_slashing.backend == "dynamodb" && config.anti_slashing.table.empty()) {
    throw ConfigError("anti_slashing.table: required for the dynamodb backend");
  }
  if (config.signer_state.backend == "dynamodb") {
    if (config.signer_state.table.empty()) throw ConfigError("signer_state.table: required for the dynamodb backend");
    if (config.signer_state.table == config.anti_slashing.table) {
      throw ConfigError("signer_state.table: must differ from anti_slashing.table ('" + config.signer_state.table + "')");
    }
  }
  if (!config.dynamodb_keys.table.empty()) {
    if (config.signer_state.backend != "dynamodb") {
      throw ConfigError("key_sources.dynamodb: needs signer_state.backend dynamodb (the seal state and its wrapped "
                        "master key shares live there, shared by every replica)");
    }
    if (config.dynamodb_keys.table == config.signer_state.table ||
        config.dynamodb_keys.table == config.anti_slashing.table) {
      throw ConfigError("key_sources.dynamodb.table: must differ from the signer state and anti-slashing tables");
    }
  }
  if (config.signer_state.unseal_timeout_minutes < 1 || config.signer_state.unseal_timeout_minutes > 1440) {
    throw ConfigError("signer_state.unseal_timeout_minutes: between 1 and 1440 (a day), got " +
                      std::to_string(config.signer_state.unseal_timeout_minutes));
  }
  for (const auto& [name, group] : {std::pair<const char*, const ChamberKeysEndpointConfig*>{"generate", &config.chamber.keys.generate},
                                    {"import", &config.chamber.keys.import},
                                    {"lifecycle", &config.chamber.keys.lifecycle}}) {
    const std::string prefix = std::string("chamber.keys.") + name;
    if (group->enabled && config.dynamodb_keys.table.empty()) {
      throw ConfigError(prefix + ".enabled: the Chamber key API manages the keys of the DynamoDB key source; set "
                        "key_sources.dynamodb.table too (or leave " + prefix + ".enabled false)");
    }
    if (group->max_items_per_request == 0) throw ConfigError(prefix + ".max_items_per_request: must be at least 1");
    if (group->max_concurrent_requests == 0) throw ConfigError(prefix + ".max_concurrent_requests: must be at least 1");
    if (group->request_timeout_seconds == 0) throw ConfigError(prefix + ".request_timeout_seconds: must be at least 1");
  }
  if (config.chamber.keys.list_max_concurrent_requests == 0) {
    throw ConfigError("chamber.keys.list.max_concurrent_requests: must be at least 1");
  }
  if (config.signer_state.backend == "file" && config.signer_state.path.empty()) {
    throw ConfigError("signer_state.path: required for the file backend");
  }
  if (config.tls.mode == "atls" && config.tee.platform != "nitro") {
    throw ConfigError("tls.mode: atls is only available inside a Nitro Enclave (tee.platform: nitro); use file "
                      "outside one");
  }
  if (config.tee.platform == "nitro") {
    if (config.tls.mode != "atls") {
      throw ConfigError("tee.platform: nitro needs tls.mode: atls (clients verify the enclave's attestation instead of "
                        "a CA; TLS ends inside the enclave)");
    }
    if (config.signer_state.backend != "dynamodb") {
      throw ConfigError("tee.platform: nitro needs a persistent signer_state: set signer_state.backend: dynamodb and "
                        "signer_state.table (an enclave has no disk that outlives it)");
    }
  }
  if (config.tls.mode == "file" && (config.tls.cert_path.empty() || config.tls.key_path.empty())) {
    throw ConfigError("tls.mode file needs tls.file.cert_path and tls.file.key_path");
  }
  if (config.anti_slashing.backend == "postgres") {
    if (config.anti_slashing.url.empty()) {
      throw ConfigError("anti_slashing.url: required for the postgres backend (e.g. \"host=db port=5432 user=signer "
                        "password=env:PGPASSWORD dbname=slashing sslmode=require\")");
    }
    if (config.anti_slashing.pool_size == 0) throw ConfigError("anti_slashing.pool_size: must be at least 1");
    if (config.anti_slashing.timeout_ms < 100) throw ConfigError("anti_slashing.timeout_ms: must be at least 100");
  }
}

}  // namespace cc
