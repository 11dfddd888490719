// PostgreSQL going away under a running store, on a private server (the shared one keeps
// serving the other tests): while it is down every request is answered unavailable within about
// db_timeout and health() names the cause; once it is back the same store signs again, without
// being reopened. What was allowed before the outage is still recorded afterwards.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <future>
#include <thread>

#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr auto kDbTimeout = milliseconds(1000);
constexpr auto kSlack = milliseconds(2000);  // scheduling on a loaded 2-core machine (CI builds beside tests)

// Runs scripts/pg-test-server.sh; returns its exit status.
int server(const std::string& verb, const TempDir& dir) {
  const std::string cmd =
      std::string(CC_SOURCE_DIR) + "/scripts/pg-test-server.sh " + verb + " " + dir.path().string() + " >/dev/null";
  return std::system(cmd.c_str());
}

std::string read_conninfo(const TempDir& dir) {
  std::ifstream in(dir.path() / "conninfo");
  std::string line;
  std::getline(in, line);
  return line;
}

class PostgresOutage : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pg_server_conninfo()) GTEST_SKIP() << kNoPgServer;
    ASSERT_EQ(server("start", dir_), 0);
    pg_exec(read_conninfo(dir_), {"CREATE DATABASE outage"});
  }
  void TearDown() override { server("destroy", dir_); }

  PostgresOptions options() const {
    PostgresOptions o;
    o.conninfo = read_conninfo(dir_) + " dbname=outage";
    o.db_timeout = kDbTimeout;
    o.pool_size = 2;
    return o;
  }

  TempDir dir_;
};

// A synchronous check and how long it took.
std::pair<Result<Decision>, Clock::duration> timed(SlashingStore& store, const SignedMessage& m) {
  const auto start = Clock::now();
  auto r = store.check_and_record_sync(kGvr, m);
  return {std::move(r), Clock::now() - start};
}

TEST_F(PostgresOutage, RequestsFailFastWhileDownAndTheSameStoreRecovers) {
  auto opened = open_postgres_store(options());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& store = **opened;
  for (unsigned k = 0; k < 8; ++k) ASSERT_EQ(check(store, block(k, 10, 1)), Refusal::none);  // every lane in use
  ASSERT_TRUE(store.health().ok());

  ASSERT_EQ(server("stop", dir_), 0);
  for (unsigned k = 0; k < 8; ++k) {
    auto [r, took] = timed(store, block(k, 11, 1));
    ASSERT_FALSE(r.ok()) << "key " << k << " was allowed while the database was down";
    EXPECT_EQ(r.error().kind, Error::Kind::unavailable);
    EXPECT_LT(took, kDbTimeout + kSlack);
  }
  auto h = store.health();
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().kind, Error::Kind::unavailable);
  const auto port = conninfo_fields(read_conninfo(dir_))["port"];
  EXPECT_NE(h.error().message.find("postgresql 127.0.0.1:" + port + "/outage"), std::string::npos) << h.error().message;
  EXPECT_NE(h.error().message.find("cannot connect"), std::string::npos) << h.error().message;

  ASSERT_EQ(server("start", dir_), 0);  // same directory, same port
  EXPECT_TRUE(store.health().ok());
  for (unsigned k = 0; k < 8; ++k) {
    EXPECT_EQ(check(store, block(k, 11, 1)), Refusal::none) << "key " << k << ": no recovery without a reopen";
    EXPECT_EQ(check(store, block(k, 10, 2)), Refusal::double_block_proposal) << "the record from before survived";
  }
}

TEST_F(PostgresOutage, AStormAcrossAStopAndStartNeverAllowsWithoutARecord) {
  auto opened = open_postgres_store(options());
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  auto& store = **opened;
  std::atomic<bool> stop{false};
  std::atomic<std::uint64_t> next_slot{1};
  std::mutex mu;
  std::vector<std::uint64_t> allowed_slots;
  std::atomic<unsigned> unavailable{0}, late{0};
  std::vector<std::thread> senders;
  for (unsigned t = 0; t < 4; ++t) {
    senders.emplace_back([&, t] {
      while (!stop) {
        const std::uint64_t slot = next_slot++;
        auto [r, took] = timed(store, block(t, slot, 1));
        if (took > kDbTimeout + kSlack) ++late;
        if (!r) {
          ++unavailable;
          std::this_thread::sleep_for(milliseconds(2));  // a client backs off a little, as real ones do
        } else if (r->allowed()) {
          std::lock_guard lock(mu);
          allowed_slots.push_back(slot * 16 + t);
        }
      }
    });
  }
  std::this_thread::sleep_for(milliseconds(300));
  EXPECT_EQ(server("stop", dir_), 0);
  std::this_thread::sleep_for(milliseconds(1500));
  EXPECT_EQ(server("start", dir_), 0);
  std::this_thread::sleep_for(milliseconds(1500));
  stop = true;
  for (auto& s : senders) s.join();

  EXPECT_GT(unavailable.load(), 0u) << "the outage was not noticed";
  EXPECT_EQ(late.load(), 0u) << "requests outlasted db_timeout";
  // Every allowed block is recorded: another root at its slot is refused.
  ASSERT_FALSE(allowed_slots.empty());
  std::vector<std::promise<Result<Decision>>> again(allowed_slots.size());
  for (std::size_t i = 0; i < allowed_slots.size(); ++i) {
    const auto packed = allowed_slots[i];
    store.check_and_record(kGvr, block(static_cast<unsigned>(packed % 16), packed / 16, 2),
                           [&again, i](Result<Decision> r) { again[i].set_value(std::move(r)); });
  }
  unsigned unrecorded = 0;
  for (auto& a : again) {
    auto r = a.get_future().get();
    if (!r.ok() || r->refusal != Refusal::double_block_proposal) ++unrecorded;
  }
  EXPECT_EQ(unrecorded, 0u) << "allowed blocks missing from the database after the restart";
  // And signing continued after the restart.
  EXPECT_EQ(check(store, block(9, next_slot + 100, 1)), Refusal::none);
  std::printf("[ pg outage ] %zu allowed, %u unavailable during the outage\n", allowed_slots.size(),
              unavailable.load());
}

}  // namespace
}  // namespace cc::slashing::test
