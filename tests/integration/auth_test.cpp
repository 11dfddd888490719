// Static auth policies over real HTTP: who may call what, with Bearer and Basic credentials.
#include <gtest/gtest.h>

#include <fstream>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

constexpr const char* kVcToken = "vc-token-0123456789abcdef";
constexpr const char* kAdminToken = "admin-token-0123456789abcdef";

std::string exit_body() {
  return R"({"type":"VOLUNTARY_EXIT","fork_info":)" + fork_info() +
         R"(,"voluntary_exit":{"epoch":"1","validator_index":"5"}})";
}

class AuthTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(make_temp_dir("auth"));
    keys_ = new std::vector<std::string>(generate_keys(*dir_, 2));
    ASSERT_EQ(keys_->size(), 2u);
    std::ofstream(*dir_ / "auth.yaml") << "auth:\n"
                                          "  policies:\n"
                                          "    - name: vc\n"
                                          "      token: env:CC_TEST_VC_TOKEN\n"
                                          "      rules:\n"
                                          "        - {effect: allow, scopes: [sign, public_keys], keys: ["
                                       << (*keys_)[0]
                                       << "]}\n"
                                          "        - {effect: deny, operations: [VOLUNTARY_EXIT]}\n"
                                          "    - name: admin\n"
                                          "      token: "
                                       << kAdminToken << "\n";
    signer_ = new SignerInstance(*dir_, {"--config", (*dir_ / "auth.yaml").string()},
                                 {std::string("CC_TEST_VC_TOKEN=") + kVcToken});
    std::string error;
    ASSERT_TRUE(signer_->start(error)) << error;
  }
  static void TearDownTestSuite() {
    delete signer_;
    delete keys_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static HttpClient client(const std::string& authorization) {
    HttpClient c("127.0.0.1", signer_->port());
    c.set_authorization(authorization);
    return c;
  }
  static std::string sign_path(std::size_t k) { return "/api/v1/eth2/sign/" + (*keys_)[k]; }
  static inline std::filesystem::path* dir_ = nullptr;
  static inline std::vector<std::string>* keys_ = nullptr;
  static inline SignerInstance* signer_ = nullptr;
};

TEST_F(AuthTest, ProbesStayOpenEverythingElseNeedsAToken) {
  auto anon = client("");
  EXPECT_EQ(anon.get("/upcheck").status, 200u);
  EXPECT_EQ(anon.get("/healthcheck").status, 200u);
  auto r = anon.post(sign_path(0), randao(1));
  EXPECT_EQ(r.status, 401u);
  EXPECT_NE(r.body.find("authentication required"), std::string::npos) << r.body;
  EXPECT_EQ(anon.get("/api/v1/eth2/publicKeys").status, 401u);
  EXPECT_EQ(anon.get("/api/v1/eth2/highWatermark").status, 401u);
  EXPECT_EQ(client("Bearer not-a-known-token-12345").post(sign_path(0), randao(1)).status, 401u);
  EXPECT_EQ(client("Token abc").get("/api/v1/eth2/publicKeys").status, 401u);
}

TEST_F(AuthTest, PolicyLimitsKeysAndOperations) {
  auto vc = client(std::string("Bearer ") + kVcToken);
  EXPECT_EQ(vc.post(sign_path(0), randao(1)).status, 200u);
  auto other_key = vc.post(sign_path(1), randao(1));
  EXPECT_EQ(other_key.status, 403u);
  EXPECT_NE(other_key.body.find("policy 'vc'"), std::string::npos) << other_key.body;
  auto exit = vc.post(sign_path(0), exit_body());
  EXPECT_EQ(exit.status, 403u) << exit.body;
  EXPECT_NE(exit.body.find("VOLUNTARY_EXIT"), std::string::npos) << exit.body;
  EXPECT_EQ(vc.get("/api/v1/eth2/publicKeys").status, 200u);
  EXPECT_EQ(vc.get("/api/v1/eth2/highWatermark").status, 200u) << "read-only signer facts: scope public_keys";
  auto admin = client(std::string("Bearer ") + kAdminToken);
  EXPECT_EQ(admin.post(sign_path(1), exit_body()).status, 200u);
}

TEST_F(AuthTest, BasicCredentialsCarryTheTokenAsPassword) {
  EXPECT_EQ(client(basic_auth("any-user-name", kVcToken)).post(sign_path(0), randao(2)).status, 200u);
  EXPECT_EQ(client(basic_auth("vc", "wrong-token-0123456789")).post(sign_path(0), randao(2)).status, 401u);
}

TEST_F(AuthTest, TokensNeverReachTheLog) {
  EXPECT_EQ(signer_->process().log().find(kVcToken), std::string::npos);
  EXPECT_EQ(signer_->process().log().find(kAdminToken), std::string::npos);
}

TEST(AuthConfig, BadPoliciesStopStartUpNamingThePolicy) {
  auto dir = make_temp_dir("authcfg");
  struct Case { std::string yaml; std::vector<std::string> env; std::string mentions; };
  for (const auto& c : std::vector<Case>{
           {"auth: {policies: [{name: p1, token: short}]}\n", {}, "p1"},
           {"auth: {policies: [{name: p2, token: 'has spaces in the token'}]}\n", {}, "p2"},
           {"auth: {policies: [{name: p3, token: env:CC_TEST_UNSET_TOKEN}]}\n", {}, "CC_TEST_UNSET_TOKEN"},
           {"auth: {policies: [{name: p4, token: abcdefghijklmnop1, rules: [{scopes: [signing]}]}]}\n", {}, "signing"},
           {"auth: {policies: [{name: p5, token: abcdefghijklmnop1, rules: [{operations: [EXITT]}]}]}\n", {}, "EXITT"},
       }) {
    std::ofstream(dir / "c.yaml") << c.yaml;
    auto [code, out] = run_command({binary_path(), "server", "-c", (dir / "c.yaml").string(), "--anti-slashing-path",
                                    (dir / "db.sqlite").string(), "--signer-state-path", (dir / "state").string()},
                                   c.env);
    EXPECT_EQ(code, 2) << c.yaml << out;
    EXPECT_NE(out.find(c.mentions), std::string::npos) << c.yaml << " -> " << out;
  }
  std::filesystem::remove_all(dir);
}

TEST(AuthConfig, UnauthenticatedPolicyOpensOnlyWhatItNames) {
  auto dir = make_temp_dir("authopen");
  std::ofstream(dir / "c.yaml") << "auth:\n  unauthenticated_policy:\n    rules: [{scopes: [public_keys]}]\n";
  SignerInstance signer(dir, {"--config", (dir / "c.yaml").string()});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  EXPECT_EQ(signer.client().get("/api/v1/eth2/publicKeys").status, 200u);
  EXPECT_EQ(signer.client().post("/api/v1/eth2/sign/0x" + std::string(96, 'a'), randao(1)).status, 403u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
