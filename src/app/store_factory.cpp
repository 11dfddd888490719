#include "app/store_factory.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <regex>

#include "app/aws_factory.hpp"
#include "state/dynamodb_store.hpp"
#include "state/file_store.hpp"
#include "slashing/dynamodb_store.hpp"
#include "slashing/postgres_store.hpp"
#include "slashing/sqlite_store.hpp"
#include "ssz/network.hpp"

namespace cc::app {

namespace {

Result<std::string> env_value(const std::string& name, const std::string& where) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr || *v == '\0') return Error::invalid(where + ": environment variable " + name + " is not set");
  return std::string(v);
}

// Single-quotes a libpq key-value item, escaping \ and '.
std::string quote_conninfo_value(const std::string& value) {
  std::string out = "'";
  for (char c : value) {
    if (c == '\\' || c == '\'') out += '\\';
    out += c;
  }
  return out + "'";
}

}  // namespace

Result<std::string> resolve_conninfo_secrets(const std::string& url) {
  if (url.rfind("env:", 0) == 0) return env_value(url.substr(4), "anti_slashing.url");
  static const std::regex password_ref(R"((^|\s)password\s*=\s*env:([A-Za-z_][A-Za-z0-9_]*))");
  std::smatch m;
  if (!std::regex_search(url, m, password_ref)) return url;
  auto value = env_value(m[2].str(), "anti_slashing.url password");
  if (!value) return value.error();
  return m.prefix().str() + m[1].str() + "password=" + quote_conninfo_value(*value) + m.suffix().str();
}

Result<std::string> enclave_postgres_conninfo(const std::string& conninfo,
                                              const std::vector<EgressEndpointConfig>& egress) {
  auto fields = slashing::pg_conninfo_fields(conninfo);
  if (!fields) return Error::invalid("anti_slashing.url: " + fields.error().message);
  const auto& f = *fields;
  if (f.host.empty()) {
    return Error::invalid("anti_slashing.url: name the PostgreSQL server with host=<its DNS name> (inside the enclave it "
                          "is reached through its tee.nitro.egress.endpoints entry)");
  }
  if (f.host.find(',') != std::string::npos) {
    return Error::invalid("anti_slashing.url: several hosts (" + f.host + ") cannot be used inside the enclave; name one");
  }
  const EgressEndpointConfig* entry = nullptr;
  for (const auto& e : egress) {
    if (e.hostname.size() == f.host.size() &&
        std::equal(e.hostname.begin(), e.hostname.end(), f.host.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b)); })) {
      entry = &e;
    }
  }
  if (entry == nullptr) {
    return Error::invalid("anti_slashing.url: host " + f.host + " has no tee.nitro.egress.endpoints entry; add {hostname: " +
                          f.host + ", port: " + (f.port.empty() ? "5432" : f.port) +
                          ", loopback: 127.0.0.x, vsock_port: N} so the enclave can reach it");
  }
  const std::string port = f.port.empty() ? "5432" : f.port;
  if (port != std::to_string(entry->port)) {
    return Error::invalid("anti_slashing.url: port " + port + " differs from the port of the egress entry for " + f.host +
                          " (" + std::to_string(entry->port) + ")");
  }
  if (!f.hostaddr.empty()) {
    if (f.hostaddr != entry->loopback) {
      return Error::invalid("anti_slashing.url: hostaddr=" + f.hostaddr + " is not the loopback of the egress entry for " +
                            f.host + " (" + entry->loopback + ")");
    }
    return conninfo;
  }
  if (conninfo.rfind("postgresql://", 0) == 0 || conninfo.rfind("postgres://", 0) == 0) {
    return Error::invalid("anti_slashing.url: inside the enclave a postgresql:// URL must carry hostaddr=" + entry->loopback +
                          " (e.g. ...?hostaddr=" + entry->loopback +
                          "&sslmode=verify-full): the enclave has no DNS, and connecting by the loopback address "
                          "alone would make TLS check the server certificate (e.g. an RDS one) against 127.0.0.x "
                          "instead of " + f.host + ". A key-value string (host=… port=…) gets it added automatically");
  }
  return conninfo + " hostaddr=" + entry->loopback;
}

std::string describe_conninfo(const std::string& url) {
  if (url.rfind("env:", 0) == 0) return "(from " + url + ")";
  static const std::regex key_value(R"((password\s*=\s*)('[^']*'|\S+))");
  static const std::regex url_userinfo(R"((://[^:/@]+:)[^@]*@)");
  return std::regex_replace(std::regex_replace(url, key_value, "$1***"), url_userinfo, "$1***@");
}

Result<std::unique_ptr<slashing::SlashingStore>> open_slashing_store(const Config& config) {
  const ssz::Network* network = ssz::find_network(config.network);
  if (network == nullptr) return Error::invalid("unknown network '" + config.network + "'");
  const auto& as = config.anti_slashing;
  if (as.backend == "postgres") {
    auto conninfo = resolve_conninfo_secrets(as.url);
    if (!conninfo) return conninfo.error();
    slashing::PostgresOptions options;
    options.conninfo = std::move(conninfo).value();
    options.pool_size = as.pool_size;
    options.db_timeout = std::chrono::milliseconds(as.timeout_ms);
    options.max_batch = as.max_batch;
    options.genesis_validators_root = network->genesis_validators_root;
    return slashing::open_postgres_store(options);
  }
  if (as.backend == "dynamodb") {
    auto transport = dynamodb_transport(config, std::chrono::milliseconds(as.timeout_ms));
    if (!transport) return transport.error();
    slashing::DynamoDbOptions options;
    options.table = as.table;
    options.workers = std::max<std::size_t>(as.pool_size, 1) * 2;  // each waits on round trips, not CPU
    options.timeout = std::chrono::milliseconds(as.timeout_ms);
    options.genesis_validators_root = network->genesis_validators_root;
    return slashing::open_dynamodb_store(std::move(*transport), options);
  }
  slashing::SqliteOptions options;
  options.path = as.path;
  options.max_batch = as.max_batch;
  options.genesis_validators_root = network->genesis_validators_root;
  return slashing::open_sqlite_store(options);
}

namespace {

// A DynamoDB document store that keeps its transport.
class OwnedDynamoDbState final : public state::DocumentStore {
 public:
  OwnedDynamoDbState(std::shared_ptr<aws::Transport> transport, std::unique_ptr<state::DynamoDbDocumentStore> store)
      : transport_(std::move(transport)), store_(std::move(store)) {}
  std::string describe() const override { return store_->describe(); }
  Result<std::optional<state::Document>> get(std::string_view name) override { return store_->get(name); }
  Result<bool> put(std::string_view name, std::string_view content, std::uint64_t expected) override {
    return store_->put(name, content, expected);
  }
  std::optional<std::string> change_stamp(std::string_view name) override { return store_->change_stamp(name); }

 private:
  std::shared_ptr<aws::Transport> transport_;
  std::unique_ptr<state::DynamoDbDocumentStore> store_;
};

}  // namespace

Result<std::unique_ptr<state::DocumentStore>> open_signer_state(const Config& config) {
  if (config.signer_state.backend == "dynamodb") {
    auto transport = dynamodb_transport(config);
    if (!transport) return transport.error();
    auto store = state::DynamoDbDocumentStore::open(**transport, config.signer_state.table);
    if (!store) return store.error();
    return std::unique_ptr<state::DocumentStore>(
        std::make_unique<OwnedDynamoDbState>(std::move(*transport), std::move(*store)));
  }
  auto store = state::FileDocumentStore::open(config.signer_state.path);
  if (!store) return store.error();
  return std::unique_ptr<state::DocumentStore>(std::move(*store));
}

}  // namespace cc::app
