// The plans PostgreSQL picks for the signing path's fact queries on a key with a long history
// and no statistics yet (a fresh table, before autovacuum's first ANALYZE), both as the cached
// generic plan our connections use and as a custom plan: each probe must go straight to the
// requested target or to the votes newer than the request, never walk the key's history. Read
// from EXPLAIN (ANALYZE, BUFFERS): the pages touched, and any rows read only to be filtered out.
#include <gtest/gtest.h>

#include <regex>

#include "pg_test_server.hpp"
#include "slashing/postgres_batch.hpp"
#include "slashing/postgres_store.hpp"

namespace cc::slashing::test {
namespace {

constexpr int kHistory = 20000;  // votes of one key: (e-1, e) for e in 1..kHistory

class PostgresFactPlans : public ::testing::TestWithParam<const char*> {
 protected:
  void SetUp() override {
    auto server = pg_server_conninfo();
    if (!server) GTEST_SKIP() << kNoPgServer;
    db_.emplace(*server);
    PostgresOptions options;
    options.conninfo = db_->conninfo();
    options.pool_size = 1;
    auto store = open_postgres_store(options);  // creates the schema
    ASSERT_TRUE(store.ok()) << store.error().message;
    pg_exec(db_->conninfo(),
            {"INSERT INTO cc_validators (pubkey) VALUES ('\\x" + std::string(96, 'a') + "')",
             "INSERT INTO cc_attestations (validator_id, source_epoch, target_epoch) "
             "SELECT v.id, e - 1, e FROM cc_validators v, generate_series(1, " +
                 std::to_string(kHistory) + ") AS e",
             "INSERT INTO cc_blocks (validator_id, slot) SELECT v.id, s FROM cc_validators v, generate_series(1, " +
                 std::to_string(kHistory) + ") AS s"});
  }

  // EXPLAIN ANALYZE of `sql` run with `args` in plan_cache_mode GetParam(), as one text.
  std::string explain(const std::string& sql, const std::string& args) {
    PgSession s(db_->conninfo());
    auto rows = s.exec({std::string("SET plan_cache_mode = ") + GetParam(), "PREPARE q AS " + sql,
                        "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) EXECUTE q(" + args + ")"});
    std::string text;
    const auto& plan = rows.back();
    for (int r = 0; r < plan.rows(); ++r) text += std::string(plan.text(r, 0)) + "\n";
    return text;
  }

  // Pages the whole statement touched (the top node's Buffers line counts its children's).
  static int pages(const std::string& plan) {
    std::smatch m;
    int total = 0;
    const std::string first = plan.substr(0, plan.find("Buffers:") == std::string::npos
                                                 ? 0
                                                 : plan.find('\n', plan.find("Buffers:")));
    for (const std::string kind : {"hit", "read"}) {
      if (std::regex_search(first, m, std::regex("shared[^\\n]*" + kind + "=([0-9]+)"))) total += std::stoi(m[1]);
    }
    return total;
  }

  static std::string key() { return "'{\"\\\\x" + std::string(96, 'a') + "\"}'"; }

  std::optional<PgTestDatabase> db_;
};

// A handful of index pages per probe; walking 20,000 votes touches well over a hundred.
constexpr int kFewPages = 30;

TEST_P(PostgresFactPlans, VotesAtATargetAreOneProbe) {
  for (const auto* target : {"'{20001}'", "'{10000}'"}) {  // a new target, and one in the history
    const auto plan = explain(kVotesAtTarget, std::string("'{0}', ") + key() + ", " + target);
    EXPECT_EQ(plan.find("Rows Removed"), std::string::npos) << plan;
    EXPECT_LT(pages(plan), kFewPages) << plan;
  }
}

TEST_P(PostgresFactPlans, SurroundChecksStartAtTheRequest) {
  // The next vote of a key moving forward: nothing newer to find, in either index. (The
  // statement's own WHERE drops the request's row, having found neither: no "Rows Removed" check.)
  const auto plan = explain(kSurroundVotes, std::string("'{0}', ") + key() + ", '{20000}', '{20001}'");
  EXPECT_LT(pages(plan), kFewPages) << plan;
}

TEST_P(PostgresFactPlans, ABlockAtASlotIsOneProbe) {
  const auto plan = explain(kBlocksAtSlot, std::string("'{0}', ") + key() + ", '{20001}'");
  EXPECT_EQ(plan.find("Rows Removed"), std::string::npos) << plan;
  EXPECT_LT(pages(plan), kFewPages) << plan;
}

INSTANTIATE_TEST_SUITE_P(PlanCacheModes, PostgresFactPlans,
                         ::testing::Values("force_generic_plan", "force_custom_plan"),
                         [](const ::testing::TestParamInfo<const char*>& p) { return std::string(p.param); });

}  // namespace
}  // namespace cc::slashing::test
