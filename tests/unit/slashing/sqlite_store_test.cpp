// The SQLite store, on real database files: every refusal and allowed re-sign through the
// public API, watermarks, the genesis_validators_root binding, batching order, persistence
// across reopen, file modes, the in-process lock and health.
#include "slashing/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <atomic>
#include <fstream>
#include <future>

#include "store_fixture.hpp"

namespace cc::slashing::test {
namespace {

class SqliteStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = open_store(path());
    ASSERT_NE(store_, nullptr);
  }
  std::string path() const { return dir_.file("slashing.sqlite"); }
  SlashingStore& store() { return *store_; }
  Refusal sign(const SignedMessage& m) { return check(*store_, m); }
  void import(const std::string& json) {
    auto st = store_->import_interchange(json);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }

  TempDir dir_;
  std::unique_ptr<SlashingStore> store_;
};

std::string interchange(const std::string& data, const Root& gvr = kGvr) {
  return R"({"metadata":{"interchange_format_version":"5","genesis_validators_root":")" + to_hex(gvr) +
         R"("},"data":[)" + data + "]}";
}

std::string record(unsigned k, const std::string& blocks, const std::string& atts) {
  return R"({"pubkey":")" + to_hex(key(k)) + R"(","signed_blocks":[)" + blocks + R"(],"signed_attestations":[)" + atts +
         "]}";
}

// ---- one test per refusal -----------------------------------------------------------------

TEST_F(SqliteStoreTest, GenesisValidatorsRootMismatchRefusesEverything) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  auto d = store().check_and_record_sync(root(0x1234), block(1, 11, 1));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->refusal, Refusal::genesis_validators_root_mismatch);
  EXPECT_NE(d->detail.find(to_hex(root(0x1234))), std::string::npos) << d->detail;
  EXPECT_EQ(check(store(), vote(2, 1, 2, 1), root(0x1234)), Refusal::genesis_validators_root_mismatch);
  EXPECT_EQ(sign(block(1, 11, 1)), Refusal::none) << "the refused request must not have been recorded";
}

TEST_F(SqliteStoreTest, BlockBelowTheWatermarkIsRefused) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 9, 2)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 0, 2)), Refusal::block_slot_at_or_below_low_watermark);
}

TEST_F(SqliteStoreTest, DoubleBlockProposalIsRefused) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 12, 1)), Refusal::none);
  auto d = store().check_and_record_sync(kGvr, block(1, 12, 2));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->refusal, Refusal::double_block_proposal);
  EXPECT_EQ(d->detail, "block slot 12 already signed with a different signing root");
  EXPECT_EQ(sign(block(2, 12, 2)), Refusal::none) << "another key is independent";
}

TEST_F(SqliteStoreTest, SourceExceedingTargetIsRefused) {
  EXPECT_EQ(sign(vote(1, 5, 4, 1)), Refusal::source_exceeds_target);
  EXPECT_EQ(sign(vote(1, 4, 4, 1)), Refusal::none) << "refused votes leave no watermark behind";
}

TEST_F(SqliteStoreTest, SourceBelowTheWatermarkIsRefused) {
  EXPECT_EQ(sign(vote(1, 5, 6, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 10, 2)), Refusal::source_below_low_watermark);
}

TEST_F(SqliteStoreTest, TargetAtOrBelowTheWatermarkIsRefused) {
  EXPECT_EQ(sign(vote(1, 5, 6, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 5, 5, 2)), Refusal::target_at_or_below_low_watermark);
}

TEST_F(SqliteStoreTest, DoubleVoteIsRefused) {
  EXPECT_EQ(sign(vote(1, 1, 2, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 5, 1)), Refusal::none);
  auto d = store().check_and_record_sync(kGvr, vote(1, 2, 5, 2));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->refusal, Refusal::double_vote);
  EXPECT_EQ(d->detail, "attestation target epoch 5 already signed with a different signing root");
  EXPECT_EQ(sign(vote(1, 3, 5, 1)), Refusal::double_vote) << "same target, other source";
}

TEST_F(SqliteStoreTest, SurroundingVoteIsRefused) {
  EXPECT_EQ(sign(vote(1, 1, 2, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 5, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 3, 6, 2)), Refusal::surrounding_vote);
}

TEST_F(SqliteStoreTest, SurroundedVoteIsRefused) {
  EXPECT_EQ(sign(vote(1, 1, 2, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 9, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 3, 8, 2)), Refusal::surrounded_vote);
}

TEST_F(SqliteStoreTest, AdjacentNonSurroundingVotesAreAllowed) {
  EXPECT_EQ(sign(vote(1, 1, 2, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 3, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 5, 1)), Refusal::none);  // same source as a record, later target
  EXPECT_EQ(sign(vote(1, 4, 5, 1)), Refusal::double_vote);
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::surrounded_vote);
}

// ---- allowed re-signs ---------------------------------------------------------------------

TEST_F(SqliteStoreTest, IdenticalBlockIsReSignedIncludingAtTheWatermark) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);  // sets the watermark to 10
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 11, 2)), Refusal::none);
  EXPECT_EQ(sign(block(1, 11, 2)), Refusal::none);
}

TEST_F(SqliteStoreTest, IdenticalAttestationIsReSignedIncludingAtTheWatermark) {
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 6, 2)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 6, 2)), Refusal::none);
}

// ---- watermarks and imports ---------------------------------------------------------------

TEST_F(SqliteStoreTest, ImportSetsWatermarksAtTheOldestImportedMessage) {
  import(interchange(record(1, R"({"slot":"20"},{"slot":"30"})", R"({"source_epoch":"5","target_epoch":"6"})")));
  EXPECT_EQ(sign(block(1, 19, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 25, 1)), Refusal::none) << "complete database: between imported blocks is allowed";
  EXPECT_EQ(sign(block(1, 30, 1)), Refusal::double_block_proposal) << "imported without a root: the null marker";
  EXPECT_EQ(sign(vote(1, 4, 9, 1)), Refusal::source_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 5, 6, 1)), Refusal::double_vote);
  EXPECT_EQ(sign(vote(1, 6, 7, 1)), Refusal::none);
}

TEST_F(SqliteStoreTest, NeverSignsInTheGapBetweenTwoImports) {
  import(interchange(record(1, R"({"slot":"40"})", R"({"source_epoch":"2","target_epoch":"30"})")));
  import(interchange(record(1, R"({"slot":"50"})", R"({"source_epoch":"10","target_epoch":"50"})")));
  EXPECT_EQ(sign(block(1, 45, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 3, 31, 1)), Refusal::source_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 10, 49, 1)), Refusal::target_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 51, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 10, 51, 1)), Refusal::none);
}

TEST_F(SqliteStoreTest, AnOlderImportNeverLowersTheWatermark) {
  EXPECT_EQ(sign(block(1, 100, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 10, 11, 1)), Refusal::none);
  import(interchange(record(1, R"({"slot":"5"})", R"({"source_epoch":"1","target_epoch":"2"})")));
  EXPECT_EQ(sign(block(1, 50, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 9, 12, 1)), Refusal::source_below_low_watermark);
}

TEST_F(SqliteStoreTest, ImportWithRootsAllowsTheIdenticalMessageOnly) {
  import(
      interchange(record(1, R"({"slot":"15","signing_root":")" + to_hex(root(7)) + R"("})",
                         R"({"source_epoch":"5","target_epoch":"15","signing_root":")" + to_hex(root(8)) + R"("})")));
  EXPECT_EQ(sign(block(1, 15, 7)), Refusal::none);
  EXPECT_EQ(sign(block(1, 15, 6)), Refusal::double_block_proposal);
  EXPECT_EQ(sign(vote(1, 5, 15, 8)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 5, 15, 9)), Refusal::double_vote);
}

TEST_F(SqliteStoreTest, TheFirstImportBindsTheNetwork) {
  import(interchange(record(1, R"({"slot":"1"})", "")));
  EXPECT_EQ(check(store(), block(1, 2, 1), root(99)), Refusal::genesis_validators_root_mismatch);
  EXPECT_EQ(sign(block(1, 2, 1)), Refusal::none);
}

// ---- batching -----------------------------------------------------------------------------

TEST(SqliteStoreBatching, LaterRequestsInOneBatchSeeEarlierOnes) {
  TempDir dir;
  SqliteOptions options;
  options.max_batch_delay = std::chrono::milliseconds(300);  // both requests land in one batch
  auto store = open_store(dir.file("db.sqlite"), options);
  ASSERT_NE(store, nullptr);
  std::promise<Result<Decision>> first, second, third;
  store->check_and_record(kGvr, vote(1, 1, 2, 1), [&](Result<Decision> r) { first.set_value(std::move(r)); });
  store->check_and_record(kGvr, vote(1, 1, 2, 2), [&](Result<Decision> r) { second.set_value(std::move(r)); });
  store->check_and_record(kGvr, vote(1, 0, 3, 3), [&](Result<Decision> r) { third.set_value(std::move(r)); });
  auto a = first.get_future().get(), b = second.get_future().get(), c = third.get_future().get();
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_TRUE(a->allowed());
  EXPECT_EQ(b->refusal, Refusal::double_vote);
  EXPECT_EQ(c->refusal, Refusal::source_below_low_watermark);
  EXPECT_EQ(store->stats().commits, 1u);
  EXPECT_EQ(store->stats().requests, 3u);
}

TEST(SqliteStoreBatching, DestructorAnswersEveryQueuedRequest) {
  TempDir dir;
  std::atomic<int> allowed{0}, answered{0};
  {
    SqliteOptions options;
    options.max_batch = 7;
    auto store = open_store(dir.file("db.sqlite"), options);
    ASSERT_NE(store, nullptr);
    for (unsigned i = 0; i < 300; ++i) {
      store->check_and_record(kGvr, block(i % 3, 1 + i, i), [&](Result<Decision> r) {
        if (r.ok() && r->allowed()) ++allowed;
        ++answered;
      });
    }
  }
  EXPECT_EQ(answered.load(), 300);
  EXPECT_EQ(allowed.load(), 300);
  auto store = open_store(dir.file("db.sqlite"));
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(check(*store, block(0, 1, 9999)), Refusal::double_block_proposal) << "drained requests are durable";
  EXPECT_EQ(check(*store, block(2, 300, 9999)), Refusal::double_block_proposal);
}

TEST(SqliteStoreInput, SlotsAboveInt64AreInvalidArgumentNotSigned) {
  TempDir dir;
  auto store = open_store(dir.file("db.sqlite"));
  ASSERT_NE(store, nullptr);
  auto r = store->check_and_record_sync(kGvr, BlockProposal{key(1), ~0ull, root(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(check(*store, block(1, 5, 1)), Refusal::none) << "one bad request does not fail its batch";
}

// ---- persistence, files, locks, health ----------------------------------------------------

TEST(SqliteStorePersistence, SignedMessagesStillRefuseConflictsAfterReopen) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(check(*store, block(1, 10, 1)), Refusal::none);
    EXPECT_EQ(check(*store, vote(1, 3, 4, 1)), Refusal::none);
    EXPECT_EQ(check(*store, vote(1, 5, 9, 1)), Refusal::none);
  }
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(check(*store, block(1, 10, 2)), Refusal::double_block_proposal);
  EXPECT_EQ(check(*store, block(1, 9, 2)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(check(*store, vote(1, 5, 9, 2)), Refusal::double_vote);
  EXPECT_EQ(check(*store, vote(1, 6, 8, 2)), Refusal::surrounded_vote);
  EXPECT_EQ(check(*store, vote(1, 4, 10, 2)), Refusal::surrounding_vote);
  EXPECT_EQ(check(*store, block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(check(*store, vote(1, 5, 9, 1)), Refusal::none);
  EXPECT_EQ(check(*store, block(1, 10, 1), root(5)), Refusal::genesis_validators_root_mismatch);
}

TEST(SqliteStoreFiles, CreatesParentDirectoriesAndPrivateFiles) {
  TempDir dir;
  const auto path = (dir.path() / "a" / "b" / "slashing.sqlite").string();
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(check(*store, block(1, 1, 1)), Refusal::none);
  for (const auto& file : {path, path + "-wal", path + ".lock"}) {
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
  }
  EXPECT_FALSE(std::filesystem::exists(path + "-shm")) << "EXCLUSIVE locking keeps the WAL index in memory";
}

TEST(SqliteStoreFiles, ErrorsNameThePath) {
  TempDir dir;
  const auto blocker = dir.file("not-a-dir");
  { std::ofstream(blocker) << "x"; }
  auto r = open_sqlite_store(options_at(blocker + "/slashing.sqlite"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(blocker), std::string::npos) << r.error().message;
}

TEST(SqliteStoreLock, ASecondOpenInTheSameProcessFails) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto first = open_store(path);
  ASSERT_NE(first, nullptr);
  auto second = open_sqlite_store(options_at(path));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("already in use by another process"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find(path), std::string::npos) << second.error().message;
  first.reset();
  EXPECT_TRUE(open_sqlite_store(options_at(path)).ok()) << "the lock is released with the store";
}

TEST(SqliteStoreNetwork, AConfiguredRootIsRecordedAndEnforcedAtOpen) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  SqliteOptions options;
  options.genesis_validators_root = kGvr;
  {
    auto store = open_store(path, options);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(check(*store, block(1, 1, 1), root(1)), Refusal::genesis_validators_root_mismatch);
  }
  options.path = path;
  options.genesis_validators_root = root(1);
  auto other = open_sqlite_store(options);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(other.error().message.find(to_hex(kGvr)), std::string::npos) << other.error().message;
}

TEST(SqliteStoreHealth, OkWhenWritableAndDownWhenTheFileIsGone) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->health().ok());
  EXPECT_EQ(store->backend_name(), "sqlite");
  std::filesystem::remove(path);
  auto h = store->health();
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().kind, Error::Kind::unavailable);
  EXPECT_NE(h.error().message.find(path), std::string::npos) << h.error().message;
}

TEST(SqliteStoreExport, AnEmptyDatabaseHasNothingToExport) {
  TempDir dir;
  auto store = open_store(dir.file("slashing.sqlite"));
  ASSERT_NE(store, nullptr);
  auto r = store->export_interchange({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::not_found);
}

}  // namespace
}  // namespace cc::slashing::test
