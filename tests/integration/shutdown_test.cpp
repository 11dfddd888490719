// Graceful shutdown of the real binary: after SIGTERM the listener refuses new connections, a
// slow request already in flight (a Key Manager import of standard-scrypt keystores) still gets
// its answer, and the signer exits 0; past server.shutdown_timeout_seconds it exits 1 saying
// how many requests it abandoned.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <csignal>
#include <fstream>
#include <future>
#include <sstream>
#include <thread>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

// An import body of `count` keystores with the standard scrypt parameters (slow to decrypt).
std::string slow_import_body(const fs::path& dir, int count) {
  fs::create_directories(dir);
  auto [code, out] = run_command({binary_path(), "keys", "generate", "--count", std::to_string(count), "--out",
                                  dir.string(), "--password", "integration-test-password"});
  EXPECT_EQ(code, 0) << out;
  boost::json::array keystores, passwords;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().extension() != ".json") continue;
    std::ifstream in(e.path());
    std::stringstream text;
    text << in.rdbuf();
    keystores.emplace_back(text.str());
    passwords.emplace_back("integration-test-password");
  }
  return boost::json::serialize(boost::json::object{{"keystores", keystores}, {"passwords", passwords}});
}

TEST(GracefulShutdown, InFlightRequestFinishesAndNewConnectionsAreRefused) {
  const auto dir = make_temp_dir("shutdown");
  const auto keys = generate_keys(dir, 1);
  const auto body = slow_import_body(dir / "slow", 3);
  SignerInstance signer(dir, {"--http-key-manager-api-enabled", "true",
                              "--key-sources-filesystem-keystore-load-concurrency", "1"});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  const auto port = signer.port();

  auto import = std::async(std::launch::async, [&] { return signer.client().post("/eth/v1/keystores", body); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the request is read and decrypting
  signer.process().kill(SIGTERM);
  ASSERT_TRUE(signer.process().wait_for_log("finishing the requests in flight", std::chrono::seconds(10)))
      << signer.process().log();
  // The listener is closed: a new connection is refused.
  EXPECT_EQ(HttpClient("127.0.0.1", port).get("/upcheck").status, 0u);

  auto answered = import.get();
  ASSERT_EQ(answered.status, 200u) << answered.body << "\n" << signer.process().log();
  auto data = boost::json::parse(answered.body).at("data").as_array();
  ASSERT_EQ(data.size(), 3u);
  for (const auto& d : data) EXPECT_EQ(d.at("status").as_string(), "imported") << answered.body;
  EXPECT_EQ(signer.process().wait(std::chrono::seconds(30)), 0) << signer.process().log();
  const auto log = signer.process().log();
  EXPECT_NE(log.find("in_flight=1"), std::string::npos) << log;
  EXPECT_NE(log.find("every request in flight was answered"), std::string::npos) << log;
  fs::remove_all(dir);
}

TEST(GracefulShutdown, PastTheDeadlineExitsNonZeroNamingTheAbandoned) {
  const auto dir = make_temp_dir("shutdown-late");
  generate_keys(dir, 1);
  const auto body = slow_import_body(dir / "slow", 4);
  SignerInstance signer(dir, {"--http-key-manager-api-enabled", "true", "--server-shutdown-timeout-seconds", "0"});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;

  auto import = std::async(std::launch::async, [&] { return signer.client().post("/eth/v1/keystores", body); });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  signer.process().kill(SIGTERM);
  EXPECT_EQ(signer.process().wait(std::chrono::seconds(30)), 1) << signer.process().log();
  EXPECT_EQ(import.get().status, 0u) << "an abandoned request gets no answer";
  const auto log = signer.process().log();
  EXPECT_NE(log.find("abandoning requests in flight"), std::string::npos) << log;
  EXPECT_NE(log.find("abandoned=1"), std::string::npos) << log;
  fs::remove_all(dir);
}

// An idle signer stops at once with 0, its keep-alive connections closed.
TEST(GracefulShutdown, IdleSignerExitsZeroAtOnce) {
  const auto dir = make_temp_dir("shutdown-idle");
  const auto keys = generate_keys(dir, 1);
  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  ASSERT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], randao(1)).status, 200u);  // a kept-alive connection
  const auto asked = std::chrono::steady_clock::now();
  signer.process().kill(SIGINT);
  EXPECT_EQ(signer.process().wait(std::chrono::seconds(20)), 0) << signer.process().log();
  EXPECT_LT(std::chrono::steady_clock::now() - asked, std::chrono::seconds(5));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
