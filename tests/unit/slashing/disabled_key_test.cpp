// Keys disabled by a Key Manager delete (SlashingStore::disable_and_export, enable), run against
// every backend: a disabled key refuses every block and vote (identical re-signs included) while
// other keys sign, the flag survives reopening and an import, enabling brings the key back with
// its whole history enforced, and the export handed over is the key's history. The race the flag
// exists for: requests in flight for a key while it is disabled are each either in the export
// or refused, never allowed and missing. With PostgreSQL, a second store (a replica) obeys too.
#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <mutex>
#include <set>
#include <thread>
#include <tuple>

#include "slashing/interchange.hpp"
#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

std::string interchange_of(const std::string& data) {
  return R"({"metadata":{"interchange_format_version":"5","genesis_validators_root":")" + to_hex(kGvr) +
         R"("},"data":[)" + data + "]}";
}

class DisabledKeyTest : public BackendStoreTest {
 protected:
  // The export disable_and_export() hands over (it must be a document: the network is known).
  Interchange disable(const std::vector<BlsPublicKey>& keys, const std::vector<BlsPublicKey>& also_export = {}) {
    auto r = store().disable_and_export(keys, also_export);
    if (!r) {
      ADD_FAILURE() << "disable_and_export: " << r.error().message;
      return {};
    }
    if (!r->has_value()) {
      ADD_FAILURE() << "disable_and_export returned no document although the network is known";
      return {};
    }
    auto parsed = parse_interchange(**r);
    if (!parsed) ADD_FAILURE() << "the export does not parse: " << parsed.error().message << "\n" << **r;
    return parsed ? std::move(*parsed) : Interchange{};
  }
  void enable(const std::vector<BlsPublicKey>& keys) {
    auto st = store().enable(keys);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
};

const InterchangeRecord* record_of(const Interchange& doc, const BlsPublicKey& pubkey) {
  for (const auto& r : doc.data) {
    if (r.pubkey == pubkey) return &r;
  }
  return nullptr;
}

TEST_P(DisabledKeyTest, ADisabledKeyRefusesEveryBlockAndVoteWhileOtherKeysSign) {
  ASSERT_EQ(sign(block(1, 10, 1)), Refusal::none);
  ASSERT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  ASSERT_EQ(sign(block(2, 10, 1)), Refusal::none);
  disable({key(1)});

  auto d = store().check_and_record_sync(kGvr, block(1, 11, 1));
  ASSERT_TRUE(d.ok()) << d.error().message;
  EXPECT_EQ(d->refusal, Refusal::key_disabled);
  EXPECT_NE(d->detail.find(to_hex(key(1))), std::string::npos) << d->detail;
  EXPECT_NE(d->detail.find("Key Manager API"), std::string::npos) << d->detail;
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::key_disabled) << "an identical block re-sign";
  EXPECT_EQ(sign(vote(1, 4, 5, 1)), Refusal::key_disabled);
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::key_disabled) << "an identical vote re-sign";

  EXPECT_EQ(sign(block(2, 11, 1)), Refusal::none) << "another key is unaffected";
  EXPECT_EQ(sign(vote(2, 3, 4, 1)), Refusal::none);
  EXPECT_EQ(sign(block(2, 11, 2)), Refusal::double_block_proposal) << "and still protected";
}

TEST_P(DisabledKeyTest, AnUnknownKeyIsDisabledBeforeItsFirstRequest) {
  ASSERT_EQ(sign(block(1, 10, 1)), Refusal::none);  // the network is known
  const auto exported = disable({key(7)});
  EXPECT_TRUE(exported.data.empty()) << "no history for a key never seen";
  EXPECT_EQ(exported.genesis_validators_root, kGvr);
  EXPECT_EQ(sign(block(7, 1, 1)), Refusal::key_disabled);
  EXPECT_EQ(sign(vote(7, 1, 2, 1)), Refusal::key_disabled);
}

TEST_P(DisabledKeyTest, WithoutANetworkThereIsNoDocumentButTheKeyIsDisabled) {
  auto r = store().disable_and_export({key(1)}, {key(2)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_FALSE(r->has_value()) << **r;
  EXPECT_EQ(sign(block(1, 1, 1)), Refusal::key_disabled);
  EXPECT_EQ(sign(block(2, 1, 1)), Refusal::none) << "an exported-only key is not disabled";
}

TEST_P(DisabledKeyTest, TheFlagSurvivesReopening) {
  ASSERT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  disable({key(1)});
  store_.reset();
  store_ = db_->open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(sign(vote(1, 4, 5, 1)), Refusal::key_disabled);
  EXPECT_EQ(sign(block(1, 1, 1)), Refusal::key_disabled);
}

TEST_P(DisabledKeyTest, EnablingRestoresSigningWithTheOldHistoryEnforced) {
  ASSERT_EQ(sign(block(1, 10, 1)), Refusal::none);
  ASSERT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  ASSERT_EQ(sign(vote(1, 4, 8, 1)), Refusal::none);
  disable({key(1)});
  ASSERT_EQ(sign(vote(1, 8, 9, 1)), Refusal::key_disabled);
  enable({key(1)});

  EXPECT_EQ(sign(vote(1, 4, 8, 2)), Refusal::double_vote);
  EXPECT_EQ(sign(vote(1, 5, 7, 2)), Refusal::surrounded_vote);
  EXPECT_EQ(sign(vote(1, 2, 9, 2)), Refusal::source_below_low_watermark);
  EXPECT_EQ(sign(block(1, 10, 2)), Refusal::double_block_proposal);
  EXPECT_EQ(sign(block(1, 9, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 4, 8, 1)), Refusal::none) << "the identical re-sign is allowed again";
  EXPECT_EQ(sign(vote(1, 8, 9, 1)), Refusal::none) << "the refused request left nothing behind";
  EXPECT_EQ(sign(block(1, 11, 1)), Refusal::none);
}

TEST_P(DisabledKeyTest, EnablingTwiceOrAnUnknownKeyChangesNothing) {
  ASSERT_EQ(sign(block(1, 10, 1)), Refusal::none);
  enable({key(1), key(9)});
  enable({key(1)});
  EXPECT_EQ(sign(block(1, 11, 1)), Refusal::none);
  EXPECT_EQ(sign(block(9, 1, 1)), Refusal::none);
  enable({});
}

TEST_P(DisabledKeyTest, AnImportDoesNotEnableTheKeyButItsHistoryCountsOnceEnabled) {
  ASSERT_EQ(sign(block(1, 10, 1)), Refusal::none);
  disable({key(1)});
  const std::string history =
      R"({"pubkey":")" + to_hex(key(1)) +
      R"(","signed_blocks":[{"slot":"20"}],"signed_attestations":[{"source_epoch":"5","target_epoch":"6"}]})";
  auto st = store().import_interchange(interchange_of(history));
  ASSERT_TRUE(st.ok()) << st.error().message;
  EXPECT_EQ(sign(block(1, 21, 1)), Refusal::key_disabled) << "an import is not a re-enable";
  enable({key(1)});
  EXPECT_EQ(sign(block(1, 20, 1)), Refusal::double_block_proposal) << "the imported null marker";
  EXPECT_EQ(sign(vote(1, 4, 7, 1)), Refusal::source_below_low_watermark);
  EXPECT_EQ(sign(block(1, 21, 1)), Refusal::none);
}

TEST_P(DisabledKeyTest, TheExportIsTheHistoryOfTheDisabledThenTheExportedKeys) {
  ASSERT_EQ(sign(block(1, 10, 1)), Refusal::none);
  ASSERT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  ASSERT_EQ(sign(vote(1, 4, 6, 2)), Refusal::none);
  ASSERT_EQ(sign(block(2, 30, 3)), Refusal::none);
  ASSERT_EQ(sign(block(3, 40, 3)), Refusal::none);
  auto before = store().export_interchange({key(1), key(2)});
  ASSERT_TRUE(before.ok()) << before.error().message;

  auto r = store().disable_and_export({key(1)}, {key(2), key(1), key(8)});
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  EXPECT_EQ(**r, *before) << "the same document export_interchange gives, in the caller's order";

  const auto exported = parse_interchange(**r);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  ASSERT_EQ(exported->data.size(), 2u) << **r;
  EXPECT_EQ(exported->data[0].pubkey, key(1));
  EXPECT_EQ(exported->data[1].pubkey, key(2));
  const auto* one = record_of(*exported, key(1));
  ASSERT_NE(one, nullptr);
  ASSERT_EQ(one->signed_blocks.size(), 1u);
  EXPECT_EQ(one->signed_blocks[0].slot, 10u);
  EXPECT_EQ(one->signed_blocks[0].signing_root, RecordedRoot(root(1)));
  ASSERT_EQ(one->signed_attestations.size(), 2u);
  EXPECT_EQ(one->signed_attestations[1].target_epoch, 6u);
  EXPECT_EQ(one->signed_attestations[1].signing_root, RecordedRoot(root(2)));

  EXPECT_EQ(sign(block(1, 11, 1)), Refusal::key_disabled);
  EXPECT_EQ(sign(block(2, 31, 1)), Refusal::none) << "exported, not disabled";
  EXPECT_EQ(sign(block(8, 1, 1)), Refusal::none) << "exported, not disabled, and still unknown";

  // Imported into a fresh database, the export refuses what the original refused.
  auto fresh = make_database(GetParam());
  auto other = fresh->open();
  ASSERT_NE(other, nullptr);
  ASSERT_TRUE(other->import_interchange(**r).ok());
  EXPECT_EQ(check(*other, vote(1, 4, 6, 3)), Refusal::double_vote);
  EXPECT_EQ(check(*other, block(1, 10, 2)), Refusal::double_block_proposal);
  EXPECT_EQ(check(*other, vote(1, 6, 7, 1)), Refusal::none);
}

// ---- the race: requests in flight while the key is disabled --------------------------------

constexpr unsigned kThreads = 8;
constexpr std::uint64_t kPerThread = 400;  // heights each thread may send
constexpr unsigned kQueued = 200;          // requests queued just before the disable

// What was answered "allowed" for key 1 (blocks by slot and root, votes by source, target, root).
struct Answers {
  std::mutex mu;
  std::set<std::pair<std::uint64_t, Root>> blocks;
  std::set<std::tuple<std::uint64_t, std::uint64_t, Root>> votes;
  std::atomic<unsigned> allowed{0}, disabled{0}, other_refusals{0}, errors{0};

  void note(const SignedMessage& m, const Result<Decision>& r) {
    if (!r) {
      ++errors;
      return;
    }
    if (r->refusal == Refusal::key_disabled) ++disabled;
    if (!r->allowed()) {
      if (r->refusal != Refusal::key_disabled) ++other_refusals;
      return;
    }
    ++allowed;
    std::lock_guard lock(mu);
    if (const auto* b = std::get_if<BlockProposal>(&m)) {
      blocks.insert({b->slot, b->signing_root});
    } else {
      const auto& a = std::get<AttestationVote>(m);
      votes.insert({a.source_epoch, a.target_epoch, a.signing_root});
    }
  }
};

// Height h: the block at slot h and the vote (h-1, h), one root for all: the threads never ask for
// anything slashable, so every refusal before the disable is a watermark passed by a faster thread.
std::vector<SignedMessage> messages_at(std::uint64_t h) {
  return {block(1, h, 1), vote(1, h - 1, h, 1)};
}

TEST_P(DisabledKeyTest, RequestsInFlightDuringADisableAreInTheExportOrRefused) {
  Answers answers;
  std::atomic<bool> disabled_seen{false};
  std::latch start(kThreads + 1);
  std::vector<std::thread> threads;
  // Callers blocked on their own decision, as the HTTP threads are; each stops at its first
  // key_disabled answer (everything after it is refused anyway).
  for (unsigned t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      start.arrive_and_wait();
      for (std::uint64_t i = 0; i < kPerThread && !disabled_seen.load(); ++i) {
        for (const auto& m : messages_at(1 + t + i * kThreads)) {
          auto r = store().check_and_record_sync(kGvr, m);
          answers.note(m, r);
          if (r && r->refusal == Refusal::key_disabled) disabled_seen = true;
        }
      }
    });
  }
  start.arrive_and_wait();
  while (answers.allowed.load() < 50 && answers.errors.load() == 0) std::this_thread::yield();
  // And a burst queued in the committer right before the disable: in flight past the registry.
  std::atomic<unsigned> queued_answered{0};
  for (unsigned i = 0; i < kQueued; ++i) {
    const SignedMessage m = messages_at(10'000 + i)[i % 2];
    store().check_and_record(kGvr, m, [&answers, &queued_answered, m](Result<Decision> r) {
      answers.note(m, r);
      ++queued_answered;
    });
  }
  auto r = store().disable_and_export({key(1)}, {});
  for (auto& t : threads) t.join();
  while (queued_answered.load() < kQueued) std::this_thread::yield();

  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_TRUE(r->has_value());
  auto exported = parse_interchange(**r);
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  const auto* history = record_of(*exported, key(1));
  ASSERT_NE(history, nullptr) << **r;
  std::set<std::pair<std::uint64_t, Root>> blocks;
  for (const auto& b : history->signed_blocks) {
    if (b.signing_root) blocks.insert({b.slot, *b.signing_root});
  }
  std::set<std::tuple<std::uint64_t, std::uint64_t, Root>> votes;
  for (const auto& a : history->signed_attestations) {
    if (a.signing_root) votes.insert({a.source_epoch, a.target_epoch, *a.signing_root});
  }

  EXPECT_EQ(answers.errors.load(), 0u);
  EXPECT_GT(answers.allowed.load(), 0u);
  EXPECT_GT(answers.disabled.load(), 0u) << "no request met the disabled key: the race did not happen";
  std::lock_guard lock(answers.mu);
  for (const auto& [slot, root] : answers.blocks) {
    EXPECT_TRUE(blocks.contains({slot, root})) << "block at slot " << slot << " was allowed but is not in the export";
  }
  for (const auto& [source, target, root] : answers.votes) {
    EXPECT_TRUE(votes.contains({source, target, root}))
        << "vote (" << source << ", " << target << ") was allowed but is not in the export";
  }
  std::printf("[ disable race ] %s: %u allowed (all exported), %u refused as disabled, %u other refusals\n",
              backend_label(GetParam()).c_str(), answers.allowed.load(), answers.disabled.load(),
              answers.other_refusals.load());
  EXPECT_EQ(sign(block(1, 1'000'000, 1)), Refusal::key_disabled);
}

INSTANTIATE_TEST_SUITE_P(Backends, DisabledKeyTest, ::testing::ValuesIn(all_backends()), backend_param_name);

// ---- replicas ------------------------------------------------------------------------------

TEST(DisabledKeyReplicas, ADisableThroughOneReplicaRefusesOnTheOthersUntilEnabled) {
  CC_REQUIRE_BACKEND(Backend::postgres);
  PostgresTestDatabase db(*pg_server_conninfo());
  auto a = db.open();
  auto b = db.open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(check(*b, vote(1, 3, 4, 1)), Refusal::none);
  auto exported = a->disable_and_export({key(1)}, {});
  ASSERT_TRUE(exported.ok()) << exported.error().message;
  ASSERT_TRUE(exported->has_value());
  EXPECT_NE((*exported)->find(R"("target_epoch":"4")"), std::string::npos) << **exported;
  EXPECT_EQ(check(*b, vote(1, 4, 5, 1)), Refusal::key_disabled) << "the other replica reads the flag";
  ASSERT_TRUE(b->enable({key(1)}).ok());
  EXPECT_EQ(check(*a, vote(1, 3, 4, 2)), Refusal::double_vote);
  EXPECT_EQ(check(*a, vote(1, 4, 5, 1)), Refusal::none);
}

}  // namespace
}  // namespace cc::slashing::test
