// The PostgreSQL store beyond what every backend does (store_behaviour_test): both conninfo
// forms (a URL's hostaddr= is honoured), errors that name the server but never the password,
// bounded time when the server is silent or a row lock is held elsewhere, replicas (stores
// on one database) sharing one history, one network and the watermarks, and a high watermark
// change ordered with the signing batches in flight (kHighWatermarkLock).
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>
#include <thread>

#include "slashing/postgres_schema.hpp"
#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

class PostgresStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pg_server_conninfo()) GTEST_SKIP() << kNoPgServer;
    db_ = std::make_unique<PostgresTestDatabase>(*pg_server_conninfo());
  }
  std::unique_ptr<SlashingStore> open(PostgresOptions o) {
    auto store = open_postgres_store(o);
    if (!store) ADD_FAILURE() << store.error().message;
    return store ? std::move(*store) : nullptr;
  }
  std::unique_ptr<PostgresTestDatabase> db_;
};

// A TCP listener on 127.0.0.1 that never accepts: connects complete, nothing ever answers.
class SilentServer {
 public:
  SilentServer() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&a), len) != 0 || ::listen(fd_, 16) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len) != 0) {
      throw std::runtime_error("cannot listen");
    }
    port_ = ntohs(a.sin_port);
  }
  ~SilentServer() { ::close(fd_); }
  SilentServer(const SilentServer&) = delete;
  SilentServer& operator=(const SilentServer&) = delete;
  int port() const { return port_; }

 private:
  int fd_ = -1;
  int port_ = 0;
};

// ---- connection strings -------------------------------------------------------------------

TEST_F(PostgresStoreTest, AUrlWithHostaddrConnectsToThatAddressWithoutResolvingTheHost) {
  auto f = conninfo_fields(db_->conninfo());
  PostgresOptions o = db_->options();
  // signer-db.invalid cannot resolve (RFC 2606): only hostaddr= can make this connect.
  o.conninfo = "postgresql://" + f["user"] + "@signer-db.invalid:" + f["port"] + "/" + f["dbname"] +
               "?hostaddr=127.0.0.1&sslmode=disable";
  auto store = open(o);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(check(*store, block(1, 1, 1)), Refusal::none);
  EXPECT_TRUE(store->health().ok());
}

TEST_F(PostgresStoreTest, AMalformedConninfoIsInvalidAndNeverEchoesThePassword) {
  PostgresOptions o = db_->options();
  o.conninfo = "host=127.0.0.1 password=hunter2 no_such_option=1";
  auto r = open_postgres_store(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(r.error().message.find("no_such_option"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
  o.conninfo = "";
  EXPECT_EQ(open_postgres_store(o).error().kind, Error::Kind::invalid_argument);
}

TEST_F(PostgresStoreTest, AMissingDatabaseIsUnavailableAndNamed) {
  PostgresOptions o = db_->options();
  o.conninfo = *pg_server_conninfo() + " dbname=no_such_db password=hunter2";
  auto r = open_postgres_store(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::unavailable);
  EXPECT_NE(r.error().message.find("no_such_db"), std::string::npos) << r.error().message;
  EXPECT_EQ(r.error().message.find("hunter2"), std::string::npos) << r.error().message;
}

// ---- bounded time -------------------------------------------------------------------------

TEST_F(PostgresStoreTest, ASilentServerFailsTheOpenWithinDbTimeout) {
  SilentServer silent;
  PostgresOptions o;
  o.conninfo = "host=127.0.0.1 port=" + std::to_string(silent.port()) + " user=x dbname=x sslmode=disable";
  o.db_timeout = milliseconds(400);
  const auto start = Clock::now();
  auto r = open_postgres_store(o);
  const auto took = Clock::now() - start;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::unavailable);
  EXPECT_NE(r.error().message.find("127.0.0.1:" + std::to_string(silent.port())), std::string::npos)
      << r.error().message;
  EXPECT_GE(took, milliseconds(350));
  EXPECT_LT(took, milliseconds(1500)) << "the open must not outlast db_timeout";
}

TEST_F(PostgresStoreTest, ARowLockHeldElsewhereAnswersUnavailableWithinDbTimeoutAndRecordsNothing) {
  PostgresOptions o = db_->options();
  o.db_timeout = milliseconds(500);
  auto store = open(o);
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(check(*store, block(1, 1, 1)), Refusal::none);

  // Another client (a stuck replica, a slow migration) holds key 1's row.
  PgSession other(db_->conninfo());
  other.exec({"BEGIN", "SELECT 1 FROM cc_validators WHERE pubkey = '" + pg_bytea(key(1)) + "' FOR UPDATE"});

  constexpr int kRequests = 20;
  std::vector<std::promise<std::pair<Result<Decision>, Clock::duration>>> answers(kRequests);
  for (int i = 0; i < kRequests; ++i) {
    const auto sent = Clock::now();
    store->check_and_record(kGvr, block(1, 10 + static_cast<unsigned>(i), 7), [&answers, i, sent](Result<Decision> r) {
      answers[static_cast<std::size_t>(i)].set_value({std::move(r), Clock::now() - sent});
    });
    std::this_thread::sleep_for(milliseconds(20));  // arrivals spread over most of a db_timeout
  }
  for (auto& a : answers) {
    auto [r, took] = a.get_future().get();
    ASSERT_FALSE(r.ok()) << "a request was answered while its key was locked elsewhere";
    EXPECT_EQ(r.error().kind, Error::Kind::unavailable);
    EXPECT_LT(took, milliseconds(1500)) << "answered after " << std::chrono::duration<double>(took).count() << " s";
  }
  EXPECT_TRUE(store->health().ok()) << "the server itself is fine";

  other.exec({"ROLLBACK"});
  EXPECT_EQ(check(*store, block(1, 10, 8)), Refusal::none) << "the store recovers; nothing was recorded at slot 10";
  EXPECT_EQ(check(*store, block(1, 29, 8)), Refusal::none);
}

// ---- replicas -----------------------------------------------------------------------------

TEST_F(PostgresStoreTest, ReplicasShareOneHistory) {
  auto a = open(db_->options());
  auto b = open(db_->options());
  ASSERT_TRUE(a && b);
  EXPECT_EQ(check(*a, block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(check(*a, vote(1, 2, 5, 1)), Refusal::none);
  EXPECT_EQ(check(*a, vote(1, 6, 9, 1)), Refusal::none);
  EXPECT_EQ(check(*b, block(1, 10, 2)), Refusal::double_block_proposal);
  EXPECT_EQ(check(*b, block(1, 10, 1)), Refusal::none) << "identical re-sign on another replica";
  EXPECT_EQ(check(*b, vote(1, 3, 10, 2)), Refusal::surrounding_vote);
  EXPECT_EQ(check(*b, vote(1, 7, 8, 2)), Refusal::surrounded_vote);
  EXPECT_EQ(check(*b, vote(1, 1, 11, 2)), Refusal::source_below_low_watermark);
  EXPECT_EQ(check(*b, vote(1, 2, 5, 2)), Refusal::double_vote);
  EXPECT_EQ(check(*b, block(1, 11, 2)), Refusal::none);
  EXPECT_EQ(check(*a, block(1, 11, 1)), Refusal::double_block_proposal);
  EXPECT_EQ(check(*a, block(1, 9, 1)), Refusal::block_slot_at_or_below_low_watermark);
}

TEST_F(PostgresStoreTest, AReplicaLearnsTheNetworkAnotherOneBound) {
  auto a = open(db_->options());
  auto b = open(db_->options());  // opened while the database is bound to no network
  ASSERT_TRUE(a && b);
  EXPECT_EQ(check(*a, block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(check(*b, block(2, 10, 1), root(5)), Refusal::genesis_validators_root_mismatch);
  EXPECT_EQ(check(*b, block(2, 10, 1)), Refusal::none);
  auto export_b = b->export_interchange({});
  ASSERT_TRUE(export_b.ok());
  EXPECT_NE(export_b->find(to_hex(kGvr)), std::string::npos);
}

TEST_F(PostgresStoreTest, AnImportOnOneReplicaBindsTheOthers) {
  auto a = open(db_->options());
  auto b = open(db_->options());
  ASSERT_TRUE(a && b);
  const std::string file = R"({"metadata":{"interchange_format_version":"5","genesis_validators_root":")" +
                           to_hex(root(0x77)) + R"("},"data":[{"pubkey":")" + to_hex(key(1)) +
                           R"(","signed_blocks":[{"slot":"20"}],"signed_attestations":[]}]})";
  ASSERT_TRUE(a->import_interchange(file).ok());
  EXPECT_EQ(check(*b, block(1, 21, 1)), Refusal::genesis_validators_root_mismatch);
  EXPECT_EQ(check(*b, block(1, 20, 1), root(0x77)), Refusal::double_block_proposal);
  EXPECT_EQ(check(*b, block(1, 21, 1), root(0x77)), Refusal::none);
  auto again = b->import_interchange(file);
  EXPECT_TRUE(again.ok()) << again.error().message;
}

// ---- watermarks across replicas -------------------------------------------------------------

TEST_F(PostgresStoreTest, WatermarkChangesOnOneReplicaApplyToTheOthersNextRequest) {
  auto a = open(db_->options());
  auto b = open(db_->options());
  ASSERT_TRUE(a && b);
  for (std::uint64_t e = 1; e <= 10; ++e) ASSERT_EQ(check(*a, vote(1, e - 1, e, 1)), Refusal::none);
  ASSERT_TRUE(b->set_high_watermark(HighWatermark{12, 384}).ok());
  EXPECT_EQ(check(*a, vote(1, 10, 12, 1)), Refusal::attestation_epoch_at_or_above_high_watermark);
  EXPECT_EQ(check(*a, block(2, 384, 1)), Refusal::block_slot_at_or_above_high_watermark);
  auto seen = a->high_watermark();
  ASSERT_TRUE(seen.ok()) << seen.error().message;
  EXPECT_EQ(*seen, (HighWatermark{12, 384}));
  ASSERT_TRUE(b->set_high_watermark(std::nullopt).ok());
  EXPECT_EQ(check(*a, vote(1, 10, 12, 1)), Refusal::none);

  ASSERT_TRUE(b->raise_low_watermark(key(3), 500, std::nullopt, std::nullopt).ok());
  EXPECT_EQ(check(*a, block(3, 500, 1)), Refusal::block_slot_at_or_below_low_watermark);
  auto pruned = b->prune(2);
  ASSERT_TRUE(pruned.ok()) << pruned.error().message;
  EXPECT_EQ(pruned->attestations_deleted, 9u);
  EXPECT_EQ(check(*a, vote(1, 4, 11, 2)), Refusal::source_below_low_watermark);
  EXPECT_EQ(check(*a, vote(1, 9, 9, 2)), Refusal::target_at_or_below_low_watermark);
  EXPECT_EQ(check(*a, vote(1, 9, 10, 2)), Refusal::double_vote);
}

TEST_F(PostgresStoreTest, AHighWatermarkChangeWaitsForTheBatchesInFlight) {
  auto store = open(db_->options());
  ASSERT_NE(store, nullptr);
  // A replica's batch in flight: it read "no high watermark" and holds the lock shared until it commits.
  PgSession batch(db_->conninfo());
  batch.exec({"BEGIN", std::string("SELECT pg_advisory_xact_lock_shared(") + kHighWatermarkLock + ")"});
  auto set = std::async(std::launch::async, [&] { return store->set_high_watermark(HighWatermark{1, 32}); });
  EXPECT_EQ(set.wait_for(milliseconds(400)), std::future_status::timeout)
      << "the change returned while a batch that read the old value could still sign";
  batch.exec({"COMMIT"});
  ASSERT_EQ(set.wait_for(std::chrono::seconds(5)), std::future_status::ready);
  EXPECT_TRUE(set.get().ok());
  EXPECT_EQ(check(*store, block(1, 32, 1)), Refusal::block_slot_at_or_above_high_watermark);
}

TEST_F(PostgresStoreTest, ABatchStartedDuringAHighWatermarkChangeSeesTheNewValue) {
  auto store = open(db_->options());
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(check(*store, block(1, 1, 1)), Refusal::none);
  // Another replica's operator command, between its lock and its commit.
  PgSession change(db_->conninfo());
  change.exec({"BEGIN", std::string("SELECT pg_advisory_xact_lock(") + kHighWatermarkLock + ")",
               "INSERT INTO cc_high_watermark (id, epoch, slot) VALUES (true, 1, 32)"});
  auto request = std::async(std::launch::async, [&] { return store->check_and_record_sync(kGvr, block(1, 40, 1)); });
  EXPECT_EQ(request.wait_for(milliseconds(400)), std::future_status::timeout);
  change.exec({"COMMIT"});
  auto d = request.get();
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->refusal, Refusal::block_slot_at_or_above_high_watermark);
}

}  // namespace
}  // namespace cc::slashing::test
