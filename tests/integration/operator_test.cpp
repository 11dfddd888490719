// `operator status` against a running signer: over HTTPS with the signer's CA, with and without
// the chamber_status scope, and the plaintext guard.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>

#include "server_fixture.hpp"

namespace cc::test {
namespace {

constexpr const char* kOperatorToken = "operator-token-0123456789";
constexpr const char* kVcToken = "vc-token-0123456789abcdef";

TEST(OperatorStatus, ReportsTheSignerOverHttpsWithScopedToken) {
  auto dir = make_temp_dir("operator");
  auto keys = generate_keys(dir, 3);
  ASSERT_EQ(keys.size(), 3u);
  auto ossl = [&](std::vector<std::string> args) {
    args.insert(args.begin(), "/usr/bin/openssl");
    auto [code, out] = run_command(args);
    ASSERT_EQ(code, 0) << out;
  };
  const auto p = [&](const std::string& n) { return (dir / n).string(); };
  ossl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj",
        "/CN=ca", "-keyout", p("ca.key"), "-out", p("ca.crt")});
  ossl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=localhost",
        "-keyout", p("server.key"), "-out", p("server.csr")});
  std::ofstream(p("server.ext")) << "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
  ossl({"x509", "-req", "-in", p("server.csr"), "-CA", p("ca.crt"), "-CAkey", p("ca.key"), "-CAcreateserial", "-days",
        "2", "-extfile", p("server.ext"), "-out", p("server.crt")});
  std::ofstream(p("c.yaml")) << "auth:\n  policies:\n"
                                "    - {name: operator, token: "
                             << kOperatorToken
                             << ", rules: [{scopes: [chamber_status]}]}\n"
                                "    - {name: vc, token: "
                             << kVcToken << ", rules: [{scopes: [sign, public_keys]}]}\n";
  SignerInstance signer(dir, {"--config", p("c.yaml"), "--tls-mode", "file", "--tls-listen-port", "0",
                              "--tls-file-cert-path", p("server.crt"), "--tls-file-key-path", p("server.key")});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  const auto https = logged_port(signer.process(), "https");
  const std::string url = "https://localhost:" + std::to_string(https);

  auto [code, out] = run_command({binary_path(), "operator", "status", "--signer-url", url, "--ca-cert", p("ca.crt"),
                                  "--auth-token", "env:CC_TEST_OPERATOR_TOKEN"},
                                 {std::string("CC_TEST_OPERATOR_TOKEN=") + kOperatorToken});
  ASSERT_EQ(code, 0) << out;
  auto doc = boost::json::parse(out.substr(out.find('{'))).as_object();
  EXPECT_EQ(doc.at("keys").at("total").as_int64(), 3);
  EXPECT_EQ(doc.at("anti_slashing").at("backend").as_string(), "sqlite");
  EXPECT_TRUE(doc.at("anti_slashing").at("healthy").as_bool());
  EXPECT_EQ(doc.at("tls").at("mode").as_string(), "file");
  EXPECT_EQ(doc.at("network").as_string(), "mainnet");
  EXPECT_TRUE(doc.contains("version"));
  EXPECT_TRUE(doc.contains("seal"));

  auto [c_vc, o_vc] = run_command({binary_path(), "operator", "status", "--signer-url", url, "--ca-cert", p("ca.crt"),
                                   "--auth-token", kVcToken});
  EXPECT_EQ(c_vc, 1);
  EXPECT_NE(o_vc.find("403"), std::string::npos) << o_vc;

  // Without the signer's CA the certificate is not trusted.
  auto [c_ca, o_ca] = run_command({binary_path(), "operator", "status", "--signer-url", url, "--auth-token",
                                   kOperatorToken});
  EXPECT_EQ(c_ca, 1);
  EXPECT_NE(o_ca.find("TLS"), std::string::npos) << o_ca;

  // Plain HTTP is refused unless allowed explicitly.
  const std::string plain = "http://127.0.0.1:" + std::to_string(signer.port());
  auto [c_pl, o_pl] = run_command({binary_path(), "operator", "status", "--signer-url", plain, "--auth-token",
                                   kOperatorToken});
  EXPECT_EQ(c_pl, 2);
  EXPECT_NE(o_pl.find("--allow-plaintext-signer"), std::string::npos) << o_pl;
  auto [c_ok, o_ok] = run_command({binary_path(), "operator", "status", "--signer-url", plain, "--auth-token",
                                   kOperatorToken, "--allow-plaintext-signer"});
  EXPECT_EQ(c_ok, 0) << o_ok;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
