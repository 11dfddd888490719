// PgConnection's prepared statements against the real test server: the signing path's fixed
// statements are parsed once per connection and executed by name afterwards, and a server
// session that loses them or already holds their names (what a connection pooler in transaction
// mode does) turns preparing off for every connection of the store, after failing only the
// pipeline that ran into it.
#include "slashing/postgres_connection.hpp"

#include <gtest/gtest.h>

#include "pg_test_server.hpp"

namespace cc::slashing::test {
namespace {

const PgQuery kAddOne{"SELECT $1::int + 1", {"41"}, true};

class PgConnectionPrepared : public ::testing::Test {
 protected:
  void SetUp() override {
    auto server = pg_server_conninfo();
    if (!server) GTEST_SKIP() << kNoPgServer;
    db_.emplace(*server);
  }

  std::unique_ptr<PgConnection> connect() {
    PgSessionSettings settings;
    settings.unprepared_only = unprepared_only_;
    auto conn = PgConnection::connect(db_->conninfo(), settings, PgClock::now() + std::chrono::seconds(10));
    EXPECT_TRUE(conn.ok()) << conn.error().message;
    return conn ? std::move(*conn) : nullptr;
  }

  static PgDeadline soon() { return PgClock::now() + std::chrono::seconds(10); }

  // Statements prepared in `conn`'s server session.
  static std::string prepared_count(PgConnection& conn) {
    auto r = conn.run(PgQuery{"SELECT count(*) FROM pg_prepared_statements", {}}, soon());
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r ? std::string(r->text(0, 0)) : "";
  }

  std::optional<PgTestDatabase> db_;
  std::shared_ptr<std::atomic<bool>> unprepared_only_ = std::make_shared<std::atomic<bool>>(false);
};

TEST_F(PgConnectionPrepared, AStatementIsParsedOncePerConnectionAndRunByName) {
  auto conn = connect();
  ASSERT_TRUE(conn);
  // First use: Parse and execution in one pipeline, beside an unprepared statement.
  auto first = conn->run({kAddOne, PgQuery{"SELECT 'plain'", {}}, kAddOne}, soon());
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_EQ(first->size(), 3u);  // one result per statement, none for the Parse
  EXPECT_EQ((*first)[0].text(0, 0), "42");
  EXPECT_EQ((*first)[1].text(0, 0), "plain");
  EXPECT_EQ((*first)[2].text(0, 0), "42");
  for (int i = 0; i < 3; ++i) {
    auto again = conn->run(PgQuery{kAddOne.sql, {std::to_string(i)}, true}, soon());
    ASSERT_TRUE(again.ok()) << again.error().message;
    EXPECT_EQ(again->text(0, 0), std::to_string(i + 1));
  }
  EXPECT_EQ(prepared_count(*conn), "1");
  EXPECT_FALSE(unprepared_only_->load());
}

TEST_F(PgConnectionPrepared, AStatementTheSessionLostFailsOnceThenNothingIsPrepared) {
  auto conn = connect();
  ASSERT_TRUE(conn);
  ASSERT_TRUE(conn->run(kAddOne, soon()).ok());
  // A pooler hands the next transaction a server session without our statement.
  ASSERT_TRUE(conn->run(PgQuery{"DEALLOCATE ALL", {}}, soon()).ok());
  auto lost = conn->run(kAddOne, soon());
  ASSERT_FALSE(lost.ok());
  EXPECT_EQ(lost.error().kind, Error::Kind::unavailable);
  EXPECT_NE(lost.error().message.find("SQLSTATE 26000"), std::string::npos) << lost.error().message;
  EXPECT_FALSE(conn->connected());  // the connection is dropped, as after any failure
  EXPECT_TRUE(unprepared_only_->load());

  // The store's next connection runs the same statement unprepared.
  auto fresh = connect();
  ASSERT_TRUE(fresh);
  auto r = fresh->run(kAddOne, soon());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->text(0, 0), "42");
  EXPECT_EQ(prepared_count(*fresh), "0");
}

TEST_F(PgConnectionPrepared, ANameAlreadyTakenInTheSessionFailsOnceThenNothingIsPrepared) {
  auto conn = connect();
  ASSERT_TRUE(conn);
  // Another client of a pooler prepared its statement under the name ours would get.
  ASSERT_TRUE(conn->run(PgQuery{"PREPARE cc_1 AS SELECT 'someone else'", {}}, soon()).ok());
  auto taken = conn->run(kAddOne, soon());
  ASSERT_FALSE(taken.ok());
  EXPECT_NE(taken.error().message.find("SQLSTATE 42P05"), std::string::npos) << taken.error().message;
  EXPECT_TRUE(unprepared_only_->load());
  auto fresh = connect();
  ASSERT_TRUE(fresh);
  auto r = fresh->run(kAddOne, soon());
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(prepared_count(*fresh), "0");
}

TEST_F(PgConnectionPrepared, AnOrdinarySqlErrorLeavesPreparingOn) {
  auto conn = connect();
  ASSERT_TRUE(conn);
  auto bad = conn->run({kAddOne, PgQuery{"SELECT 1 / $1::int", {"0"}, true}}, soon());
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("SQLSTATE 22012"), std::string::npos) << bad.error().message;
  EXPECT_FALSE(unprepared_only_->load());
  auto fresh = connect();
  ASSERT_TRUE(fresh);
  ASSERT_TRUE(fresh->run(kAddOne, soon()).ok());
  EXPECT_EQ(prepared_count(*fresh), "1");
}

}  // namespace
}  // namespace cc::slashing::test
