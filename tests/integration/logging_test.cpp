// Logs of the real binary: with --log-format json every line is one JSON object (timestamp,
// level, message, fields); at debug each signing request has its line and an info summary sums
// them up per interval; and across signing, auth (good, bad and Basic credentials) and a keystore
// import at debug, no secret or token appears anywhere in the log.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <csignal>
#include <fstream>
#include <sstream>
#include <thread>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

constexpr const char* kToken = "log-test-policy-token-7f3a9c";
constexpr const char* kWrongToken = "log-test-wrong-token-52be1d";
constexpr const char* kKeystorePassword = "log-test-keystore-password-c41e";
// A raw key loaded from a descriptor (consensus-spec BLS test key).
constexpr const char* kRawSecret = "263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3";
constexpr const char* kRawPubkey =
    "0xa491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a";

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(Logging, JsonLinesWithSigningLinesSummariesAndNoSecrets) {
  const auto dir = make_temp_dir("logging");
  const auto keys = generate_keys(dir, 1);
  ASSERT_EQ(keys.size(), 1u);
  std::ofstream(dir / "keys" / "raw.yaml") << "type: file-raw\nprivateKey: 0x" << kRawSecret << "\n";
  std::ofstream(dir / "config.yaml") << "auth:\n  policies:\n    - {name: operator, token: " << kToken << "}\n";
  // A keystore to import through the Key Manager API, with a password of its own.
  const auto spare = make_temp_dir("logging-import");
  fs::create_directories(spare / "keys");
  auto [code, out] = run_command({binary_path(), "keys", "generate", "--count", "1", "--out", (spare / "keys").string(),
                                  "--password", kKeystorePassword, "--insecure-fast-kdf"});
  ASSERT_EQ(code, 0) << out;
  std::string keystore;
  for (const auto& e : fs::directory_iterator(spare / "keys")) {
    if (e.path().extension() == ".json") keystore = read_file(e.path());
  }

  SignerInstance signer(dir, {"--config", (dir / "config.yaml").string(), "--log-format", "json", "--log-level",
                              "debug", "--logging-summary-interval-seconds", "1", "--http-key-manager-api-enabled",
                              "true"});
  std::string error;
  ASSERT_TRUE(signer.start(error, false)) << error;
  auto http = signer.client();
  http.set_authorization(std::string("Bearer ") + kToken);
  for (int i = 0; i < 600 && http.get("/healthcheck").status != 200; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }

  // Signing: with a Bearer token, with Basic credentials, and with a wrong token (401).
  ASSERT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], attestation(1, 2)).status, 200u);
  ASSERT_EQ(http.post("/api/v1/eth2/sign/" + std::string(kRawPubkey), randao(3)).status, 200u);
  auto basic = signer.client();
  basic.set_authorization(basic_auth("vc", kToken));
  ASSERT_EQ(basic.post("/api/v1/eth2/sign/" + keys[0], block_header(99)).status, 200u);
  auto wrong = signer.client();
  wrong.set_authorization(std::string("Bearer ") + kWrongToken);
  ASSERT_EQ(wrong.post("/api/v1/eth2/sign/" + keys[0], randao(4)).status, 401u);
  // A keystore import with its password.
  boost::json::object import{{"keystores", boost::json::array{keystore}},
                             {"passwords", boost::json::array{kKeystorePassword}}};
  auto imported = http.post("/eth/v1/keystores", boost::json::serialize(import));
  ASSERT_EQ(imported.status, 200u) << imported.body;
  // A summary that saw the four requests.
  ASSERT_TRUE(signer.process().wait_for_log("\"requests\":4", std::chrono::seconds(10))) << signer.process().log();

  signer.process().kill(SIGTERM);
  ASSERT_EQ(signer.process().wait(std::chrono::seconds(30)), 0) << signer.process().log();
  const auto log = signer.process().log();

  // Every line is one JSON object with the four parts.
  std::istringstream lines(log);
  int parsed = 0, signing_lines = 0, summaries = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    ASSERT_FALSE(ec) << "not JSON: " << line;
    ASSERT_TRUE(v.is_object()) << line;
    const auto& o = v.as_object();
    ASSERT_TRUE(o.contains("timestamp") && o.contains("level") && o.contains("message") && o.contains("fields"))
        << line;
    EXPECT_TRUE(o.at("fields").is_object()) << line;
    EXPECT_EQ(o.at("timestamp").as_string().back(), 'Z') << line;
    ++parsed;
    const auto& fields = o.at("fields").as_object();
    if (o.at("message").as_string() == "signing request") {
      ++signing_lines;
      EXPECT_EQ(o.at("level").as_string(), "debug") << line;
      EXPECT_TRUE(fields.contains("pubkey") && fields.contains("operation") && fields.contains("status") &&
                  fields.contains("duration_ms") && fields.contains("client"))
          << line;
    }
    if (o.at("message").as_string() == "signing summary") {
      ++summaries;
      EXPECT_EQ(o.at("level").as_string(), "info") << line;
      if (fields.at("requests").as_int64() == 4) {
        EXPECT_EQ(fields.at("ATTESTATION.200").as_int64(), 1) << line;
        EXPECT_EQ(fields.at("RANDAO_REVEAL.200").as_int64(), 1) << line;
        EXPECT_EQ(fields.at("BLOCK_V2.200").as_int64(), 1) << line;
        EXPECT_EQ(fields.at("unknown.401").as_int64(), 1) << line;
      }
    }
  }
  EXPECT_GT(parsed, 10);
  EXPECT_EQ(signing_lines, 4) << log;
  EXPECT_GE(summaries, 1);

  // No secret or token, in any form.
  const std::string basic_header = basic_auth("vc", kToken);
  for (const std::string& secret : {std::string(kToken), std::string(kWrongToken), std::string(kKeystorePassword),
                                   std::string(kRawSecret), basic_header.substr(6), std::string("integration-test-password")}) {
    EXPECT_EQ(log.find(secret), std::string::npos) << "the log holds a secret: " << secret;
  }
  fs::remove_all(dir);
  fs::remove_all(spare);
}

// The text format: fields follow the message as key=value, quoted when they need it.
TEST(Logging, TextFormatShowsFields) {
  const auto dir = make_temp_dir("logging-text");
  const auto keys = generate_keys(dir, 1);
  SignerInstance signer(dir, {"--log-level", "debug"});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  ASSERT_EQ(signer.client().post("/api/v1/eth2/sign/" + keys[0], randao(1)).status, 200u);
  ASSERT_TRUE(signer.process().wait_for_log("signing request pubkey=" + keys[0], std::chrono::seconds(5)))
      << signer.process().log();
  const auto log = signer.process().log();
  EXPECT_NE(log.find("operation=RANDAO_REVEAL status=200 duration_ms="), std::string::npos) << log;
  EXPECT_NE(log.find("client=127.0.0.1:"), std::string::npos) << log;
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
