// Runtime auth over real HTTP with the real binary: the setup token logged once, exchanged with
// `operator generate-root-token`; policies and client tokens created with `operator auth …`;
// every endpoint against no token, an unknown token, a revoked token, a token without the scope
// and one with it; and a second server process sharing the signer state, which refuses a token
// revoked on the first at once.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <functional>
#include <regex>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

std::string setup_token_of(Process& p) {
  if (!p.wait_for_log("setup_token=cc-setup-", std::chrono::seconds(10))) return "";
  std::smatch m;
  const auto log = p.log();
  if (!std::regex_search(log, m, std::regex("setup_token=(cc-setup-[0-9a-f]+)"))) return "";
  return m[1];
}

// Runs `containment-chamber operator …` against `port`; returns (exit code, stdout+stderr).
std::pair<int, std::string> op(std::uint16_t port, std::vector<std::string> args, std::vector<std::string> env = {}) {
  std::vector<std::string> argv = {binary_path(), "operator"};
  argv.insert(argv.end(), args.begin(), args.end());
  argv.insert(argv.end(), {"--signer-url", "http://127.0.0.1:" + std::to_string(port), "--allow-plaintext-signer"});
  return run_command(argv, env);
}

// The JSON object printed by an operator command (stdout comes before the stderr note).
boost::json::object printed(const std::string& out) {
  const auto start = out.find('{');
  const auto end = out.rfind('}');
  if (start == std::string::npos || end == std::string::npos) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(out.substr(start, end - start + 1), ec);
  return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

std::string field(const boost::json::object& o, const char* name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : "";
}

class AuthApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(make_temp_dir("authapi"));
    keys_ = new std::vector<std::string>(generate_keys(*dir_, 2));
    ASSERT_EQ(keys_->size(), 2u);
    signer_ = new SignerInstance(*dir_, {"--http-key-manager-api-enabled", "true"});
    std::string error;
    ASSERT_TRUE(signer_->start(error)) << error;
    const auto port = signer_->port();

    // Bootstrap: the setup token from the log buys the first management token, once.
    const auto setup = setup_token_of(signer_->process());
    ASSERT_FALSE(setup.empty()) << signer_->process().log();
    auto [code, out] = op(port, {"generate-root-token", "--setup-token", "env:CC_TEST_SETUP"}, {"CC_TEST_SETUP=" + setup});
    ASSERT_EQ(code, 0) << out;
    root_ = new std::string(field(printed(out), "token"));
    ASSERT_EQ(root_->rfind("cc_token_", 0), 0u) << out;
    auto [again, again_out] = op(port, {"generate-root-token", "--setup-token", setup});
    EXPECT_EQ(again, 1) << again_out;
    EXPECT_NE(again_out.find("401"), std::string::npos) << again_out;

    // Policies: one for everything a validator client does, one that grants none of the tested scopes.
    std::ofstream(*dir_ / "all.json") << R"({"name": "all", "rules": [{"effect": "allow"}]})";
    std::ofstream(*dir_ / "none.json") << R"({"name": "none", "rules": [{"effect": "allow", "scopes": ["chamber_seal"]}]})";
    for (const char* f : {"all.json", "none.json"}) {
      auto [c, o] = op(port, {"auth", "policies", "create", "--file", (*dir_ / f).string(), "--auth-token", *root_});
      ASSERT_EQ(c, 0) << o;
    }
    auto token = [&](const std::string& name, const std::string& policy) {
      auto [c, o] = op(port, {"auth", "tokens", "create", "--name", name, "--policy", policy, "--auth-token", *root_});
      EXPECT_EQ(c, 0) << o;
      return printed(o);
    };
    allowed_ = new std::string(field(token("vc-all", "all"), "token"));
    scopeless_ = new std::string(field(token("vc-none", "none"), "token"));
    const auto doomed = token("vc-doomed", "all");
    revoked_ = new std::string(field(doomed, "token"));
    auto [rc, ro] = op(port, {"auth", "tokens", "revoke", field(doomed, "id"), "--auth-token", "env:CC_TEST_ROOT"},
                       {"CC_TEST_ROOT=" + *root_});
    ASSERT_EQ(rc, 0) << ro;
  }
  static void TearDownTestSuite() {
    delete signer_;
    for (auto* s : {root_, allowed_, scopeless_, revoked_}) delete s;
    delete keys_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline std::vector<std::string>* keys_ = nullptr;
  static inline SignerInstance* signer_ = nullptr;
  static inline std::string *root_ = nullptr, *allowed_ = nullptr, *scopeless_ = nullptr, *revoked_ = nullptr;
};

struct Endpoint {
  std::string name;
  std::function<HttpResult(HttpClient&)> call;
  bool management_only = false;  // the Auth API: client tokens never pass, whatever their policy
};

TEST_F(AuthApiTest, EveryEndpointAgainstEveryKindOfCredential) {
  const std::string key = (*keys_)[0];
  const std::vector<Endpoint> endpoints = {
      {"sign", [&](HttpClient& c) { return c.post("/api/v1/eth2/sign/" + key, randao(3)); }},
      {"publicKeys", [](HttpClient& c) { return c.get("/api/v1/eth2/publicKeys"); }},
      {"highWatermark", [](HttpClient& c) { return c.get("/api/v1/eth2/highWatermark"); }},
      {"chamber status", [](HttpClient& c) { return c.get("/api/v1/chamber/status"); }},
      {"list keystores", [](HttpClient& c) { return c.get("/eth/v1/keystores"); }},
      {"import keystores", [](HttpClient& c) { return c.post("/eth/v1/keystores", R"({"keystores":[],"passwords":[]})"); }},
      {"delete keystores", [](HttpClient& c) { return c.del("/eth/v1/keystores", R"({"pubkeys":[]})"); }},
      {"auth tokens", [](HttpClient& c) { return c.get("/api/v1/chamber/auth/tokens"); }, true},
      {"auth policies", [](HttpClient& c) { return c.get("/api/v1/chamber/auth/policies"); }, true},
  };
  for (const auto& e : endpoints) {
    SCOPED_TRACE(e.name);
    auto http = signer_->client();
    const auto none = e.call(http);
    EXPECT_EQ(none.status, 401u) << none.body;
    EXPECT_NE(none.body.find("\"message\""), std::string::npos) << "a JSON body naming the problem";
    http.set_authorization("Bearer cc_token_" + std::string(64, '0'));
    EXPECT_EQ(e.call(http).status, 401u);
    http.set_authorization("Bearer " + *revoked_);
    const auto revoked = e.call(http);
    EXPECT_EQ(revoked.status, 401u) << revoked.body;
    http.set_authorization("Bearer " + (e.management_only ? *allowed_ : *scopeless_));
    const auto forbidden = e.call(http);
    EXPECT_EQ(forbidden.status, 403u) << forbidden.body;
    http.set_authorization("Bearer " + (e.management_only ? *root_ : *allowed_));
    const auto ok = e.call(http);
    EXPECT_GE(ok.status, 200u) << ok.body;
    EXPECT_LT(ok.status, 300u) << ok.body;
  }
  // The probes stay open.
  auto http = signer_->client();
  EXPECT_EQ(http.get("/upcheck").status, 200u);
  EXPECT_EQ(http.get("/healthcheck").status, 200u);
}

TEST_F(AuthApiTest, BasicCredentialsCarryTheTokenAsPassword) {
  auto http = signer_->client();
  http.set_authorization(basic_auth("anything", *allowed_));
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + (*keys_)[1], randao(4)).status, 200u);
  http.set_authorization(basic_auth("anything", *revoked_));
  EXPECT_EQ(http.get("/api/v1/eth2/publicKeys").status, 401u);
}

TEST_F(AuthApiTest, TokensAreNeverLoggedAndListedWithoutSecrets) {
  const auto log = signer_->process().log();
  for (const auto* t : {root_, allowed_, scopeless_, revoked_}) {
    EXPECT_EQ(log.find(*t), std::string::npos) << "a token appears in the log";
  }
  auto [code, out] = op(signer_->port(), {"auth", "tokens", "list", "--auth-token", *root_});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("vc-all"), std::string::npos) << out;
  EXPECT_EQ(out.find("vc-doomed"), std::string::npos) << "revoked tokens are gone";
  EXPECT_EQ(out.find(*allowed_), std::string::npos) << "secrets are shown once, at creation";
  std::ifstream in(*dir_ / "data" / "state" / "auth.json");
  const std::string state((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_NE(state.find("vc-all"), std::string::npos);
  EXPECT_EQ(state.find(*allowed_), std::string::npos) << "only hashes are stored";
}

TEST_F(AuthApiTest, BadAuthApiRequestsGetAClearError) {
  auto http = signer_->client();
  http.set_authorization("Bearer " + *root_);
  auto bad_scope = http.post("/api/v1/chamber/auth/policies", R"({"name":"x","rules":[{"scopes":["sing"]}]})");
  EXPECT_EQ(bad_scope.status, 400u);
  EXPECT_NE(bad_scope.body.find("sing"), std::string::npos) << bad_scope.body;
  auto malformed = http.post("/api/v1/chamber/auth/tokens", "{not json");
  EXPECT_EQ(malformed.status, 400u) << malformed.body;
  auto unknown_policy = http.post("/api/v1/chamber/auth/tokens", R"({"name":"x","policies":["ghost"]})");
  EXPECT_EQ(unknown_policy.status, 400u);
  EXPECT_NE(unknown_policy.body.find("ghost"), std::string::npos) << unknown_policy.body;
  auto bound = http.del("/api/v1/chamber/auth/policies/all", "");
  EXPECT_EQ(bound.status, 409u) << bound.body;
  EXPECT_EQ(http.del("/api/v1/chamber/auth/tokens/tok_0000000000000000", "").status, 404u);
  EXPECT_EQ(http.get("/api/v1/chamber/auth/nothing").status, 404u);
}

// Two signer processes share one signer state (and nothing else): a token revoked through one
// is refused by the other at its very next request, and one created on the other works here.
TEST_F(AuthApiTest, ARevocationOnOneReplicaIsRefusedByAnotherAtOnce) {
  auto other_dir = make_temp_dir("authapi-replica");
  generate_keys(other_dir, 1);
  SignerInstance other(other_dir, {"--signer-state-path", (*dir_ / "data" / "state").string()});
  std::string error;
  ASSERT_TRUE(other.start(error)) << error;
  EXPECT_EQ(other.process().log().find("setup_token="), std::string::npos)
      << "a state with a management token logs no setup token";

  auto [code, out] = op(other.port(), {"auth", "tokens", "create", "--name", "short-lived", "--policy", "all",
                                       "--auth-token", *root_});
  ASSERT_EQ(code, 0) << out;
  const auto created = printed(out);
  const auto token = field(created, "token");
  auto here = signer_->client();
  here.set_authorization("Bearer " + token);
  auto there = other.client();
  there.set_authorization("Bearer " + token);
  EXPECT_EQ(here.get("/api/v1/eth2/publicKeys").status, 200u) << "created on the other replica, valid here";
  EXPECT_EQ(there.get("/api/v1/eth2/publicKeys").status, 200u);

  auto [rc, ro] = op(signer_->port(), {"auth", "tokens", "revoke", field(created, "id"), "--auth-token", *root_});
  ASSERT_EQ(rc, 0) << ro;
  EXPECT_EQ(there.get("/api/v1/eth2/publicKeys").status, 401u) << "revoked here, refused there at once";
  EXPECT_EQ(here.get("/api/v1/eth2/publicKeys").status, 401u);
  std::filesystem::remove_all(other_dir);
}

}  // namespace
}  // namespace cc::test
