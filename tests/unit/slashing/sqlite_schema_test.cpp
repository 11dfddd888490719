// The SQLite database as other programs see it: every rule lookup is an index search (asked of
// SQLite's query planner, on the schema the store created), the journal is WAL, while a store is
// open no other connection can write, even one that ignores our lock file, and a database of
// an older schema version (created by that release's SQL: 1 or 2) is migrated keeping its history.
#include "slashing/sqlite_schema.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <span>

#include "store_fixture.hpp"

namespace cc::slashing::test {
namespace {

struct RawConnection {
  explicit RawConnection(const std::string& path) {
    sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READWRITE, nullptr);
  }
  ~RawConnection() { sqlite3_close(db); }
  RawConnection(const RawConnection&) = delete;
  RawConnection& operator=(const RawConnection&) = delete;

  // All rows of column `col`, joined with " | ".
  std::string text(const std::string& query, int col) {
    sqlite3_stmt* st = nullptr;
    if (sqlite3_prepare_v2(db, query.c_str(), -1, &st, nullptr) != SQLITE_OK)
      return std::string("error: ") + sqlite3_errmsg(db);
    std::string out;
    while (sqlite3_step(st) == SQLITE_ROW) {
      if (!out.empty()) out += " | ";
      const auto* t = sqlite3_column_text(st, col);
      out += t != nullptr ? reinterpret_cast<const char*>(t) : "";
    }
    sqlite3_finalize(st);
    return out;
  }
  sqlite3* db = nullptr;
};

TEST(SqliteSchema, EveryRuleLookupIsAnIndexSearch) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    // Some history, so the planner sees real tables.
    for (unsigned k = 0; k < 3; ++k) {
      for (std::uint64_t t = 1; t < 50; ++t) ASSERT_EQ(check(*store, vote(k, t - 1, t, 1)), Refusal::none);
    }
  }
  RawConnection raw(path);
  for (const char* query :
       {sql::kBlockAtSlot, sql::kFindKey, sql::kVotesAtTarget, sql::kSurroundingVote, sql::kSurroundedVote}) {
    const auto plan = raw.text(std::string("EXPLAIN QUERY PLAN ") + query, 3);
    EXPECT_NE(plan.find("SEARCH"), std::string::npos) << query << "\n  plan: " << plan;
    EXPECT_EQ(plan.find("SCAN"), std::string::npos) << query << "\n  plan: " << plan;
  }
  // The surround lookups start at the request's epoch: a range on the indexed column.
  EXPECT_NE(raw.text(std::string("EXPLAIN QUERY PLAN ") + sql::kSurroundingVote, 3).find("target_epoch>?"),
            std::string::npos);
  EXPECT_NE(raw.text(std::string("EXPLAIN QUERY PLAN ") + sql::kSurroundedVote, 3).find("source_epoch>?"),
            std::string::npos);
  EXPECT_EQ(raw.text("PRAGMA journal_mode", 0), "wal");
  EXPECT_EQ(raw.text("SELECT value FROM meta WHERE key = 'schema_version'", 0), std::to_string(kSqliteSchemaVersion));
}

// The schema exactly as release 1 created it (frozen here: the program's own copy may evolve),
// with some history: one key, a block, a vote, their watermarks, the network.
constexpr const char* kVersion1WithHistory = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value BLOB NOT NULL) WITHOUT ROWID;
CREATE TABLE validators (
  id               INTEGER PRIMARY KEY,
  pubkey           BLOB NOT NULL UNIQUE CHECK (length(pubkey) = 48),
  low_slot         INTEGER CHECK (low_slot >= 0),
  low_source_epoch INTEGER CHECK (low_source_epoch >= 0),
  low_target_epoch INTEGER CHECK (low_target_epoch >= 0)
);
CREATE TABLE blocks (
  validator_id INTEGER NOT NULL REFERENCES validators (id),
  slot         INTEGER NOT NULL CHECK (slot >= 0),
  signing_root BLOB CHECK (signing_root IS NULL OR length(signing_root) = 32),
  PRIMARY KEY (validator_id, slot)
) WITHOUT ROWID;
CREATE TABLE attestations (
  validator_id INTEGER NOT NULL REFERENCES validators (id),
  source_epoch INTEGER NOT NULL CHECK (source_epoch >= 0),
  target_epoch INTEGER NOT NULL CHECK (target_epoch >= 0),
  signing_root BLOB CHECK (signing_root IS NULL OR length(signing_root) = 32)
);
CREATE UNIQUE INDEX attestations_by_target ON attestations (validator_id, target_epoch, source_epoch);
CREATE INDEX attestations_by_source ON attestations (validator_id, source_epoch, target_epoch);
INSERT INTO meta (key, value) VALUES ('schema_version', 1);
INSERT INTO meta (key, value) VALUES ('genesis_validators_root', zeroblob(0));
INSERT INTO validators (id, pubkey, low_slot, low_source_epoch, low_target_epoch) VALUES (1, ?1, 10, 3, 4);
)sql";

// A database as release 1 wrote it (one key with a block and a vote; the key and the roots as
// SQL blobs), with `more` SQL run after it (e.g. what release 2 added).
void write_version1_database(const std::string& path, const std::string& more) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path.c_str(), &db), SQLITE_OK);
  auto blob = [](std::span<const std::uint8_t> b) { return "x'" + to_hex(b).substr(2) + "'"; };
  std::string sql = kVersion1WithHistory;
  sql.replace(sql.find("?1"), 2, blob(key(1)));
  sql.replace(sql.find("zeroblob(0)"), 11, blob(kGvr));
  sql += "INSERT INTO blocks VALUES (1, 10, " + blob(root(1)) + ");";
  sql += "INSERT INTO attestations VALUES (1, 3, 4, " + blob(root(1)) + ");";
  sql += more;
  char* error = nullptr;
  const int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << error;
}

TEST(SqliteSchema, AVersion1DatabaseWithHistoryIsMigratedAndKeepsIt) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  write_version1_database(path, "");
  if (HasFatalFailure()) return;
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(check(*store, block(1, 10, 2)), Refusal::double_block_proposal) << "the history survived";
    EXPECT_EQ(check(*store, block(1, 9, 1)), Refusal::block_slot_at_or_below_low_watermark);
    EXPECT_EQ(check(*store, vote(1, 3, 4, 2)), Refusal::double_vote);
    EXPECT_EQ(check(*store, block(1, 11, 1), root(77)), Refusal::genesis_validators_root_mismatch);
    auto none = store->high_watermark();
    ASSERT_TRUE(none.ok()) << none.error().message;
    EXPECT_FALSE(none->has_value());
    ASSERT_TRUE(store->set_high_watermark(HighWatermark{20, 640}).ok());
    EXPECT_EQ(check(*store, block(1, 640, 1)), Refusal::block_slot_at_or_above_high_watermark);
  }
  RawConnection raw(path);
  EXPECT_EQ(raw.text("SELECT value FROM meta WHERE key = 'schema_version'", 0), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(raw.text("SELECT epoch || ',' || slot FROM high_watermark", 0), "20,640");
  EXPECT_EQ(raw.text("PRAGMA page_size", 0), "4096") << "an existing file keeps the page size it was created with";
}

// A new file uses 1 KiB pages: each vote dirties a leaf page in each attestation index, and
// every dirty page is written to the WAL whole at commit (and again at checkpoint), so small
// pages write a quarter of the bytes per signature (docs/performance.md).
TEST(SqliteSchema, ANewDatabaseUsesSmallPages) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(check(*store, vote(1, 3, 4, 1)), Refusal::none);
  }
  RawConnection raw(path);
  EXPECT_EQ(raw.text("PRAGMA page_size", 0), "1024");
}

// Release 2 added the high watermark to release 1's schema (frozen here too).
constexpr const char* kVersion2Additions = R"sql(
CREATE TABLE high_watermark (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL CHECK (epoch >= 0),
  slot  INTEGER NOT NULL CHECK (slot >= 0)
);
UPDATE meta SET value = 2 WHERE key = 'schema_version';
INSERT INTO high_watermark (id, epoch, slot) VALUES (1, 20, 640);
)sql";

TEST(SqliteSchema, AVersion2DatabaseWithHistoryIsMigratedWithEveryKeyEnabled) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  write_version1_database(path, kVersion2Additions);
  if (HasFatalFailure()) return;
  {
    auto store = open_store(path);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(check(*store, block(1, 10, 2)), Refusal::double_block_proposal) << "the history survived";
    EXPECT_EQ(check(*store, vote(1, 3, 4, 2)), Refusal::double_vote);
    EXPECT_EQ(check(*store, block(1, 640, 1)), Refusal::block_slot_at_or_above_high_watermark);
    EXPECT_EQ(check(*store, block(1, 11, 1)), Refusal::none) << "a migrated key is enabled";
    auto exported = store->disable_and_export({key(1)}, {});
    ASSERT_TRUE(exported.ok()) << exported.error().message;
    ASSERT_TRUE(exported->has_value());
    EXPECT_NE((*exported)->find(to_hex(key(1))), std::string::npos) << **exported;
    EXPECT_EQ(check(*store, block(1, 12, 1)), Refusal::key_disabled);
  }
  RawConnection raw(path);
  EXPECT_EQ(raw.text("SELECT value FROM meta WHERE key = 'schema_version'", 0), std::to_string(kSqliteSchemaVersion));
  EXPECT_EQ(raw.text("SELECT disabled FROM validators", 0), "1");
  EXPECT_EQ(raw.text("SELECT epoch || ',' || slot FROM high_watermark", 0), "20,640");
}

TEST(SqliteSchema, ADatabaseOfANewerProgramIsRefusedAndLeftAlone) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  { ASSERT_NE(open_store(path), nullptr); }
  {
    RawConnection raw(path);
    ASSERT_EQ(
        sqlite3_exec(raw.db, "UPDATE meta SET value = 99 WHERE key = 'schema_version'", nullptr, nullptr, nullptr),
        SQLITE_OK);
  }
  auto store = open_sqlite_store(options_at(path));
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("schema version 99 is newer"), std::string::npos) << store.error().message;
  RawConnection raw(path);
  EXPECT_EQ(raw.text("SELECT value FROM meta WHERE key = 'schema_version'", 0), "99");
}

TEST(SqliteSchema, NoOtherConnectionCanWriteWhileAStoreIsOpen) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(check(*store, block(1, 1, 1)), Refusal::none);
  RawConnection raw(path);
  ASSERT_NE(raw.db, nullptr);
  const int rc = sqlite3_exec(raw.db, "BEGIN IMMEDIATE; DELETE FROM blocks; COMMIT;", nullptr, nullptr, nullptr);
  EXPECT_EQ(rc & 0xff, SQLITE_BUSY) << sqlite3_errmsg(raw.db);
  EXPECT_EQ(check(*store, block(1, 1, 2)), Refusal::double_block_proposal);
}

}  // namespace
}  // namespace cc::slashing::test
