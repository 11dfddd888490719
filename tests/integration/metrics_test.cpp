// The metrics listener of the real binary: GET /metrics follows the text format, the counters
// move with the right labels when the signer signs, refuses for slashing or refuses credentials,
// the gauges say how many keys are active and whether the signer is healthy, other paths and
// methods are refused, a taken port stops start-up, and every metric the Grafana dashboard and
// the Prometheus alert rules in deploy/ use is one the binary exposes.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <boost/asio.hpp>
#include <boost/json.hpp>
#include <cmath>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "../support/dynamo_test_server.hpp"
#include "../support/exposition_reader.hpp"
#include "keys/dynamodb_source.hpp"
#include "kms_simulator.hpp"
#include "requests.hpp"
#include "seal/kms_wrapper.hpp"
#include "chamber_rig.hpp"
#include "server_fixture.hpp"
#include "state/dynamodb_store.hpp"

namespace cc::test {
namespace {

constexpr const char* kToken = "metrics-test-token-0123456789";

ParsedExposition scrape(std::uint16_t port) {
  HttpClient http("127.0.0.1", port);
  auto r = http.get("/metrics");
  EXPECT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(r.content_type, "text/plain; version=0.0.4; charset=utf-8");
  auto parsed = parse_exposition(r.body);
  EXPECT_TRUE(parsed.errors.empty()) << parsed.errors.front() << "\n" << r.body;
  return parsed;
}

// Polls until `name{labels}` has `want` (gauges refreshed in the background), or gives up.
double wait_for_value(std::uint16_t port, const std::string& name, const std::map<std::string, std::string>& labels,
                      double want) {
  double v = std::nan("");
  for (int i = 0; i < 200; ++i) {
    v = scrape(port).value(name, labels);
    if (v == want) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return v;
}

class MetricsTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(make_temp_dir("metrics"));
    keys_ = new std::vector<std::string>(generate_keys(*dir_, 3));
    ASSERT_EQ(keys_->size(), 3u);
    signer_ = new SignerInstance(*dir_, {"--server-max-pending-requests", "777", "--metrics-refresh-interval-seconds",
                                         "1", "--http-key-manager-api-enabled", "true"});
    std::string error;
    ASSERT_TRUE(signer_->start(error)) << error;
    port_ = signer_->metrics_port();
    ASSERT_NE(port_, 0) << signer_->process().log();
  }
  static void TearDownTestSuite() {
    delete signer_;
    delete keys_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string sign_path(std::size_t k) { return "/api/v1/eth2/sign/" + (*keys_)[k]; }
  static inline std::filesystem::path* dir_ = nullptr;
  static inline std::vector<std::string>* keys_ = nullptr;
  static inline SignerInstance* signer_ = nullptr;
  static inline std::uint16_t port_ = 0;
};

TEST_F(MetricsTest, ExposesEveryDocumentedFamilyWithItsType) {
  const auto m = scrape(port_);
  const std::map<std::string, std::string> expected{
      {"containment_signing_requests_total", "counter"},
      {"containment_signing_duration_seconds", "histogram"},
      {"containment_slashing_rejections_total", "counter"},
      {"containment_signing_semaphore_available", "gauge"},
      {"containment_signing_concurrency_limit", "gauge"},
      {"containment_canary_signing_total", "counter"},
      {"containment_auth_rejections_total", "counter"},
      {"containment_keys_active", "gauge"},
      {"containment_key_loading_duration_seconds", "gauge"},
      {"containment_key_load_failures_total", "counter"},
      {"containment_healthy", "gauge"},
      {"containment_signer_state", "gauge"},
      {"containment_anti_slashing_duration_seconds", "histogram"},
      {"containment_anti_slashing_checks_total", "counter"},
      {"containment_anti_slashing_commits_total", "counter"},
      {"containment_anti_slashing_failed_commits_total", "counter"},
      {"containment_aws_errors_total", "counter"},
  };
  for (const auto& [name, type] : expected) {
    ASSERT_TRUE(m.types.count(name)) << name << " is not exposed";
    EXPECT_EQ(m.types.at(name), type) << name;
    EXPECT_FALSE(m.help.at(name).empty()) << name;
  }
  EXPECT_EQ(m.value("containment_signing_concurrency_limit"), 777);
  EXPECT_EQ(m.value("containment_keys_active", {{"source", "filesystem"}}), 3);
  EXPECT_EQ(m.value("containment_keys_active", {{"source", "memory"}}), 0);
  EXPECT_EQ(m.value("containment_key_load_failures_total", {{"source", "filesystem"}}), 0);
  EXPECT_GE(m.value("containment_key_loading_duration_seconds", {{"source", "filesystem"}}), 0);
  // File keystores only: nothing is sealed.
  EXPECT_EQ(m.value("containment_signer_state", {{"state", "not_configured"}}), 1);
  EXPECT_EQ(m.value("containment_signer_state", {{"state", "unsealed"}}), 0);
  EXPECT_EQ(m.value("containment_signer_state", {{"state", "sealed"}}), 0);
  // Every slashing rule is there from the start, at 0.
  EXPECT_EQ(m.value("containment_slashing_rejections_total", {{"rule", "surrounding_vote"}}), 0);
  EXPECT_EQ(wait_for_value(port_, "containment_healthy", {}, 1), 1);
}

TEST_F(MetricsTest, SigningMovesTheCountersWithStatusAndOperation) {
  auto http = signer_->client();
  auto before = scrape(port_);
  auto count = [](const ParsedExposition& m, const std::string& status, const std::string& op) {
    const auto v = m.value("containment_signing_requests_total", {{"status", status}, {"operation", op}});
    return std::isnan(v) ? 0.0 : v;
  };
  auto histogram_count = [](const ParsedExposition& m, const std::string& name, const std::string& label,
                            const std::string& value) {
    const auto v = m.value(name + "_count", {{label, value}});
    return std::isnan(v) ? 0.0 : v;
  };

  ASSERT_EQ(http.post(sign_path(0), attestation(10, 11, 1)).status, 200u);
  ASSERT_EQ(http.post(sign_path(0), attestation(11, 12, 1)).status, 200u);
  ASSERT_EQ(http.post(sign_path(0), block_header(100)).status, 200u);
  // Same target, another root: a double vote, refused.
  auto refused = http.post(sign_path(0), attestation(11, 12, 9));
  ASSERT_EQ(refused.status, 412u) << refused.body;
  // A key nobody loaded, and a body that is not a signing request.
  ASSERT_EQ(http.post("/api/v1/eth2/sign/0x" + std::string(96, 'a'), attestation(1, 2)).status, 404u);
  ASSERT_EQ(http.post(sign_path(1), "{not json").status, 400u);

  const auto after = scrape(port_);
  EXPECT_EQ(count(after, "200", "ATTESTATION") - count(before, "200", "ATTESTATION"), 2);
  EXPECT_EQ(count(after, "200", "BLOCK_V2") - count(before, "200", "BLOCK_V2"), 1);
  EXPECT_EQ(count(after, "412", "ATTESTATION") - count(before, "412", "ATTESTATION"), 1);
  EXPECT_EQ(count(after, "404", "ATTESTATION") - count(before, "404", "ATTESTATION"), 1);
  EXPECT_EQ(count(after, "400", "unknown") - count(before, "400", "unknown"), 1);
  EXPECT_EQ(after.value("containment_slashing_rejections_total", {{"rule", "double_vote"}}) -
                before.value("containment_slashing_rejections_total", {{"rule", "double_vote"}}),
            1);
  EXPECT_EQ(after.value("containment_slashing_rejections_total", {{"rule", "surrounding_vote"}}), 0);
  const auto timed = [&](const ParsedExposition& m) {
    return histogram_count(m, "containment_signing_duration_seconds", "operation", "ATTESTATION");
  };
  EXPECT_EQ(timed(after) - timed(before), 4);  // 2 signed, 1 refused, 1 unknown key
  // The database saw the four slashable messages (the unknown key never reached it).
  const auto db = [&](const ParsedExposition& m) {
    return histogram_count(m, "containment_anti_slashing_duration_seconds", "backend", "sqlite");
  };
  EXPECT_EQ(db(after) - db(before), 4);
  EXPECT_GT(after.value("containment_anti_slashing_duration_seconds_sum", {{"backend", "sqlite"}}), 0);
  // And recorded them in at least one transaction and at most one each, none failing.
  const auto store_count = [&](const ParsedExposition& m, const char* name) {
    return m.value(name, {{"backend", "sqlite"}});
  };
  EXPECT_EQ(store_count(after, "containment_anti_slashing_checks_total") -
                store_count(before, "containment_anti_slashing_checks_total"),
            4);
  const auto commits = store_count(after, "containment_anti_slashing_commits_total") -
                       store_count(before, "containment_anti_slashing_commits_total");
  EXPECT_GE(commits, 1);
  EXPECT_LE(commits, 4);
  EXPECT_EQ(store_count(after, "containment_anti_slashing_failed_commits_total"), 0);
  EXPECT_EQ(after.value("containment_signing_semaphore_available"), 777) << "nothing in flight any more";
  EXPECT_EQ(after.value("containment_auth_rejections_total"), 0) << "an open signer rejects no credentials";
}

TEST_F(MetricsTest, ListenerServesOnlyGetMetrics) {
  HttpClient http("127.0.0.1", port_);
  auto other = http.get("/healthcheck");
  EXPECT_EQ(other.status, 404u);
  EXPECT_NE(other.body.find("/metrics"), std::string::npos) << other.body;
  EXPECT_EQ(http.post("/metrics", "{}").status, 405u);
  EXPECT_EQ(http.get("/metrics?name=x").status, 200u);
  // The signing port does not serve metrics.
  EXPECT_EQ(signer_->client().get("/metrics").status, 404u);
  // Malformed HTTP gets 400 and the listener keeps serving.
  EXPECT_NE(http.raw("NOT HTTP AT ALL\r\n\r\n").find("400"), std::string::npos);
  EXPECT_EQ(HttpClient("127.0.0.1", port_).get("/metrics").status, 200u);
}

// The number of memory keys follows Key Manager imports.
TEST_F(MetricsTest, KeysActiveCountsMemoryKeys) {
  auto before = scrape(port_).value("containment_keys_active", {{"source", "memory"}});
  auto gen = make_temp_dir("metrics-import");
  auto extra = generate_keys(gen, 1);
  ASSERT_EQ(extra.size(), 1u);
  std::string keystore_file;
  for (const auto& e : std::filesystem::directory_iterator(gen / "keys")) {
    if (e.path().extension() == ".json") keystore_file = e.path().string();
  }
  std::ifstream in(keystore_file);
  std::stringstream keystore;
  keystore << in.rdbuf();
  boost::json::object body{{"keystores", boost::json::array{keystore.str()}},
                           {"passwords", boost::json::array{"integration-test-password"}}};
  auto r = signer_->client().post("/eth/v1/keystores", boost::json::serialize(body));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(scrape(port_).value("containment_keys_active", {{"source", "memory"}}), before + 1);
  EXPECT_EQ(scrape(port_).value("containment_keys_active", {{"source", "filesystem"}}), 3);
  std::filesystem::remove_all(gen);
}

TEST(Metrics, AuthRejectionsAreCounted) {
  auto dir = make_temp_dir("metrics-auth");
  auto keys = generate_keys(dir, 1);
  ASSERT_EQ(keys.size(), 1u);
  std::ofstream(dir / "auth.yaml") << "auth:\n  policies:\n    - name: reader\n      token: " << kToken
                                   << "\n      rules:\n        - {effect: allow, scopes: [public_keys]}\n";
  SignerInstance signer(dir, {"--config", (dir / "auth.yaml").string()});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  const auto port = signer.metrics_port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(scrape(port).value("containment_auth_rejections_total"), 0);

  auto anonymous = signer.client();
  EXPECT_EQ(anonymous.post("/api/v1/eth2/sign/" + keys[0], randao(1)).status, 401u);
  auto reader = signer.client();
  reader.set_authorization(std::string("Bearer ") + kToken);
  EXPECT_EQ(reader.get("/api/v1/eth2/publicKeys").status, 200u);
  EXPECT_EQ(reader.post("/api/v1/eth2/sign/" + keys[0], randao(1)).status, 403u);
  EXPECT_EQ(anonymous.get("/api/v1/eth2/publicKeys").status, 401u);
  auto wrong = signer.client();
  wrong.set_authorization("Bearer not-the-token-0123456789");
  EXPECT_EQ(wrong.get("/api/v1/eth2/publicKeys").status, 401u);

  const auto m = scrape(port);
  EXPECT_EQ(m.value("containment_auth_rejections_total"), 4);
  EXPECT_EQ(m.value("containment_signing_requests_total", {{"status", "401"}, {"operation", "unknown"}}), 1);
  EXPECT_EQ(m.value("containment_signing_requests_total", {{"status", "403"}, {"operation", "unknown"}}), 1);
  // Probes are open and not rejections.
  EXPECT_EQ(anonymous.get("/healthcheck").status, 200u);
  EXPECT_EQ(scrape(port).value("containment_auth_rejections_total"), 4);
  std::filesystem::remove_all(dir);
}

// The DynamoDB key source under a KMS-only chamber: the seal state, the keys it loads, and AWS
// errors (a KMS key that fails its Decrypt on restart) as the real binary reports them.
TEST(Metrics, SealStateDynamoDbKeysAndAwsErrors) {
  ChamberRig rig("metrics-seal");
  ASSERT_TRUE(rig.start());
  const auto& dir = rig.dir();
  auto* dynamo = &rig.dynamo();
  auto& kms = rig.kms();
  const auto& arns = rig.arns();
  // Health is re-read at a key source's first load and then every refresh interval: the keys
  // below arrive after the DynamoDB source's first load, so a 1 s interval bounds the wait.
  const auto args = rig.args({"--key-sources-dynamodb-refresh-interval-seconds", "1",
                              "--metrics-refresh-interval-seconds", "1"});
  const auto env = rig.env();
  auto signer = std::make_unique<SignerInstance>(dir, args, env);
  std::string error;
  ASSERT_TRUE(signer->start(error, false)) << error;
  auto port = signer->metrics_port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(wait_for_value(port, "containment_chamber_init_total", {}, 0), 0);
  EXPECT_EQ(wait_for_value(port, "containment_signer_state", {{"state", "uninitialized"}}, 1), 1);
  EXPECT_EQ(scrape(port).value("containment_signer_state", {{"state", "not_configured"}}), 0);

  ASSERT_TRUE(signer->process().wait_for_log("setup_token=cc-setup-", std::chrono::seconds(10)));
  std::smatch m;
  const auto log = signer->process().log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("setup_token=(cc-setup-[0-9a-f]+)")));
  auto [init_code, init_out] =
      run_command({binary_path(), "operator", "init", "--setup-token", m[1], "--kms-key-arns",
                   arns[0] + "," + arns[1] + "," + arns[2], "--kms-threshold", "2", "--signer-url",
                   "http://127.0.0.1:" + std::to_string(signer->port()), "--allow-plaintext-signer"});
  ASSERT_EQ(init_code, 0) << init_out;
  EXPECT_EQ(wait_for_value(port, "containment_signer_state", {{"state", "unsealed"}}, 1), 1);
  EXPECT_EQ(scrape(port).value("containment_signer_state", {{"state", "uninitialized"}}), 0);
  // The chamber's own counters, read from it at each scrape.
  const auto chamber = scrape(port);
  EXPECT_EQ(chamber.value("containment_chamber_init_total"), 1);
  EXPECT_EQ(chamber.value("containment_chamber_seal_total"), 0);
  for (const char* family : {"containment_chamber_unseal_total", "containment_chamber_unseal_shares_total",
                             "containment_chamber_rotation_total"}) {
    EXPECT_EQ(chamber.types.count(family), 1u) << family;
  }

  // Two keys stored under the master key, as any replica would: the source loads them.
  auto state = state::DynamoDbDocumentStore::open(*dynamo, "state");
  ASSERT_TRUE(state.ok());
  seal::Chamber mine(**state, rig.wrappers());
  ASSERT_TRUE(mine.open().ok());
  keys::KeyRegistry scratch;
  keys::DynamoDbKeySource writer(*dynamo, "keys", scratch, [&] { return mine.master_key(); });
  for (int i = 0; i < 2; ++i) ASSERT_TRUE(writer.store(crypto::SecretKey::generate(), false).ok());
  EXPECT_EQ(wait_for_value(port, "containment_keys_active", {{"source", "dynamodb"}}, 2), 2);
  EXPECT_EQ(wait_for_value(port, "containment_healthy", {}, 1), 1);
  EXPECT_GE(scrape(port).value("containment_key_loading_duration_seconds", {{"source", "dynamodb"}}), 0);
  EXPECT_EQ(scrape(port).value("containment_key_load_failures_total", {{"source", "dynamodb"}}), 0);

  // Two of three KMS keys unavailable at restart: the master key cannot be rebuilt, the chamber
  // stays sealed with no DynamoDB key loaded, and the failed Decrypt calls are counted.
  kms.set_unavailable(arns[0], true);
  kms.set_unavailable(arns[1], true);
  signer = std::make_unique<SignerInstance>(dir, args, env);
  ASSERT_TRUE(signer->start(error, false)) << error;
  port = signer->metrics_port();
  ASSERT_NE(port, 0);
  EXPECT_EQ(wait_for_value(port, "containment_signer_state", {{"state", "sealed"}}, 1), 1) << signer->process().log();
  EXPECT_EQ(scrape(port).value("containment_signer_state", {{"state", "unsealed"}}), 0);
  EXPECT_EQ(scrape(port).value("containment_keys_active", {{"source", "dynamodb"}}), 0);
  const auto after = scrape(port);
  EXPECT_GE(after.value("containment_aws_errors_total", {{"service", "kms"}, {"operation", "Decrypt"}}), 1)
      << "the unavailable KMS keys' Decrypt calls failed";
  EXPECT_TRUE(std::isnan(after.value("containment_aws_errors_total", {{"service", "dynamodb"}, {"operation", "Scan"}})))
      << "no DynamoDB failure happened";
  signer.reset();
}

TEST(Metrics, ATakenMetricsPortStopsStartUpNamingIt) {
  boost::asio::io_context io;
  boost::asio::ip::tcp::acceptor taken(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
  const auto port = std::to_string(taken.local_endpoint().port());
  auto dir = make_temp_dir("metrics-port");
  auto [code, out] =
      run_command({binary_path(), "server", "--server-listen-address", "127.0.0.1", "--server-listen-port", "0",
                   "--metrics-listen-address", "127.0.0.1", "--metrics-listen-port", port, "--anti-slashing-path",
                   (dir / "db.sqlite").string(), "--signer-state-path", (dir / "state").string()});
  EXPECT_EQ(code, 1) << out;
  EXPECT_NE(out.find("127.0.0.1:" + port), std::string::npos) << out;
  EXPECT_NE(out.find("metrics"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

// Every containment_* name in the dashboard's queries and the alert rules' expressions is a
// family the binary exposes (histogram names with their _bucket/_sum/_count suffixes).
std::set<std::string> names_in(const std::string& text) {
  static const std::regex name(R"(containment_[a-z_]+)");
  std::set<std::string> out;
  for (auto it = std::sregex_iterator(text.begin(), text.end(), name); it != std::sregex_iterator(); ++it) {
    out.insert(it->str());
  }
  return out;
}

std::string family_name(const std::string& n, const std::map<std::string, std::string>& types) {
  for (const std::string suffix : {"_bucket", "_sum", "_count"}) {
    if (n.size() > suffix.size() && n.ends_with(suffix)) {
      const auto base = n.substr(0, n.size() - suffix.size());
      if (types.count(base) && types.at(base) == "histogram") return base;
    }
  }
  return n;
}

void collect_exprs(const boost::json::value& v, std::string& out) {
  if (v.is_object()) {
    for (const auto& [k, child] : v.as_object()) {
      if ((k == "expr" || k == "query") && child.is_string()) out += std::string(child.as_string()) + "\n";
      collect_exprs(child, out);
    }
  } else if (v.is_array()) {
    for (const auto& child : v.as_array()) collect_exprs(child, out);
  }
}

TEST_F(MetricsTest, DashboardAndAlertsUseOnlyExposedMetrics) {
  const auto m = scrape(port_);
  const std::filesystem::path deploy = std::filesystem::path(CC_SOURCE_DIR) / "deploy";

  std::ifstream dash_file(deploy / "grafana" / "containment-chamber.json");
  ASSERT_TRUE(dash_file) << "deploy/grafana/containment-chamber.json is missing";
  std::stringstream dash_text;
  dash_text << dash_file.rdbuf();
  boost::system::error_code ec;
  const auto dashboard = boost::json::parse(dash_text.str(), ec);
  ASSERT_FALSE(ec) << "the dashboard is not JSON: " << ec.message();
  ASSERT_TRUE(dashboard.is_object() && dashboard.as_object().contains("panels"));
  std::string dash_exprs;
  collect_exprs(dashboard, dash_exprs);
  const auto dash_names = names_in(dash_exprs);
  EXPECT_GE(dash_names.size(), 10u) << "the dashboard shows most of the metrics";
  for (const auto& n : dash_names) {
    EXPECT_TRUE(m.types.count(family_name(n, m.types))) << "dashboard uses " << n << ", which is not exposed";
  }

  const auto alerts = YAML::LoadFile((deploy / "prometheus" / "alerts.yaml").string());
  ASSERT_TRUE(alerts["groups"].IsSequence());
  std::set<std::string> alert_names, used;
  for (const auto& group : alerts["groups"]) {
    for (const auto& rule : group["rules"]) {
      ASSERT_TRUE(rule["alert"] && rule["expr"]) << "every rule is an alert with an expression";
      EXPECT_TRUE(rule["labels"]["severity"]) << rule["alert"].as<std::string>();
      EXPECT_TRUE(rule["annotations"]["summary"]) << rule["alert"].as<std::string>();
      alert_names.insert(rule["alert"].as<std::string>());
      for (const auto& n : names_in(rule["expr"].as<std::string>())) {
        used.insert(n);
        EXPECT_TRUE(m.types.count(family_name(n, m.types)))
            << "alert " << rule["alert"].as<std::string>() << " uses " << n << ", which is not exposed";
      }
    }
  }
  for (const char* needed :
       {"containment_healthy", "containment_signer_state", "containment_slashing_rejections_total",
        "containment_auth_rejections_total", "containment_canary_signing_total", "containment_aws_errors_total"}) {
    EXPECT_TRUE(used.count(needed)) << "no alert on " << needed;
  }
}

}  // namespace
}  // namespace cc::test
