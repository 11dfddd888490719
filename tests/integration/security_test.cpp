// The security review's claims (docs/security.md) checked against the real binary: one signer
// with every API enabled (filesystem keys, the DynamoDB key source and chamber on dynalite and the
// KMS simulator, the Key Manager API, runtime auth), logging at trace level, driven through
// keystore loading, chamber init, token creation, keystore import and signing. Then: no secret
// appears in its log; every route of the router needs a scope except the listed public ones; the
// process cannot dump core; request limits answer 4xx; its files are private.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <boost/json.hpp>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

#include "chamber_rig.hpp"
#include "crypto/keystore.hpp"
#include "requests.hpp"

namespace cc::test {
namespace {

constexpr const char* kImportPassword = "import-password-7f3c9a1e";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// The big-endian secret scalar of a keystore, as lower-case hex.
std::string secret_hex(const std::filesystem::path& keystore, const std::string& password) {
  auto parsed = crypto::parse_keystore(read_file(keystore));
  if (!parsed) return "";
  auto key = crypto::decrypt_keystore(*parsed, password);
  if (!key) return "";
  const auto secret = key->export_secret();
  return to_hex(Bytes<32>(*reinterpret_cast<const Bytes<32>*>(secret.data()))).substr(2);
}

std::vector<std::filesystem::path> keystores_in(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() == ".json") out.push_back(e.path());
  }
  return out;
}

std::size_t count(const std::string& haystack, const std::string& needle) {
  std::size_t n = 0;
  for (auto at = haystack.find(needle); at != std::string::npos; at = haystack.find(needle, at + 1)) ++n;
  return n;
}

class SecurityReview : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    rig_ = new ChamberRig("security");
    ASSERT_TRUE(rig_->start());
    const auto dir = rig_->dir() / "signer";
    ASSERT_EQ(generate_keys(dir, 2).size(), 2u);
    std::filesystem::permissions(dir / "keys", std::filesystem::perms(0755));  // draws the start-up warning
    for (const auto& k : keystores_in(dir / "keys")) secrets_.push_back(secret_hex(k, "integration-test-password"));
    secrets_.push_back("integration-test-password");
    secrets_.push_back(ChamberRig::kSecret);  // the AWS secret access key

    signer_ = new SignerInstance(dir,
                                 rig_->args({"--logging-level", "trace", "--http-key-manager-api-enabled", "true",
                                             "--chamber-keys-generate-enabled", "true"}),
                                 rig_->env());
    std::string error;
    ASSERT_TRUE(signer_->start(error)) << error;
    const auto log = signer_->process().log();
    const auto at = log.find("setup_token=");
    ASSERT_NE(at, std::string::npos) << log;
    setup_token_ = log.substr(at + 12, log.find_first_not_of("cc-setup0123456789abcdef", at + 12) - (at + 12));

    // Chamber init (KMS shares of a fresh master key), then a policy and a client token.
    management_ = rig_->init(*signer_);
    ASSERT_FALSE(management_.empty()) << signer_->process().log();
    secrets_.push_back(management_);
    auto admin = signer_->client();
    admin.set_authorization("Bearer " + management_);
    auto policy = admin.post("/api/v1/chamber/auth/policies", R"({"name":"all","rules":[{"effect":"allow"}]})");
    ASSERT_EQ(policy.status, 201u) << policy.body;
    auto none = admin.post("/api/v1/chamber/auth/policies",
                           R"({"name":"none","rules":[{"effect":"allow","scopes":["sign"],"keys":["0x)" +
                               std::string(96, 'b') + R"("]}]})");
    ASSERT_EQ(none.status, 201u) << none.body;
    client_token_ = token(admin, "vc", "all");
    scopeless_token_ = token(admin, "nothing", "none");
    secrets_.push_back(client_token_);
    secrets_.push_back(scopeless_token_);

    // Key Manager import of a keystore whose secret and password the test knows.
    const auto spare = rig_->dir() / "spare";
    auto [code, out] = run_command({binary_path(), "keys", "generate", "--count", "1", "--out", spare.string(),
                                    "--password", kImportPassword, "--insecure-fast-kdf"});
    ASSERT_EQ(code, 0) << out;
    const auto imported = keystores_in(spare).at(0);
    secrets_.push_back(secret_hex(imported, kImportPassword));
    secrets_.push_back(kImportPassword);
    auto vc = signer_->client();
    vc.set_authorization("Bearer " + client_token_);
    const boost::json::object body{{"keystores", boost::json::array{boost::json::string(read_file(imported))}},
                                   {"passwords", boost::json::array{kImportPassword}}};
    auto import = vc.post("/eth/v1/keystores", boost::json::serialize(body));
    ASSERT_EQ(import.status, 200u) << import.body;
    // Signing with a filesystem key, and a generated chamber key.
    auto keys = vc.get("/api/v1/eth2/publicKeys");
    ASSERT_EQ(keys.status, 200u) << keys.body;
    const auto first = boost::json::parse(keys.body).as_array().at(0).as_string();
    auto signed_ = vc.post("/api/v1/eth2/sign/" + std::string(first), randao(1));
    ASSERT_EQ(signed_.status, 200u) << signed_.body;
    auto generated = vc.post("/api/v1/chamber/keys/generate", R"({"count":1})");
    EXPECT_EQ(generated.status, 200u) << generated.body;
    for (const auto& s : secrets_) ASSERT_FALSE(s.empty());
  }
  static void TearDownTestSuite() {
    delete signer_;
    delete rig_;
  }
  static std::string token(HttpClient& admin, const std::string& name, const std::string& policy) {
    auto r = admin.post("/api/v1/chamber/auth/tokens",
                        R"({"name":")" + name + R"(","kind":"client","policies":[")" + policy + R"("]})");
    EXPECT_EQ(r.status, 201u) << r.body;
    if (r.status != 201) return "";
    return std::string(boost::json::parse(r.body).at("token").as_string());
  }

  static inline ChamberRig* rig_ = nullptr;
  static inline SignerInstance* signer_ = nullptr;
  static inline std::vector<std::string> secrets_;
  static inline std::string setup_token_, management_, client_token_, scopeless_token_;
};

TEST_F(SecurityReview, NoSecretInTheLogAtTraceLevel) {
  const auto log = signer_->process().log();
  ASSERT_NE(log.find("key directory"), std::string::npos) << "the log is not the signer's: " << log.substr(0, 2000);
  for (const auto& secret : secrets_) {
    std::string upper = secret;
    for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    EXPECT_EQ(log.find(secret), std::string::npos) << "a secret (" << secret.substr(0, 6) << "…) is in the log";
    EXPECT_EQ(log.find(upper), std::string::npos) << "a secret (" << secret.substr(0, 6) << "…) is in the log";
  }
  // The one-time setup token is logged on purpose (the bootstrap credential, useless once
  // exchanged or once init has run), and only in its own line.
  EXPECT_EQ(count(log, setup_token_), 1u);
}

// ---- every route needs a scope --------------------------------------------------------------

struct Route {
  std::string method;
  std::string path;  // a prefix route is listed with a path under it
  std::string body;
  bool open = false;  // answered without any credential
};

// Every route the router serves. The probes are open by design (liveness/readiness carry no
// secrets); /metrics is a separate listener (metrics.listen_port), open likewise. The chamber's
// init, register and the Auth API's root-token take one-time bootstrap credentials (setup or
// registration token) instead of a scope: without one they answer 401 like any other route.
std::vector<Route> routes(const std::string& key) {
  return {
      {"GET", "/upcheck", "", true},
      {"GET", "/healthcheck", "", true},
      {"POST", "/api/v1/eth2/sign/" + key, randao(2)},
      {"POST", "/api/v1/eth2/sign", R"({"identifiers":[")" + key + R"("],"signing_request":)" + randao(2) + "}"},
      {"POST", "/reload", ""},
      {"GET", "/reload", ""},
      {"GET", "/api/v1/eth2/publicKeys", ""},
      {"GET", "/api/v1/eth2/highWatermark", ""},
      {"GET", "/api/v1/chamber/status", ""},
      {"GET", "/eth/v1/keystores", ""},
      {"POST", "/eth/v1/keystores", R"({"keystores":[],"passwords":[]})"},
      {"DELETE", "/eth/v1/keystores", R"({"pubkeys":[]})"},
      {"GET", "/api/v1/chamber/keys", ""},
      {"POST", "/api/v1/chamber/keys", "{}"},
      {"PATCH", "/api/v1/chamber/keys", "{}"},
      {"DELETE", "/api/v1/chamber/keys", "{}"},
      {"POST", "/api/v1/chamber/keys/generate", R"({"count":1})"},
      {"POST", "/api/v1/chamber/init", "{}"},
      {"POST", "/api/v1/chamber/seal", "{}"},
      {"POST", "/api/v1/chamber/unseal", "{}"},
      {"POST", "/api/v1/chamber/register", "{}"},
      {"POST", "/api/v1/chamber/rotate/master-key", "{}"},
      {"POST", "/api/v1/chamber/auth/root-token", "{}"},
      {"GET", "/api/v1/chamber/auth/tokens", ""},
      {"POST", "/api/v1/chamber/auth/tokens", "{}"},
      {"GET", "/api/v1/chamber/auth/policies", ""},
      {"DELETE", "/api/v1/chamber/auth/tokens/x", ""},
  };
}

HttpResult send(HttpClient& http, const Route& r) {
  if (r.method == "GET") return http.get(r.path, "application/json");
  if (r.method == "POST") return http.post(r.path, r.body);
  if (r.method == "PATCH") return http.patch(r.path, r.body);
  return http.del(r.path, r.body);
}

// The paths src/api/router.cpp compares request paths with: its string literals and the
// k…Path/k…Prefix constants it uses, resolved from the API headers.
std::set<std::string> router_paths() {
  const std::string src = CC_SOURCE_DIR;
  const auto router = read_file(src + "/src/api/router.cpp");
  std::map<std::string, std::string> constants;
  const std::regex constant(R"re(constexpr std::string_view (k\w+) = "(/[^"]*)")re");
  for (const auto* header :
       {"/src/api/router.cpp", "/src/api/auth_api.hpp", "/src/api/chamber_api.hpp", "/src/api/chamber_keys_api.hpp"}) {
    const auto text = read_file(src + header);
    for (std::sregex_iterator it(text.begin(), text.end(), constant), end; it != end; ++it) {
      constants[(*it)[1]] = (*it)[2];
    }
  }
  std::set<std::string> out;
  const std::regex literal(R"re(path(?:\.rfind\(| == )"(/[^"]*)")re");
  for (std::sregex_iterator it(router.begin(), router.end(), literal), end; it != end; ++it) out.insert((*it)[1]);
  const std::regex named(R"re(path(?:\.rfind\(|\.substr\(| == )(?:\w+::)?(k\w+))re");
  for (std::sregex_iterator it(router.begin(), router.end(), named), end; it != end; ++it) {
    const auto c = constants.find((*it)[1]);
    if (c != constants.end())
      out.insert(c->second);
    else
      out.insert("unresolved constant " + std::string((*it)[1]));
  }
  return out;
}

TEST_F(SecurityReview, EveryRouteNeedsAScopeButThePublicProbes) {
  const auto listed = routes("0x" + std::string(96, 'a'));
  // Completeness: each path the router knows is covered by a listed route.
  const auto known = router_paths();
  ASSERT_GE(known.size(), 10u) << "the router's paths were not found: has router.cpp changed shape?";
  for (const auto& path : known) {
    const bool covered =
        std::any_of(listed.begin(), listed.end(), [&](const Route& r) { return r.path.rfind(path, 0) == 0; });
    EXPECT_TRUE(covered) << "router.cpp serves " << path << " but the security test does not list it";
  }
  for (const auto& r : listed) {
    SCOPED_TRACE(r.method + " " + r.path);
    for (const std::string& credential :
         std::vector<std::string>{"", "Bearer cc_token_" + std::string(64, '0'), "Basic dXNlcjpwYXNz"}) {
      auto http = signer_->client();
      http.set_authorization(credential);
      const HttpResult res = send(http, r);
      if (r.open) {
        EXPECT_NE(res.status, 401u) << res.body;
        EXPECT_NE(res.status, 0u);
      } else {
        EXPECT_EQ(res.status, 401u) << "credential '" << credential.substr(0, 12) << "': " << res.body;
      }
    }
    // A valid token whose policy grants none of the scopes is refused as well (403), except by
    // the bootstrap routes, which do not take tokens at all (401).
    if (r.open) continue;
    auto http = signer_->client();
    http.set_authorization("Bearer " + scopeless_token_);
    const HttpResult res = send(http, r);
    EXPECT_TRUE(res.status == 403u || res.status == 401u) << res.status << " " << res.body;
  }
}

// ---- core dumps -----------------------------------------------------------------------------

TEST_F(SecurityReview, TheSignerCannotDumpCore) {
  const auto limits = read_file("/proc/" + std::to_string(signer_->process().pid()) + "/limits");
  std::smatch m;
  ASSERT_TRUE(std::regex_search(limits, m, std::regex(R"(Max core file size\s+(\S+)\s+(\S+))"))) << limits;
  EXPECT_EQ(m[1], "0");
  EXPECT_EQ(m[2], "0");
}

// ---- request limits -------------------------------------------------------------------------

TEST_F(SecurityReview, OversizedOrAbusiveRequestsGet4xx) {
  auto vc = signer_->client();
  vc.set_authorization("Bearer " + client_token_);
  const std::string sign = "/api/v1/eth2/sign/0x" + std::string(96, 'a');
  // Body over 1 MiB.
  auto big = vc.post(sign, std::string(2 << 20, ' '));
  EXPECT_EQ(big.status, 413u) << big.body;
  // JSON nested beyond the parser's depth limit.
  auto deep = vc.post(sign, std::string(100000, '[') + std::string(100000, ']'));
  EXPECT_EQ(deep.status, 400u) << deep.body.substr(0, 200);
  EXPECT_NE(deep.body.find("\"message\""), std::string::npos);
  // Headers over the parser's limit: 4xx and the connection closed.
  auto raw = HttpClient("127.0.0.1", signer_->port())
                 .raw("GET /upcheck HTTP/1.1\r\nHost: x\r\nX-Big: " + std::string(64 * 1024, 'a') + "\r\n\r\n");
  EXPECT_EQ(raw.rfind("HTTP/1.1 4", 0), 0u) << raw.substr(0, 200);
  // The signer is still fine.
  EXPECT_EQ(signer_->client().get("/upcheck").status, 200u);
}

// ---- file permissions -----------------------------------------------------------------------

mode_t mode_of(const std::filesystem::path& p) {
  struct stat st {};
  return ::stat(p.c_str(), &st) == 0 ? (st.st_mode & 07777) : 07777;
}

TEST_F(SecurityReview, PrivateFilesAndAWarningForASharedKeyDirectory) {
  const auto data = signer_->dir() / "data";
  EXPECT_EQ(mode_of(data / "slashing.sqlite"), 0600u);
  EXPECT_EQ(mode_of(data / "slashing.sqlite-wal") & 077, 0u);
  EXPECT_EQ(mode_of(data) & 077, 0u) << std::oct << mode_of(data);
  const auto log = signer_->process().log();
  EXPECT_NE(
      log.find("key directory " + (signer_->dir() / "keys").string() + " is accessible to other users (mode 755)"),
      std::string::npos);
}

// Idle connections cannot pile up: beyond server.max_connections a new connection is answered
// 503 (JSON naming the setting) and closed; once one closes, the next is served again.
TEST(SecurityLimits, ConnectionsBeyondTheLimitGet503AndAreClosed) {
  auto dir = make_temp_dir("connlimit");
  ASSERT_EQ(generate_keys(dir, 1).size(), 1u);
  SignerInstance signer(dir, {"--server-max-connections", "8"});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the start-up probes' connections close
  boost::asio::io_context io;
  const boost::asio::ip::tcp::endpoint at(boost::asio::ip::make_address("127.0.0.1"), signer.port());
  std::vector<std::unique_ptr<boost::asio::ip::tcp::socket>> idle;
  for (int i = 0; i < 8; ++i) {
    idle.push_back(std::make_unique<boost::asio::ip::tcp::socket>(io));
    idle.back()->connect(at);
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(200));  // accepted and tracked
  auto refused = HttpClient("127.0.0.1", signer.port()).raw("GET /upcheck HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(refused.rfind("HTTP/1.1 503", 0), 0u) << refused;
  EXPECT_NE(refused.find("server.max_connections"), std::string::npos) << refused;
  idle.pop_back();  // one goes away
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_EQ(signer.client().get("/upcheck").status, 200u);
  EXPECT_TRUE(signer.process().wait_for_log("refusing connections", std::chrono::seconds(5)));
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
