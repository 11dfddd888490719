// The PostgreSQL schema and its automatic migration: a fresh database gets the current version,
// reopening applies nothing twice, many stores opening at once (threads, and separate processes
// as replicas would) migrate exactly once, and a database from a newer program is refused.
#include "slashing/postgres_schema.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <latch>
#include <thread>

#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

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
  EXPECT_EQ(versions(), std::to_string(kPostgresSchemaVersion));
  EXPECT_EQ(pg_scalar(db_->conninfo(),
                      "SELECT string_agg(table_name::text, ',' ORDER BY table_name) FROM information_schema.tables "
                      "WHERE table_schema = current_schema() AND table_name LIKE 'cc\\_%'"),
            "cc_attestations,cc_blocks,cc_meta,cc_schema_migrations,cc_validators");
}

TEST_F(PostgresSchemaTest, ReopeningKeepsTheDataAndMigratesNothingTwice) {
  {
    auto store = open_postgres_store(db_->options());
    ASSERT_TRUE(store.ok()) << store.error().message;
    EXPECT_EQ(check(**store, block(1, 5, 1)), Refusal::none);
  }
  auto store = open_postgres_store(db_->options());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(versions(), "1");
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
  EXPECT_EQ(versions(), "1");
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
  EXPECT_EQ(versions(), "1");
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
  EXPECT_NE(store.error().message.find("version 99, newer than this program's (1)"), std::string::npos)
      << store.error().message;
  EXPECT_NE(store.error().message.find("upgrade"), std::string::npos) << store.error().message;
  EXPECT_EQ(versions(), "1,99") << "the refused open changed nothing";
}

TEST_F(PostgresSchemaTest, ADatabaseWithAnEmptyMigrationTableIsMigrated) {
  // What a program that created the version table and crashed before any migration leaves.
  pg_exec(db_->conninfo(), {"CREATE TABLE cc_schema_migrations (version integer PRIMARY KEY, description text NOT NULL,"
                            " applied_at timestamptz NOT NULL DEFAULT now())"});
  auto store = open_postgres_store(db_->options());
  ASSERT_TRUE(store.ok()) << store.error().message;
  EXPECT_EQ(versions(), "1");
  EXPECT_EQ(check(**store, block(1, 5, 1)), Refusal::none);
}

}  // namespace
}  // namespace cc::slashing::test
