#pragma once
// The signer's configuration: one model, filled from (lowest to highest precedence) built-in
// defaults, a YAML/JSON file, CONTAINMENT_<SECTION>__<KEY> environment variables and command-line
// flags. Every settable key is declared once in config_fields(); the file reader, the environment
// reader, the CLI flags and `--help` are all derived from that table, so they cannot drift apart.
// Loading fails with a ConfigError whose message names the key, its source and the reason.
#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

namespace cc {

class ConfigError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct ServerConfig {
  std::string listen_address = "0.0.0.0";
  std::uint16_t listen_port = 9000;
  std::uint32_t io_threads = 0;           // 0: one per core, at most 4
  std::uint32_t signing_threads = 0;      // 0: one per core
  std::uint32_t max_pending_requests = 4096;  // signing requests queued or in flight before 503
  std::uint32_t request_timeout_seconds = 30;  // a signing request not signed by then is dropped (503)
  std::uint32_t signature_cache_entries = 32768;  // recent signatures of messages without slashing risk; 0: off
  std::uint32_t max_batch_keys = 1024;  // public keys in one batch signing request at most
  std::uint64_t max_body_bytes = 1 << 20;
  std::uint32_t idle_timeout_seconds = 300;   // keep-alive connections idle longer are closed
  std::uint32_t shutdown_timeout_seconds = 30;  // SIGTERM/SIGINT: how long requests in flight may finish
  std::uint32_t max_connections = 1000;       // open connections per listener; more get 503 and are closed
};

struct TlsConfig {
  std::string mode = "disabled";  // disabled | file (atls: enclave mode)
  std::uint16_t listen_port = 9443;
  std::string cert_path, key_path, client_ca_path;
  std::vector<std::string> client_fingerprints;  // SHA-256 of allowed client certificates
  std::uint32_t reload_interval_seconds = 60;    // 0: reload only on SIGHUP
};

struct MetricsConfig {
  std::string listen_address = "0.0.0.0";
  std::uint16_t listen_port = 3000;
  std::uint32_t refresh_interval_seconds = 30;
};

struct FilesystemKeysConfig {
  std::vector<std::string> paths;
  std::uint32_t keystore_load_concurrency = 0;  // 0: one per core, bounded by memory
  std::uint32_t kdf_memory_budget_mib = 0;      // scrypt working memory at once; 0: half of RAM (or cgroup limit)
};

// key_sources.canary_keys: public keys (0x hex) listed like any key but refused every signature
// (an intrusion tripwire; keys/registry.hpp). A descriptor may mark a key `canary: true` too.
struct CanaryKeysConfig {
  std::vector<std::string> public_keys;
};

// key_sources.dynamodb: validator keys sealed under the chamber's master key (seal issue).
struct DynamoDbKeysConfig {
  std::string table;                           // empty: this source is off
  std::uint32_t refresh_interval_seconds = 1;  // how soon keys added or removed elsewhere show up here
};

struct AntiSlashingConfig {
  std::string backend = "sqlite";
  std::string path = "./data/slashing.sqlite";  // sqlite
  std::string url;                               // postgres: libpq key-value string or postgresql:// URL; env:VAR
  std::uint32_t pool_size = 8;                   // postgres connections
  std::uint32_t timeout_ms = 2000;               // postgres: bound on any request that needs the database
  std::uint32_t max_batch = 1024;
  std::string table;                             // dynamodb
};

// aws: where the AWS backends (DynamoDB) are reached.
struct AwsConfig {
  std::string region;             // after tee.nitro.aws.region; else AWS_REGION, else AWS_DEFAULT_REGION
  std::string dynamodb_endpoint;  // aws.endpoints.dynamodb: e.g. http://127.0.0.1:8000; empty: the regional one
  std::string sts_endpoint;       // aws.endpoints.sts
  std::string kms_endpoint;       // aws.endpoints.kms: one endpoint for every KMS key (tests, egress proxies)
};

// One way out of the enclave (tee.nitro.egress.endpoints[]; see tee/egress.hpp).
struct EgressEndpointConfig {
  std::string hostname;
  std::uint16_t port = 443;
  std::string loopback;          // 127.x.y.z
  std::uint32_t vsock_port = 0;  // where the parent's proxy for it listens
  bool operator==(const EgressEndpointConfig&) const = default;
};

// tee: Nitro mode (see tee/ and controller/).
struct TeeConfig {
  std::string platform = "none";  // none | nitro
  std::string nitro_aws_region;  // tee.nitro.aws.region: the region of KMS and DynamoDB as seen from the enclave
  std::vector<EgressEndpointConfig> egress;  // tee.nitro.egress.endpoints (file only: a list of mappings)
  // Not configuration keys: where the enclave entry point finds its device and writes its hosts
  // file (`containment-chamber enclave --nsm-device/--hosts-file`, for tests outside an enclave).
  std::string nsm_device = "/dev/nsm";
  std::string hosts_file = "/etc/hosts";
};

// Static access policies (the auth section). Validated further when the server starts.
struct AuthRuleConfig {
  std::string effect = "allow";  // allow | deny
  std::vector<std::string> scopes, keys, operations;
};
struct AuthPolicyConfig {
  std::string name;
  std::string token;  // the token, or env:VAR
  std::vector<AuthRuleConfig> rules;
};
struct AuthConfig {
  std::vector<AuthPolicyConfig> policies;
  std::vector<AuthRuleConfig> unauthenticated_rules;  // applied to requests without credentials
  bool has_unauthenticated_policy = false;
};

// ethereum/keymanager-APIs /eth/v1/keystores (http.key_manager_api).
struct KeyManagerApiConfig {
  bool enabled = false;
  std::uint32_t max_items_per_request = 100;   // keystores or pubkeys in one request; more gets 400
  std::uint32_t max_concurrent_reads = 50;     // GET requests at once; more gets 503
  std::uint32_t max_concurrent_writes = 10;    // POST/DELETE requests at once; more gets 503
  std::uint32_t request_timeout_seconds = 30;  // keystores not decrypted by then answer error
};

struct HttpConfig {
  KeyManagerApiConfig key_manager_api;
};

// chamber.keys.{generate,import,lifecycle}: one endpoint group of the Chamber key API
// (/api/v1/chamber/keys; lifecycle is PATCH and DELETE).
struct ChamberKeysEndpointConfig {
  bool enabled = false;
  std::uint32_t max_items_per_request = 100;   // keys, keystores or pubkeys in one request; more gets 400
  std::uint32_t max_concurrent_requests = 16;  // requests of this group at once; more gets 429
  std::uint32_t request_timeout_seconds = 600;  // items not done by then answer error
};

struct ChamberKeysConfig {
  std::uint32_t list_max_concurrent_requests = 16;  // chamber.keys.list.max_concurrent_requests
  ChamberKeysEndpointConfig generate;
  ChamberKeysEndpointConfig import;
  ChamberKeysEndpointConfig lifecycle{false, 500, 16, 600};
};

struct ChamberConfig {
  ChamberKeysConfig keys;
};

// signer_state: runtime state shared by replicas (auth policies and tokens).
struct SignerStateConfig {
  std::string backend = "file";        // file | dynamodb
  std::string path = "./data/state";   // file backend: a directory
  std::string table;                   // dynamodb backend
  std::uint32_t refresh_interval_seconds = 1;  // dynamodb: how often replicas re-read it (0: never)
  std::uint32_t unseal_timeout_minutes = 30;   // quorum unseal: how long submitted operator shares stay usable
};

struct LoggingConfig {
  std::string level = "info";
  std::string format = "text";
  std::uint32_t summary_interval_seconds = 60;  // one info line per interval with the signing counts; 0: none
};

struct Config {
  std::string network = "mainnet";
  ServerConfig server;
  TlsConfig tls;
  HttpConfig http;
  ChamberConfig chamber;
  MetricsConfig metrics;
  FilesystemKeysConfig filesystem_keys;
  CanaryKeysConfig canary_keys;
  DynamoDbKeysConfig dynamodb_keys;
  AntiSlashingConfig anti_slashing;
  AuthConfig auth;
  SignerStateConfig signer_state;
  AwsConfig aws;
  TeeConfig tee;
  LoggingConfig logging;
};

// One settable key.
struct ConfigField {
  std::string path;         // "server.listen_port"
  std::string type;         // "string", "port", "uint", "bool", "list", or "a|b|c" for enumerations
  std::string description;  // one line for --help and the docs
  std::function<void(Config&, const std::string&)> set;        // throws std::invalid_argument with the reason
  std::function<void(Config&, const std::vector<std::string>&)> set_list;  // lists only
  std::function<std::string(const Config&)> show;              // current value, for --help defaults
  std::string flag() const;  // "--server-listen-port"
  std::string env() const;   // "CONTAINMENT_SERVER__LISTEN_PORT"
};

const std::vector<ConfigField>& config_fields();
const ConfigField* find_config_field(const std::string& path);

// Applies a YAML or JSON document. Unknown keys, wrong types and bad values throw ConfigError
// naming the key and `source` (the file name).
void apply_config_text(Config& config, const std::string& text, const std::string& source);
// Reads and applies a file; an unreadable file throws ConfigError naming it and the OS reason.
void apply_config_file(Config& config, const std::string& path);
// Applies every CONTAINMENT_* variable of `environ` (e.g. CONTAINMENT_ANTI_SLASHING__PATH).
// An unknown CONTAINMENT_ variable is an error: it is almost always a typo.
void apply_config_env(Config& config, char** environ_vars);
// Sets one key from text (a flag's value), with `source` for the error message.
void apply_config_value(Config& config, const std::string& path, const std::string& value, const std::string& source);
// Cross-field checks (known network, supported backend, ...). Throws ConfigError.
void validate_config(const Config& config);

}  // namespace cc
