// Readiness follows key loading: /healthcheck is 503 while real (scrypt n=2^18) keystores decrypt
// and while any configured key failed to load; keys that did load sign regardless.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>
#include <fstream>
#include <thread>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

TEST(KeyLoading, NotReadyUntilLoadedAndFailuresAreNamed) {
  auto dir = make_temp_dir("loading");
  std::filesystem::create_directories(dir / "keys");
  // Standard EIP-2335 scrypt parameters: each decryption takes a noticeable fraction of a second.
  auto [code, out] = run_command({binary_path(), "keys", "generate", "--count", "3", "--out", (dir / "keys").string(),
                                  "--password", "a-real-password", "--kdf", "scrypt"});
  ASSERT_EQ(code, 0) << out;
  std::vector<std::string> keys;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0x", 0) == 0) keys.push_back(line);
  }
  ASSERT_EQ(keys.size(), 3u);
  // One keystore gets the wrong password.
  const auto broken = dir / "keys" / ("keystore-" + keys[2].substr(2) + ".txt");
  std::ofstream(broken, std::ios::trunc) << "not-the-password";

  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error, /*wait_healthy=*/false)) << error;
  auto http = signer.client();
  auto early = http.get("/healthcheck");
  EXPECT_EQ(early.status, 503u) << early.body;
  EXPECT_NE(early.body.find("LOADING"), std::string::npos) << early.body;
  EXPECT_EQ(http.get("/upcheck").status, 200u);  // liveness is never blocked by loading

  // Wait until loading is over (the failed key keeps readiness down).
  HttpResult health;
  for (int i = 0; i < 600; ++i) {
    health = http.get("/healthcheck");
    if (health.body.find("LOADING") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_EQ(health.status, 503u) << health.body;
  auto body = boost::json::parse(health.body).as_object();
  EXPECT_EQ(body.at("keys_loaded").as_int64(), 2);
  EXPECT_NE(health.body.find(broken.stem().string()), std::string::npos) << "failure does not name the file: "
                                                                          << health.body;
  EXPECT_EQ(health.body.find("not-the-password"), std::string::npos) << "a secret leaked into /healthcheck";
  EXPECT_EQ(signer.process().log().find("not-the-password"), std::string::npos) << "a secret leaked into the log";

  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], randao(1)).status, 200u);
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[2], randao(1)).status, 404u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test

namespace cc::test {
namespace {

// SIGTERM while thousands of scrypt keystores decrypt must not wait for all of them.
TEST(KeyLoading, ShutdownDoesNotWaitForKeyLoading) {
  auto dir = make_temp_dir("loading-stop");
  std::filesystem::create_directories(dir / "keys");
  auto [code, out] = run_command({binary_path(), "keys", "generate", "--count", "8", "--out", (dir / "keys").string(),
                                  "--password", "a-real-password", "--kdf", "scrypt"});
  ASSERT_EQ(code, 0) << out;
  SignerInstance signer(dir, {"--key-sources-filesystem-keystore-load-concurrency", "1"});
  std::string error;
  ASSERT_TRUE(signer.start(error, /*wait_healthy=*/false)) << error;
  signer.process().kill(SIGTERM);
  EXPECT_EQ(signer.process().wait(std::chrono::seconds(20)), 0) << signer.process().log();
  EXPECT_NE(signer.process().log().find("key loading stopped early for shutdown"), std::string::npos)
      << signer.process().log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
