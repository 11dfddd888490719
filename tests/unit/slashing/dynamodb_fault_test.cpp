// Fault injection under the DynamoDB store while a signing storm races conflicting messages
// (fault_storm.hpp), against dynalite reached through a FaultProxy: connections cut mid-request
// (the conditional write may or may not have landed when the answer is lost), a slow endpoint,
// and the server SIGKILLed mid-storm and restarted (a private dynalite keeping its tables on
// disk, scripts/dynamo-test-server.sh with CC_DYNAMO_PERSIST=1). After each fault: no slashable
// pair was released, every allowed message is in the table (read back by a fresh store), no
// answer outlasted the store's timeout, and the same store signs again.
#include <gtest/gtest.h>
#include <signal.h>

#include <cstdlib>
#include <fstream>

#include "../../support/fault_proxy.hpp"
#include "fault_storm.hpp"
#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

using std::chrono::milliseconds;
constexpr unsigned kKeys = 4;
constexpr auto kTimeout = milliseconds(2000);
constexpr auto kSlack = milliseconds(2000);

std::uint16_t port_of(const std::string& endpoint) {
  return static_cast<std::uint16_t>(std::stoi(endpoint.substr(endpoint.rfind(':') + 1)));
}

// The production transport to `port`, with attempts short enough for the store's timeout.
std::shared_ptr<aws::Transport> transport_to(std::uint16_t port) {
  std::vector<std::unique_ptr<aws::CredentialsProvider>> providers;
  providers.push_back(std::make_unique<aws::StaticCredentials>(aws::Credentials("AKIDEXAMPLE", "test-secret")));
  aws::HttpsTransportOptions o;
  o.service = "dynamodb";
  o.region = "us-east-1";
  o.endpoint = "http://127.0.0.1:" + std::to_string(port);
  o.credentials = std::make_shared<aws::CredentialChain>(std::move(providers));
  o.attempt_timeout = milliseconds(700);
  auto t = aws::HttpsTransport::create(std::move(o));
  if (!t) throw std::runtime_error(t.error().message);
  return std::shared_ptr<aws::Transport>(std::move(*t));
}

std::unique_ptr<SlashingStore> open_store_on(std::shared_ptr<aws::Transport> transport, const std::string& table,
                                             std::chrono::milliseconds timeout = kTimeout) {
  DynamoDbOptions o;
  o.table = table;
  o.timeout = timeout;
  auto s = open_dynamodb_store(std::move(transport), o);
  if (!s) ADD_FAILURE() << s.error().message;
  return s ? std::move(*s) : nullptr;
}

void expect_recorded(std::shared_ptr<aws::Transport> direct, const std::string& table,
                     const std::vector<StormAllowed>& allowed) {
  EXPECT_EQ(no_slashable_pairs(allowed), "");
  auto fresh = open_store_on(std::move(direct), table, std::chrono::seconds(20));
  ASSERT_NE(fresh, nullptr);
  EXPECT_EQ(unrecorded(*fresh, allowed), "");
}

TEST(DynamoDbFaults, ConnectionsCutMidRequestReleaseNothingUnrecorded) {
  CC_REQUIRE_BACKEND(Backend::dynamodb);
  const auto server = port_of(*cc::test::dynamo_endpoint());
  auto direct = transport_to(server);
  const auto table = cc::test::unique_table("fault");
  ASSERT_TRUE(create_dynamodb_anti_slashing_table(*direct, table).ok());
  cc::test::FaultProxy proxy(server);
  auto store = open_store_on(transport_to(proxy.port()), table);
  ASSERT_NE(store, nullptr);
  FaultStorm storm(*store, kKeys, kTimeout + kSlack);
  ASSERT_TRUE(storm.wait_for_allowed(100));
  for (int round = 0; round < 30; ++round) {
    proxy.drop_all();
    std::this_thread::sleep_for(milliseconds(30));
  }
  // A partition longer than the store's timeout: requests must give up unreleased.
  proxy.set_refusing(true);
  proxy.drop_all();
  EXPECT_TRUE(storm.wait_for_unavailable(8, std::chrono::seconds(30))) << "the partition was not noticed";
  auto h = store->health();
  EXPECT_FALSE(h.ok()) << "health ok while DynamoDB is unreachable";
  proxy.set_refusing(false);
  EXPECT_TRUE(storm.wait_for_allowed(100)) << "the same store did not sign again";
  storm.stop();
  EXPECT_EQ(storm.late(), 0u) << "answers outlasted the store's timeout";
  EXPECT_GT(proxy.connections_dropped(), 0u);
  expect_recorded(direct, table, storm.allowed());
}

TEST(DynamoDbFaults, ASlowEndpointIsAnsweredWithinTheTimeoutAndNeverUnrecorded) {
  CC_REQUIRE_BACKEND(Backend::dynamodb);
  const auto server = port_of(*cc::test::dynamo_endpoint());
  auto direct = transport_to(server);
  const auto table = cc::test::unique_table("fault");
  ASSERT_TRUE(create_dynamodb_anti_slashing_table(*direct, table).ok());
  cc::test::FaultProxy proxy(server);
  auto store = open_store_on(transport_to(proxy.port()), table);
  ASSERT_NE(store, nullptr);
  FaultStorm storm(*store, kKeys, kTimeout + kSlack);
  ASSERT_TRUE(storm.wait_for_allowed(100));
  proxy.set_delay(milliseconds(10));
  EXPECT_TRUE(storm.wait_for_allowed(20)) << "a 10 ms network stopped signing";
  proxy.set_delay(milliseconds(2500));  // beyond the store's timeout
  EXPECT_TRUE(storm.wait_for_unavailable(8, std::chrono::seconds(30))) << "a stalled endpoint was not noticed";
  proxy.set_delay(milliseconds(0));
  proxy.drop_all();
  EXPECT_TRUE(storm.wait_for_allowed(100)) << "the same store did not sign again";
  storm.stop();
  EXPECT_EQ(storm.late(), 0u) << "answers outlasted the store's timeout";
  expect_recorded(direct, table, storm.allowed());
}

// A private dynalite that keeps its tables on disk, so it can be killed and come back.
class PrivateDynalite {
 public:
  PrivateDynalite() { start(); }
  ~PrivateDynalite() {
    run("stop");
    std::error_code ec;
    std::filesystem::remove_all(dir_.path(), ec);
  }
  void start() {
    ASSERT_EQ(run("start", "CC_DYNAMO_PERSIST=1 "), 0);
    std::ifstream in(dir_.path() / "endpoint");
    std::string endpoint;
    std::getline(in, endpoint);
    port_ = port_of(endpoint);
  }
  void kill9() {
    std::ifstream in(dir_.path() / "pid");
    pid_t pid = 0;
    in >> pid;
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    run("stop");  // waits for it to be gone, forgets the pid
  }
  std::uint16_t port() const { return port_; }

 private:
  int run(const std::string& verb, const std::string& env = "") {
    const std::string cmd = env + std::string(CC_SOURCE_DIR) + "/scripts/dynamo-test-server.sh " + verb + " " +
                            dir_.path().string() + " >/dev/null";
    return std::system(cmd.c_str());
  }
  TempDir dir_;
  std::uint16_t port_ = 0;
};

TEST(DynamoDbFaults, ServerKilledAndRestartedMidStormReleasesNothingUnrecorded) {
  CC_REQUIRE_BACKEND(Backend::dynamodb);  // the fixture server proves dynalite is installed
  PrivateDynalite server;
  const auto table = cc::test::unique_table("fault");
  ASSERT_TRUE(create_dynamodb_anti_slashing_table(*transport_to(server.port()), table).ok());
  cc::test::FaultProxy proxy(server.port());  // the store's fixed address while the server moves
  auto store = open_store_on(transport_to(proxy.port()), table);
  ASSERT_NE(store, nullptr);
  FaultStorm storm(*store, kKeys, kTimeout + kSlack);
  unsigned kills = 0;
  for (int round = 0; round < 3; ++round) {
    ASSERT_TRUE(storm.wait_for_allowed(100)) << "no signing in round " << round << ": " << storm.first_error();
    const auto before = storm.unavailable();
    server.kill9();
    ++kills;
    EXPECT_TRUE(storm.wait_for_unavailable(4, std::chrono::seconds(30))) << "the dead server was not noticed";
    EXPECT_FALSE(store->health().ok());
    EXPECT_GT(storm.unavailable(), before);
    server.start();
    proxy.set_target(server.port());
  }
  ASSERT_TRUE(storm.wait_for_allowed(100)) << "the same store did not sign again";
  storm.stop();
  EXPECT_EQ(storm.late(), 0u) << "answers outlasted the store's timeout";
  std::printf("[ dynalite kill ] %u kills, %llu allowed, %llu unavailable\n", kills,
              static_cast<unsigned long long>(storm.allowed_count()),
              static_cast<unsigned long long>(storm.unavailable()));
  expect_recorded(transport_to(server.port()), table, storm.allowed());
}

}  // namespace
}  // namespace cc::slashing::test
