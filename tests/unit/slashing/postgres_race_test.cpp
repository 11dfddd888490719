// Replicas racing on one PostgreSQL database (and on one DynamoDB table): several independent stores (each with its own
// connection pool, as separate signer processes would have) receive, from many threads at
// once, conflicting requests for the same keys: same-slot blocks with different roots, double
// votes, and votes of different spans that surround each other. Among everything allowed there
// must be no slashable pair, what was allowed must be exactly what the database holds, and no
// request may fail (a lock-order deadlock between replicas would show up as errors here).
#include <gtest/gtest.h>

#include <barrier>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

constexpr unsigned kReplicas = 3;
constexpr unsigned kThreads = 12;
constexpr unsigned kKeys = 6;
constexpr std::uint64_t kHeights = 30;

struct Allowed {
  std::mutex mu;
  std::map<std::pair<unsigned, std::uint64_t>, std::set<unsigned>> blocks;  // (key, slot) -> roots
  std::map<unsigned, std::vector<AttestationVote>> votes;                   // key -> votes
  std::atomic<unsigned> answered{0};
  std::atomic<unsigned> errors{0};
  std::string first_error;
};

bool slashable(const AttestationVote& a, const AttestationVote& b) {
  if (a.target_epoch == b.target_epoch) return a.source_epoch != b.source_epoch || a.signing_root != b.signing_root;
  return (a.source_epoch < b.source_epoch && a.target_epoch > b.target_epoch) ||
         (b.source_epoch < a.source_epoch && b.target_epoch > a.target_epoch);
}

// The messages thread `t` sends for key `k` at height `h`. Even keys propose: the thread's own
// block for the slot. Odd keys attest, one of three votes that are each acceptable after the
// previous heights but slashable with one another: (h-1, h), the double vote (h-2, h), and
// (h-2, h+1) surrounding the first. At one height the replicas get different kinds; the kinds
// rotate with the height. (Blocks and votes go to different keys so that a batch failing on a block can never
// hide a vote decided without the key's lock, and the other way round.)
std::vector<SignedMessage> messages_of(unsigned t, unsigned k, std::uint64_t h) {
  if (k % 2 == 0) return {block(k, h, 1000 * t + 1)};
  const std::uint64_t back1 = h - 1, back2 = h >= 2 ? h - 2 : 0;
  switch ((t + h) % 3) {  // replicas t % 3 send different kinds at once; each kind in turn
    case 0:
      return {vote(k, back1, h, 2000 + t)};
    case 1:
      return {vote(k, back2, h, 2000 + t)};
    default:
      return {vote(k, back2, h + 1, 2000 + t)};
  }
}

void note(Allowed& out, unsigned k, const SignedMessage& m, const Result<Decision>& r) {
  std::lock_guard lock(out.mu);
  if (!r) {
    if (out.errors++ == 0) out.first_error = r.error().message;
  } else if (r->allowed()) {
    if (const auto* b = std::get_if<BlockProposal>(&m)) {
      out.blocks[{k, b->slot}].insert(b->signing_root[31] | (b->signing_root[30] << 8));
    } else {
      out.votes[k].push_back(std::get<AttestationVote>(m));
    }
  }
  ++out.answered;
}

enum class Callers { queueing, blocking };

// queueing: the thread submits everything at once (large batches meet on the key rows);
// blocking: it waits for each answer, as an HTTP request thread does (many small transactions
// of different replicas interleave).
void storm(SlashingStore& store, unsigned t, Callers callers, Allowed& out, std::barrier<>& step) {
  std::atomic<unsigned> pending{0};
  for (std::uint64_t h = 1; h <= kHeights; ++h) {
    // Every thread starts a height together, so the replicas decide on the same keys at once.
    step.arrive_and_wait();
    for (unsigned i = 0; i < kKeys; ++i) {
      // Threads take the keys in different orders, but the threads of different replicas
      // (t, t+1, t+2) in the same order: at any moment the replicas contend for one key.
      const unsigned k = (i + t / kReplicas) % kKeys;
      for (const auto& m : messages_of(t, k, h)) {
        if (callers == Callers::blocking) {
          note(out, k, m, store.check_and_record_sync(kGvr, m));
          continue;
        }
        ++pending;
        store.check_and_record(kGvr, m, [&out, &pending, k, m](Result<Decision> r) {
          note(out, k, m, r);
          --pending;
        });
      }
    }
  }
  while (pending.load() != 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
}

using RaceParam = std::tuple<Callers, std::chrono::microseconds>;

std::string race_name(const ::testing::TestParamInfo<RaceParam>& info) {
  return std::string(std::get<0>(info.param) == Callers::blocking ? "blocking" : "queueing") + "_batch_delay_" +
         std::to_string(std::get<1>(info.param).count()) + "us";
}

class PostgresRace : public ::testing::TestWithParam<RaceParam> {
 protected:
  void SetUp() override {
    if (!pg_server_conninfo()) GTEST_SKIP() << kNoPgServer;
    db_ = std::make_unique<PostgresTestDatabase>(*pg_server_conninfo());
  }
  std::unique_ptr<PostgresTestDatabase> db_;
};

struct StormOutcome {
  unsigned total = 0;
  std::size_t blocks = 0, votes = 0;
};

// Runs the storm over `replicas` and checks the outcome: every request answered without error,
// one block per slot, no slashable pair of votes.
StormOutcome run_storm(const std::vector<std::unique_ptr<SlashingStore>>& replicas, Callers callers) {
  StormOutcome o;
  Allowed allowed;
  std::barrier step(kThreads);
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back(storm, std::ref(*replicas[t % replicas.size()]), t, callers, std::ref(allowed), std::ref(step));
  }
  for (auto& t : threads) t.join();
  for (unsigned t = 0; t < kThreads; ++t) {
    for (std::uint64_t h = 1; h <= kHeights; ++h) {
      for (unsigned k = 0; k < kKeys; ++k) o.total += static_cast<unsigned>(messages_of(t, k, h).size());
    }
  }
  EXPECT_EQ(allowed.answered.load(), o.total);
  EXPECT_EQ(allowed.errors.load(), 0u) << allowed.first_error;
  for (const auto& [slot, roots] : allowed.blocks) {
    EXPECT_EQ(roots.size(), 1u) << "key " << slot.first << " slot " << slot.second << ": " << roots.size()
                                << " different blocks signed";
    o.blocks += roots.size();
  }
  std::size_t slashable_pairs = 0;
  for (const auto& [k, votes] : allowed.votes) {
    o.votes += votes.size();
    for (std::size_t i = 0; i < votes.size(); ++i) {
      for (std::size_t j = i + 1; j < votes.size(); ++j) {
        if (!slashable(votes[i], votes[j])) continue;
        ++slashable_pairs;
        ADD_FAILURE() << "key " << k << ": (" << votes[i].source_epoch << "," << votes[i].target_epoch << ") and ("
                      << votes[j].source_epoch << "," << votes[j].target_epoch << ") both signed";
      }
    }
  }
  EXPECT_EQ(slashable_pairs, 0u);
  EXPECT_GT(o.blocks, 0u);
  EXPECT_GT(o.votes, 0u);
  return o;
}

TEST_P(PostgresRace, ReplicasNeverBothAllowASlashablePair) {
  std::vector<std::unique_ptr<SlashingStore>> replicas;
  for (unsigned r = 0; r < kReplicas; ++r) {
    PostgresOptions o = db_->options();
    o.pool_size = 4;
    o.max_batch_delay = std::get<1>(GetParam());
    auto store = open_postgres_store(o);
    ASSERT_TRUE(store.ok()) << store.error().message;
    replicas.push_back(std::move(*store));
  }
  const auto outcome = run_storm(replicas, std::get<0>(GetParam()));
  // Everything allowed is recorded, and nothing else (no two threads share a root, so there
  // are no identical re-signs in this storm).
  EXPECT_EQ(pg_scalar(db_->conninfo(), "SELECT count(*) FROM cc_blocks"), std::to_string(outcome.blocks));
  EXPECT_EQ(pg_scalar(db_->conninfo(), "SELECT count(*) FROM cc_attestations"), std::to_string(outcome.votes));

  std::uint64_t commits = 0;
  for (auto& r : replicas) commits += r->stats().commits;
  std::printf("[ pg race ] %s: %u replicas, %u threads: %u requests in %llu commits; %zu blocks, %zu votes allowed\n",
              race_name({GetParam(), 0}).c_str(), kReplicas, kThreads, outcome.total,
              static_cast<unsigned long long>(commits), outcome.blocks, outcome.votes);
  EXPECT_LT(commits, outcome.total) << "no group commit happened";
}

// The same storm on DynamoDB: replicas are stores with their own transport on one table, and
// only the conditional writes keep them apart.
class DynamoRace : public ::testing::TestWithParam<Callers> {
 protected:
  void SetUp() override {
    if (!cc::test::dynamo_endpoint()) GTEST_SKIP() << cc::test::kNoDynamoServer;
  }
};

TEST_P(DynamoRace, ReplicasNeverBothAllowASlashablePair) {
  DynamoTestDatabase db;
  std::vector<std::unique_ptr<SlashingStore>> replicas;
  for (unsigned r = 0; r < kReplicas; ++r) {
    DynamoDbOptions o;
    o.table = db.table();
    o.workers = 4;
    o.timeout = std::chrono::seconds(30);
    auto store = open_dynamodb_store(std::shared_ptr<aws::Transport>(cc::test::dynamo_transport()), o);
    ASSERT_TRUE(store.ok()) << store.error().message;
    replicas.push_back(std::move(*store));
  }
  const auto outcome = run_storm(replicas, GetParam());
  std::printf("[ dynamodb race ] %s: %u replicas, %u threads: %u requests; %zu blocks, %zu votes allowed\n",
              GetParam() == Callers::blocking ? "blocking" : "queueing", kReplicas, kThreads, outcome.total,
              outcome.blocks, outcome.votes);
}

INSTANTIATE_TEST_SUITE_P(Storm, DynamoRace, ::testing::Values(Callers::queueing, Callers::blocking),
                         [](const ::testing::TestParamInfo<Callers>& p) {
                           return std::string(p.param == Callers::blocking ? "blocking" : "queueing");
                         });

INSTANTIATE_TEST_SUITE_P(Storm, PostgresRace,
                         ::testing::Combine(::testing::Values(Callers::queueing, Callers::blocking),
                                            ::testing::Values(std::chrono::microseconds(0),
                                                              std::chrono::microseconds(2000))),
                         race_name);

}  // namespace
}  // namespace cc::slashing::test
