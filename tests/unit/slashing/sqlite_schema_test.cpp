// The SQLite database as other programs see it: every rule lookup is an index search (asked of
// SQLite's query planner, on the schema the store created), the journal is WAL, and while a
// store is open no other connection can write, even one that ignores our lock file.
#include "slashing/sqlite_schema.hpp"

#include <gtest/gtest.h>
#include <sqlite3.h>

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
