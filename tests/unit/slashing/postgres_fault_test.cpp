// Fault injection under the PostgreSQL store while a signing storm races conflicting messages
// (fault_storm.hpp), on the test server: its backends killed mid-transaction by
// pg_terminate_backend() from another session, every connection cut at the TCP level (a
// FaultProxy between store and server), and a slow network (the proxy adding latency, below and
// above db_timeout). After each fault: no slashable pair was released, every allowed message is
// in the database (read back by a fresh store), requests never outlasted db_timeout, and the
// same store signs again without being reopened.
#include <gtest/gtest.h>

#include "../../support/fault_proxy.hpp"
#include "fault_storm.hpp"
#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

using std::chrono::milliseconds;
constexpr unsigned kKeys = 4;
constexpr auto kDbTimeout = milliseconds(1000);
constexpr auto kSlack = milliseconds(2000);  // scheduling on a loaded 2-core machine

class PostgresFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    CC_REQUIRE_BACKEND(Backend::postgres);
    db_ = std::make_unique<PgTestDatabase>(*pg_server_conninfo());
  }

  PostgresOptions options(const std::string& conninfo) const {
    PostgresOptions o;
    o.conninfo = conninfo;
    o.db_timeout = kDbTimeout;
    o.pool_size = 4;
    return o;
  }
  std::unique_ptr<SlashingStore> open(const std::string& conninfo) {
    auto s = open_postgres_store(options(conninfo));
    if (!s) ADD_FAILURE() << s.error().message;
    return s ? std::move(*s) : nullptr;
  }
  std::uint16_t server_port() const {
    return static_cast<std::uint16_t>(std::stoi(conninfo_fields(db_->conninfo())["port"]));
  }
  // The test database through `proxy` (libpq: the last port= wins).
  std::string via(const cc::test::FaultProxy& proxy) const {
    return db_->conninfo() + " port=" + std::to_string(proxy.port());
  }

  // Every allowed message of the storm is refused for a third root by a fresh store.
  void expect_recorded(const std::vector<StormAllowed>& allowed) {
    EXPECT_EQ(no_slashable_pairs(allowed), "");
    auto fresh = open(db_->conninfo());
    ASSERT_NE(fresh, nullptr);
    EXPECT_EQ(unrecorded(*fresh, allowed), "");
  }

  std::unique_ptr<PgTestDatabase> db_;
};

TEST_F(PostgresFaults, BackendsTerminatedMidTransactionReleaseNothingUnrecorded) {
  auto store = open(db_->conninfo());
  ASSERT_NE(store, nullptr);
  FaultStorm storm(*store, kKeys, kDbTimeout + kSlack);
  ASSERT_TRUE(storm.wait_for_allowed(200));
  PgSession killer(*pg_server_conninfo());
  const std::string kill_all = "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '" +
                               db_->name() + "' AND pid <> pg_backend_pid()";
  unsigned terminated = 0;
  const auto before = storm.unavailable();
  for (int round = 0; round < 30; ++round) {
    auto r = killer.exec({kill_all});
    terminated += static_cast<unsigned>(std::stoul(std::string(r[0].text(0, 0))));
    std::this_thread::sleep_for(milliseconds(50));
  }
  EXPECT_GT(terminated, 0u) << "no backend was terminated";
  // The store may retry a batch whose backend died on a fresh connection (the server rolled the
  // transaction back) or answer it unavailable; either is fine as long as nothing unrecorded is
  // released, which expect_recorded() checks below.
  (void)before;
  EXPECT_TRUE(storm.wait_for_allowed(200)) << "the same store did not sign again";
  EXPECT_TRUE(store->health().ok());
  storm.stop();
  EXPECT_EQ(storm.late(), 0u) << "requests outlasted db_timeout";
  std::printf("[ pg terminate ] %u backends terminated, %llu allowed, %llu unavailable\n", terminated,
              static_cast<unsigned long long>(storm.allowed_count()),
              static_cast<unsigned long long>(storm.unavailable()));
  expect_recorded(storm.allowed());
}

TEST_F(PostgresFaults, ConnectionsCutByTheNetworkMidStormReleaseNothingUnrecorded) {
  cc::test::FaultProxy proxy(server_port());
  auto store = open(via(proxy));
  ASSERT_NE(store, nullptr);
  FaultStorm storm(*store, kKeys, kDbTimeout + kSlack);
  ASSERT_TRUE(storm.wait_for_allowed(200));
  const auto before = storm.unavailable();
  for (int round = 0; round < 20; ++round) {
    proxy.drop_all();
    std::this_thread::sleep_for(milliseconds(50));
  }
  // Then a partition: connections cut and new ones refused for a while.
  proxy.set_refusing(true);
  proxy.drop_all();
  std::this_thread::sleep_for(milliseconds(1500));
  auto h = store->health();
  ASSERT_FALSE(h.ok()) << "health ok while the database is unreachable";
  EXPECT_EQ(h.error().kind, Error::Kind::unavailable);
  proxy.set_refusing(false);
  EXPECT_GT(proxy.connections_dropped(), 0u);
  EXPECT_GT(storm.unavailable(), before) << "the cuts were not noticed";
  EXPECT_TRUE(storm.wait_for_allowed(200)) << "the same store did not sign again";
  storm.stop();
  EXPECT_EQ(storm.late(), 0u) << "requests outlasted db_timeout";
  expect_recorded(storm.allowed());
}

TEST_F(PostgresFaults, ASlowDatabaseIsAnsweredWithinTheTimeoutAndNeverUnrecorded) {
  cc::test::FaultProxy proxy(server_port());
  auto store = open(via(proxy));
  ASSERT_NE(store, nullptr);
  FaultStorm storm(*store, kKeys, kDbTimeout + kSlack);
  ASSERT_TRUE(storm.wait_for_allowed(100));
  // Slow but within the bound: signing goes on.
  proxy.set_delay(milliseconds(20));
  EXPECT_TRUE(storm.wait_for_allowed(50)) << "a 20 ms network stopped signing";
  // Slower than db_timeout: requests are answered unavailable in time, never left hanging.
  const auto before = storm.unavailable();
  proxy.set_delay(milliseconds(1500));
  EXPECT_TRUE(storm.wait_for_unavailable(8, std::chrono::seconds(30))) << "a stalled database was not noticed";
  proxy.set_delay(milliseconds(0));
  proxy.drop_all();  // connections holding stale, delayed replies
  EXPECT_GT(storm.unavailable(), before);
  EXPECT_TRUE(storm.wait_for_allowed(100)) << "the same store did not sign again";
  storm.stop();
  EXPECT_EQ(storm.late(), 0u) << "requests outlasted db_timeout";
  expect_recorded(storm.allowed());
}

}  // namespace
}  // namespace cc::slashing::test
