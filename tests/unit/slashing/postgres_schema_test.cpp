// The PostgreSQL schema and its automatic migration: a fresh database gets the current version,
// reopening applies nothing twice, many stores opening at once (threads, and separate processes
// as replicas would) migrate exactly once, a database of version 1 or 2 (created by that
// release's SQL, with history) is upgraded keeping its history, and one from a newer program is
// refused.
#include "slashing/postgres_schema.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <latch>
#include <thread>

#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

// "1,2,…" up to the current version: every migration applied once.
std::string every_version() {
  std::string out;
  for (int v = 1; v <= kPostgresSchemaVersion; ++v) out += (out.empty() ? "" : ",") + std::to_string(v);
  return out;
}

// The schema exactly as release 1 created it (frozen here: the program's own copy may evolve).
const std::vector<std::string> kVersion1Sql = {
    "CREATE TABLE cc_schema_migrations (version integer PRIMARY KEY, description text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())",
    "CREATE TABLE cc_meta (key text PRIMARY KEY, value bytea NOT NULL)",
    "CREATE TABLE cc_validators ("
    " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " pubkey bytea NOT NULL UNIQUE CHECK (octet_length(pubkey) = 48),"
    " low_slot bigint CHECK (low_slot >= 0),"
    " low_source_epoch bigint CHECK (low_source_epoch >= 0),"
    " low_target_epoch bigint CHECK (low_target_epoch >= 0))",
    "CREATE TABLE cc_blocks ("
    " validator_id bigint NOT NULL REFERENCES cc_validators (id),"
    " slot bigint NOT NULL CHECK (slot >= 0),"
    " signing_root bytea CHECK (signing_root IS NULL OR octet_length(signing_root) = 32),"
    " PRIMARY KEY (validator_id, slot))",
    "CREATE TABLE cc_attestations ("
    " validator_id bigint NOT NULL REFERENCES cc_validators (id),"
    " source_epoch bigint NOT NULL CHECK (source_epoch >= 0),"
    " target_epoch bigint NOT NULL CHECK (target_epoch >= 0),"
    " signing_root bytea CHECK (signing_root IS NULL OR octet_length(signing_root) = 32),"
    " PRIMARY KEY (validator_id, target_epoch, source_epoch))",
    "CREATE INDEX cc_attestations_by_source ON cc_attestations (validator_id, source_epoch, target_epoch)",
    "INSERT INTO cc_schema_migrations (version, description) VALUES (1, 'validators, blocks, attestations, meta')",
};

// What release 2 added to release 1's schema (frozen here too).
const std::vector<std::string> kVersion2Additions = {
    "CREATE TABLE cc_high_watermark ("
    " id boolean PRIMARY KEY DEFAULT true CHECK (id),"
    " epoch bigint NOT NULL CHECK (epoch >= 0),"
    " slot bigint NOT NULL CHECK (slot >= 0))",
    "INSERT INTO cc_schema_migrations (version, description) VALUES (2, 'global high watermark')",
};

// One key with a block and a vote, its watermarks, the network: what releases 1 and 2 recorded.
std::vector<std::string> history_statements() {
  return {
      "INSERT INTO cc_meta (key, value) VALUES ('genesis_validators_root', '" + pg_bytea(kGvr) + "')",
      "INSERT INTO cc_validators (pubkey, low_slot, low_source_epoch, low_target_epoch) VALUES ('" + pg_bytea(key(1)) +
          "', 10, 3, 4)",
      "INSERT INTO cc_blocks (validator_id, slot, signing_root) VALUES (1, 10, '" + pg_bytea(root(1)) + "')",
      "INSERT INTO cc_attestations (validator_id, source_epoch, target_epoch, signing_root) VALUES (1, 3, 4, '" +
          pg_bytea(root(1)) + "')",
  };
}

class PostgresSchemaTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!pg_server_conninfo()) GTEST_SKIP() << kNoPgServer;
    db_ = std::make_unique<PostgresTestDatabase>(*pg_server_conninfo());
  }
  std::string versions() {
    return pg_scalar(db_->conninfo(),
                     "SELECT string_agg(version::text, ',' ORDER BY version) FROM cc_schema_migrations");
  }
  std::unique_ptr<PostgresTestDatabase> db_;
};

TEST_F(PostgresSchemaTest, AFreshDatabaseGetsTheCurrentSchema) {
  auto store = open_postgres_store(db_->options());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(versions(), every_version());
  EXPECT_EQ(pg_scalar(db_->conninfo(),
                      "SELECT string_agg(table_name::text, ',' ORDER BY table_name) FROM information_schema.tables "
                      "WHERE table_schema = current_schema() AND table_name LIKE 'cc\\_%'"),
            "cc_attestations,cc_blocks,cc_high_watermark,cc_meta,cc_schema_migrations,cc_validators");
}

TEST_F(PostgresSchemaTest, ReopeningKeepsTheDataAndMigratesNothingTwice) {
  {
    auto store = open_postgres_store(db_->options());
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ(check(**store, block(1, 5, 1)), Refusal::none);
  }
  auto store = open_postgres_store(db_->options());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(versions(), every_version());
  EXPECT_EQ(check(**store, block(1, 5, 2)), Refusal::double_block_proposal);
}

TEST_F(PostgresSchemaTest, StoresOpeningTogetherFromThreadsMigrateOnce) {
  constexpr int kOpeners = 8;
  std::latch start(kOpeners);
  std::vector<std::string> errors(kOpeners);
  std::vector<std::thread> threads;
  for (int i = 0; i < kOpeners; ++i) {
    threads.emplace_back([&, i] {
      start.arrive_and_wait();
      auto store = open_postgres_store(db_->options());
      if (!store) errors[static_cast<std::size_t>(i)] = store.error().message;
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& e : errors) EXPECT_EQ(e, "");
  EXPECT_EQ(versions(), every_version());
}

TEST_F(PostgresSchemaTest, ReplicaProcessesStartingTogetherMigrateOnceAndAllSign) {
  constexpr int kProcesses = 4;
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(go[1]);
      char c;
      (void)::read(go[0], &c, 1);  // wait until every process exists, then open at once
      auto store = open_postgres_store(db_->options());
      if (!store) ::_exit(2);
      auto d = (*store)->check_and_record_sync(kGvr, block(static_cast<unsigned>(i), 1, 1));
      ::_exit(d.ok() && d->allowed() ? 0 : 3);
    }
    ASSERT_GT(pid, 0);
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);  // EOF releases every child at once
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child exit status " << status;
  }
  EXPECT_EQ(versions(), every_version());
  EXPECT_EQ(pg_scalar(db_->conninfo(), "SELECT count(*) FROM cc_blocks"), std::to_string(kProcesses));
}

TEST_F(PostgresSchemaTest, ADatabaseOfANewerProgramIsRefusedClearly) {
  {
    auto store = open_postgres_store(db_->options());
    ASSERT_TRUE(store.ok()) << store.error().message;
  }
  pg_exec(db_->conninfo(), {"INSERT INTO cc_schema_migrations (version, description) VALUES (99, 'from the future')"});
  auto store = open_postgres_store(db_->options());
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.error().kind, Error::Kind::unavailable);
  EXPECT_NE(store.error().message.find("version 99, newer than this program's (" +
                                       std::to_string(kPostgresSchemaVersion) + ")"),
            std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find("upgrade"), std::string::npos) << store.error().message;
  EXPECT_EQ(versions(), every_version() + ",99") << "the refused open changed nothing";
}

TEST_F(PostgresSchemaTest, ADatabaseWithAnEmptyMigrationTableIsMigrated) {
  // What a program that created the version table and crashed before any migration leaves.
  pg_exec(db_->conninfo(), {"CREATE TABLE cc_schema_migrations (version integer PRIMARY KEY, description text NOT NULL,"
                            " applied_at timestamptz NOT NULL DEFAULT now())"});
  auto store = open_postgres_store(db_->options());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(versions(), every_version());
  EXPECT_EQ(check(**store, block(1, 5, 1)), Refusal::none);
}

TEST_F(PostgresSchemaTest, AVersion1DatabaseWithHistoryIsUpgradedAndKeepsIt) {
  auto statements = kVersion1Sql;
  for (auto& s : history_statements()) statements.push_back(std::move(s));
  pg_exec(db_->conninfo(), statements);

  auto store = open_postgres_store(db_->options());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(versions(), every_version());
  EXPECT_EQ(check(**store, block(1, 10, 2)), Refusal::double_block_proposal) << "the history survived";
  EXPECT_EQ(check(**store, block(1, 9, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(check(**store, vote(1, 3, 4, 2)), Refusal::double_vote);
  auto none = (*store)->high_watermark();
  ASSERT_TRUE(none.ok()) << none.error().message;
  EXPECT_FALSE(none->has_value());
  ASSERT_TRUE((*store)->set_high_watermark(HighWatermark{20, 640}).ok());
  EXPECT_EQ(check(**store, block(1, 640, 1)), Refusal::block_slot_at_or_above_high_watermark);
  EXPECT_EQ(check(**store, block(1, 639, 1)), Refusal::none);
}

TEST_F(PostgresSchemaTest, AVersion2DatabaseWithHistoryIsUpgradedWithEveryKeyEnabled) {
  auto statements = kVersion1Sql;
  for (const auto& s : kVersion2Additions) statements.push_back(s);
  for (auto& s : history_statements()) statements.push_back(std::move(s));
  statements.push_back("INSERT INTO cc_high_watermark (epoch, slot) VALUES (20, 640)");
  pg_exec(db_->conninfo(), statements);

  auto store = open_postgres_store(db_->options());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(versions(), every_version());
  EXPECT_EQ(pg_scalar(db_->conninfo(), "SELECT disabled::text FROM cc_validators"), "false");
  EXPECT_EQ(check(**store, block(1, 10, 2)), Refusal::double_block_proposal) << "the history survived";
  EXPECT_EQ(check(**store, vote(1, 3, 4, 2)), Refusal::double_vote);
  EXPECT_EQ(check(**store, block(1, 640, 1)), Refusal::block_slot_at_or_above_high_watermark);
  EXPECT_EQ(check(**store, block(1, 11, 1)), Refusal::none) << "a migrated key is enabled";
  auto exported = (*store)->disable_and_export({key(1)}, {});
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  ASSERT_TRUE(exported->has_value());
  EXPECT_NE((*exported)->find(to_hex(key(1))), std::string::npos) << **exported;
  EXPECT_EQ(check(**store, block(1, 12, 1)), Refusal::key_disabled);
  EXPECT_EQ(pg_scalar(db_->conninfo(), "SELECT disabled::text FROM cc_validators"), "true");
}

}  // namespace
}  // namespace cc::slashing::test
