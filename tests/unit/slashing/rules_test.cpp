// The pure rule functions (rules.hpp), which every store shares: one test per refusal and per
// allowed re-sign, the watermark arithmetic, and an exhaustive test that signs every ordering
// of a small set of conflicting messages and checks nothing slashable was ever allowed.
#include "slashing/rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <set>

#include "history_model.hpp"
#include "store_fixture.hpp"

namespace cc::slashing {
namespace {

using test::key;
using test::root;

BlockProposal block(std::uint64_t slot, unsigned r) { return {key(1), slot, root(r)}; }
AttestationVote vote(std::uint64_t s, std::uint64_t t, unsigned r) { return {key(1), s, t, root(r)}; }

TEST(BlockRules, FirstBlockIsAllowedRecordedAndSetsTheWatermark) {
  const auto v = judge_block(block(10, 1), {});
  EXPECT_TRUE(v.decision.allowed());
  EXPECT_TRUE(v.insert);
  EXPECT_TRUE(v.set_low_watermark);
}

TEST(BlockRules, BelowTheWatermarkIsRefusedEvenAsARepeat) {  // EIP-3076 condition 2
  BlockFacts f{10, std::nullopt, {}};
  auto v = judge_block(block(9, 1), f);
  EXPECT_EQ(v.decision.refusal, Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_FALSE(v.insert);
  EXPECT_NE(v.decision.detail.find("block slot 9"), std::string::npos) << v.decision.detail;
  EXPECT_NE(v.decision.detail.find("10"), std::string::npos) << v.decision.detail;
  f.same_slot = RecordedRoot(root(1));
  EXPECT_EQ(judge_block(block(9, 1), f).decision.refusal, Refusal::block_slot_at_or_below_low_watermark);
}

TEST(BlockRules, AtTheWatermarkWithoutARecordIsRefused) {
  const auto v = judge_block(block(10, 1), BlockFacts{10, std::nullopt, {}});
  EXPECT_EQ(v.decision.refusal, Refusal::block_slot_at_or_below_low_watermark);
}

TEST(BlockRules, IdenticalRepeatIsAllowedWithoutANewRecord) {
  const auto v = judge_block(block(10, 1), BlockFacts{10, RecordedRoot(root(1)), {}});
  EXPECT_TRUE(v.decision.allowed());
  EXPECT_FALSE(v.insert);
  EXPECT_FALSE(v.set_low_watermark);
}

TEST(BlockRules, SameSlotDifferentRootIsADoubleProposal) {
  const auto v = judge_block(block(12, 2), BlockFacts{10, RecordedRoot(root(1)), {}});
  EXPECT_EQ(v.decision.refusal, Refusal::double_block_proposal);
  EXPECT_EQ(v.decision.detail, "block slot 12 already signed with a different signing root");
}

TEST(BlockRules, NullMarkerConflictsEvenWithTheZeroRoot) {
  const BlockProposal zero{key(1), 12, Root{}};
  const auto v = judge_block(zero, BlockFacts{10, RecordedRoot(std::nullopt), {}});
  EXPECT_EQ(v.decision.refusal, Refusal::double_block_proposal);
  EXPECT_NE(v.decision.detail.find("without a signing root"), std::string::npos);
}

TEST(BlockRules, AboveTheWatermarkOnAFreeSlotIsAllowedAndKeepsTheWatermark) {
  const auto v = judge_block(block(11, 1), BlockFacts{10, std::nullopt, {}});
  EXPECT_TRUE(v.decision.allowed());
  EXPECT_TRUE(v.insert);
  EXPECT_FALSE(v.set_low_watermark);
}

VoteFacts marks(std::uint64_t source, std::uint64_t target) {
  VoteFacts f;
  f.low_source = source;
  f.low_target = target;
  return f;
}

TEST(VoteRules, FirstVoteIsAllowedRecordedAndSetsTheWatermarks) {
  const auto v = judge_attestation(vote(3, 4, 1), {});
  EXPECT_TRUE(v.decision.allowed());
  EXPECT_TRUE(v.insert);
  EXPECT_TRUE(v.set_low_watermark);
}

TEST(VoteRules, SourceAfterTargetIsRefusedEvenOnAnEmptyHistory) {
  const auto v = judge_attestation(vote(5, 4, 1), {});
  EXPECT_EQ(v.decision.refusal, Refusal::source_exceeds_target);
  EXPECT_FALSE(v.insert);
}

TEST(VoteRules, SourceBelowTheWatermarkIsRefused) {  // EIP-3076 condition 4
  const auto v = judge_attestation(vote(2, 20, 1), marks(3, 4));
  EXPECT_EQ(v.decision.refusal, Refusal::source_below_low_watermark);
  EXPECT_NE(v.decision.detail.find("condition 4"), std::string::npos);
}

TEST(VoteRules, TargetAtOrBelowTheWatermarkIsRefused) {  // EIP-3076 condition 5
  EXPECT_EQ(judge_attestation(vote(3, 3, 1), marks(3, 4)).decision.refusal, Refusal::target_at_or_below_low_watermark);
  EXPECT_EQ(judge_attestation(vote(3, 4, 1), marks(3, 4)).decision.refusal, Refusal::target_at_or_below_low_watermark);
}

TEST(VoteRules, IdenticalRepeatAtTheWatermarkIsAllowed) {
  auto f = marks(3, 4);
  f.same_target.push_back({3, 4, root(1)});
  const auto v = judge_attestation(vote(3, 4, 1), f);
  EXPECT_TRUE(v.decision.allowed());
  EXPECT_FALSE(v.insert);
}

TEST(VoteRules, SameTargetDifferentRootIsADoubleVote) {
  auto f = marks(3, 4);
  f.same_target.push_back({3, 5, root(1)});
  const auto v = judge_attestation(vote(3, 5, 2), f);
  EXPECT_EQ(v.decision.refusal, Refusal::double_vote);
  EXPECT_EQ(v.decision.detail, "attestation target epoch 5 already signed with a different signing root");
}

TEST(VoteRules, SameTargetDifferentSourceIsADoubleVoteEvenWithTheSameRoot) {
  auto f = marks(3, 4);
  f.same_target.push_back({3, 5, root(1)});
  EXPECT_EQ(judge_attestation(vote(4, 5, 1), f).decision.refusal, Refusal::double_vote);
}

TEST(VoteRules, SameTargetWithTheNullMarkerIsADoubleVote) {
  auto f = marks(3, 4);
  f.same_target.push_back({3, 5, std::nullopt});
  EXPECT_EQ(judge_attestation(AttestationVote{key(1), 3, 5, Root{}}, f).decision.refusal, Refusal::double_vote);
}

TEST(VoteRules, AVoteSurroundingARecordIsRefused) {
  auto f = marks(1, 2);
  f.surrounded = PriorVote{4, 5, std::nullopt};
  const auto v = judge_attestation(vote(3, 6, 1), f);
  EXPECT_EQ(v.decision.refusal, Refusal::surrounding_vote);
  EXPECT_NE(v.decision.detail.find("(source epoch 4, target epoch 5)"), std::string::npos) << v.decision.detail;
}

TEST(VoteRules, AVoteSurroundedByARecordIsRefused) {
  auto f = marks(1, 2);
  f.surrounding = PriorVote{2, 9, std::nullopt};
  EXPECT_EQ(judge_attestation(vote(3, 6, 1), f).decision.refusal, Refusal::surrounded_vote);
}

// ---- the high watermark (Web3Signer rule 2) ------------------------------------------------

TEST(HighWatermarkRules, BlocksAtOrAboveTheSlotAreRefusedEvenAsRepeats) {
  BlockFacts f{10, std::nullopt, HighWatermark{5, 160}};
  auto v = judge_block(block(160, 1), f);
  EXPECT_EQ(v.decision.refusal, Refusal::block_slot_at_or_above_high_watermark);
  EXPECT_FALSE(v.insert);
  EXPECT_NE(v.decision.detail.find("block slot 160 is at or above the high watermark slot 160"), std::string::npos)
      << v.decision.detail;
  EXPECT_NE(v.decision.detail.find("slashing watermark clear-high"), std::string::npos) << v.decision.detail;
  EXPECT_EQ(judge_block(block(1000, 1), f).decision.refusal, Refusal::block_slot_at_or_above_high_watermark);
  f.same_slot = RecordedRoot(root(1));
  EXPECT_EQ(judge_block(block(160, 1), f).decision.refusal, Refusal::block_slot_at_or_above_high_watermark)
      << "checked before the identical-repeat rule";
  EXPECT_TRUE(judge_block(block(159, 1), BlockFacts{10, std::nullopt, HighWatermark{5, 160}}).decision.allowed());
}

TEST(HighWatermarkRules, ItComesBeforeTheLowWatermark) {
  // Both bounds crossed: the high watermark is the operator's explicit stop, reported first.
  EXPECT_EQ(judge_block(block(3, 1), BlockFacts{10, std::nullopt, HighWatermark{0, 2}}).decision.refusal,
            Refusal::block_slot_at_or_above_high_watermark);
  auto f = marks(3, 4);
  f.high = HighWatermark{2, 0};
  EXPECT_EQ(judge_attestation(vote(1, 2, 1), f).decision.refusal,
            Refusal::attestation_epoch_at_or_above_high_watermark);
}

TEST(HighWatermarkRules, AttestationsWithSourceOrTargetAtOrAboveTheEpochAreRefused) {
  VoteFacts f;
  f.high = HighWatermark{10, 320};
  const auto target = judge_attestation(vote(8, 10, 1), f);
  EXPECT_EQ(target.decision.refusal, Refusal::attestation_epoch_at_or_above_high_watermark);
  EXPECT_NE(target.decision.detail.find("(source epoch 8, target epoch 10) is at or above the high watermark epoch 10"),
            std::string::npos)
      << target.decision.detail;
  EXPECT_EQ(judge_attestation(vote(10, 10, 1), f).decision.refusal,
            Refusal::attestation_epoch_at_or_above_high_watermark);
  EXPECT_EQ(judge_attestation(vote(10, 12, 1), f).decision.refusal,
            Refusal::attestation_epoch_at_or_above_high_watermark);
  EXPECT_TRUE(judge_attestation(vote(8, 9, 1), f).decision.allowed());
  f.same_target.push_back({8, 10, root(1)});
  EXPECT_EQ(judge_attestation(vote(8, 10, 1), f).decision.refusal,
            Refusal::attestation_epoch_at_or_above_high_watermark)
      << "an identical repeat too";
  EXPECT_EQ(judge_attestation(vote(11, 10, 1), f).decision.refusal, Refusal::source_exceeds_target)
      << "an invalid vote is named as such first";
}

// ---- a key disabled by a Key Manager delete ------------------------------------------------

TEST(DisabledKeyRules, EveryBlockIsRefusedEvenAnIdenticalRepeat) {
  BlockFacts f{10, RecordedRoot(root(1)), {}, true};
  const auto repeat = judge_block(block(10, 1), f);
  EXPECT_EQ(repeat.decision.refusal, Refusal::key_disabled);
  EXPECT_FALSE(repeat.insert);
  EXPECT_FALSE(repeat.set_low_watermark);
  EXPECT_NE(repeat.decision.detail.find(to_hex(key(1))), std::string::npos) << repeat.decision.detail;
  EXPECT_NE(repeat.decision.detail.find("deleted through the Key Manager API"), std::string::npos)
      << repeat.decision.detail;
  EXPECT_NE(repeat.decision.detail.find("imported again"), std::string::npos) << repeat.decision.detail;
  EXPECT_EQ(judge_block(block(11, 2), f).decision.refusal, Refusal::key_disabled) << "a fresh slot too";
  EXPECT_EQ(judge_block(block(11, 2), BlockFacts{std::nullopt, std::nullopt, {}, true}).decision.refusal,
            Refusal::key_disabled)
      << "a key that never signed too";
  f.high = HighWatermark{0, 0};
  EXPECT_EQ(judge_block(block(11, 2), f).decision.refusal, Refusal::key_disabled) << "checked before all else";
}

TEST(DisabledKeyRules, EveryVoteIsRefusedEvenAnIdenticalRepeat) {
  VoteFacts at_target = marks(3, 4);
  at_target.same_target.push_back({3, 4, root(1)});
  at_target.key_disabled = true;
  const auto repeat = judge_attestation(vote(3, 4, 1), at_target);
  EXPECT_EQ(repeat.decision.refusal, Refusal::key_disabled);
  EXPECT_FALSE(repeat.insert);
  EXPECT_FALSE(repeat.set_low_watermark);
  VoteFacts above = marks(3, 4);
  above.key_disabled = true;
  EXPECT_EQ(judge_attestation(vote(4, 5, 2), above).decision.refusal, Refusal::key_disabled);
  EXPECT_EQ(judge_attestation(vote(5, 4, 2), above).decision.refusal, Refusal::key_disabled)
      << "checked before all else";
  VoteFacts never_signed;
  never_signed.key_disabled = true;
  EXPECT_EQ(judge_attestation(vote(4, 5, 2), never_signed).decision.refusal, Refusal::key_disabled);
  above.key_disabled = false;
  EXPECT_TRUE(judge_attestation(vote(4, 5, 2), above).decision.allowed()) << "the same facts once enabled";
}

TEST(HighWatermarkRules, ValuesAboveInt64AreInvalid) {
  EXPECT_TRUE(check_range(HighWatermark{kMaxSlotOrEpoch, kMaxSlotOrEpoch}).ok());
  auto r = check_range(HighWatermark{1, kMaxSlotOrEpoch + 1});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("slot"), std::string::npos) << r.error().message;
}

// ---- an operator raising low watermarks -----------------------------------------------------

TEST(RaiseLowWatermarks, RaisesOnlyWhatIsGiven) {
  auto r = raised_low_watermarks({10, 3, 4}, {20, std::nullopt, 6});
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, (LowWatermarks{20, 3, 6}));
  auto fresh = raised_low_watermarks({}, {std::nullopt, 7, std::nullopt});
  ASSERT_TRUE(fresh.ok());
  EXPECT_EQ(*fresh, (LowWatermarks{std::nullopt, 7, std::nullopt}));
  auto same = raised_low_watermarks({10, 3, 4}, {10, 3, 4});
  ASSERT_TRUE(same.ok()) << "equal is not lower";
  EXPECT_EQ(*same, (LowWatermarks{10, 3, 4}));
}

TEST(RaiseLowWatermarks, LoweringIsAnErrorNamingTheCurrentValueAndChangesNothing) {
  auto r = raised_low_watermarks({10, 3, 4}, {20, std::nullopt, 2});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(r.error().message.find("target epoch 2 is below the current one, 4"), std::string::npos)
      << r.error().message;
  EXPECT_NE(r.error().message.find("never lowered"), std::string::npos) << r.error().message;
  EXPECT_FALSE(raised_low_watermarks({10, 3, 4}, {9, std::nullopt, std::nullopt}).ok());
  EXPECT_FALSE(raised_low_watermarks({10, 3, 4}, {std::nullopt, 2, std::nullopt}).ok());
}

TEST(RaiseLowWatermarks, NothingOrTooMuchIsInvalid) {
  EXPECT_FALSE(raised_low_watermarks({}, {}).ok());
  auto r = raised_low_watermarks({}, {kMaxSlotOrEpoch + 1, std::nullopt, std::nullopt});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("exceeds"), std::string::npos) << r.error().message;
}

// ---- pruning ----------------------------------------------------------------------------------

TEST(PruneRules, CutoffsKeepTheNewestEpochsAndDeleteNothingWhenTheHistoryIsShort) {
  EXPECT_EQ(attestation_prune_cutoff(100, 10), 90u);
  EXPECT_EQ(attestation_prune_cutoff(100, 0), 100u) << "keep 0: only the newest target stays";
  EXPECT_EQ(attestation_prune_cutoff(10, 10), std::nullopt);
  EXPECT_EQ(attestation_prune_cutoff(3, 10), std::nullopt);
  EXPECT_EQ(attestation_prune_cutoff(std::nullopt, 1), std::nullopt);
  EXPECT_EQ(block_prune_cutoff(1000, 10), 680u);
  EXPECT_EQ(block_prune_cutoff(320, 10), std::nullopt);
  EXPECT_EQ(block_prune_cutoff(kMaxSlotOrEpoch, ~0ull), std::nullopt) << "no overflow";
}

TEST(PruneRules, WatermarksRiseToTheOldestKeptRecordsNeverLower) {
  PruneFacts f;
  f.blocks_deleted = true;
  f.oldest_kept_slot = 700;
  f.votes_deleted = true;
  f.oldest_kept_source = 89;
  f.oldest_kept_target = 90;
  f.newest_deleted_source = 80;
  EXPECT_EQ(low_watermarks_after_prune({10, 3, 4}, f), (LowWatermarks{700, 89, 90}));
  EXPECT_EQ(low_watermarks_after_prune({800, 95, 96}, f), (LowWatermarks{800, 95, 96})) << "never lowered";
  EXPECT_EQ(low_watermarks_after_prune({}, f), (LowWatermarks{700, 89, 90}));
}

TEST(PruneRules, TheSourceWatermarkCoversEveryDeletedSource) {
  // An imported slashable history: (5, 6) deleted, (3, 20) kept. A new vote (4, 21) surrounds
  // (5, 6); with the source watermark only at 3 it would pass once (5, 6) is gone.
  PruneFacts f;
  f.votes_deleted = true;
  f.oldest_kept_source = 3;
  f.oldest_kept_target = 20;
  f.newest_deleted_source = 5;
  EXPECT_EQ(low_watermarks_after_prune({std::nullopt, 3, 6}, f), (LowWatermarks{std::nullopt, 5, 20}));
}

TEST(PruneRules, AKindWithNothingDeletedKeepsItsWatermarks) {
  PruneFacts f;
  f.oldest_kept_slot = 700;
  f.oldest_kept_source = 89;
  f.oldest_kept_target = 90;
  EXPECT_EQ(low_watermarks_after_prune({10, 3, 4}, f), (LowWatermarks{10, 3, 4}));
}

TEST(GenesisRule, MismatchRefusesAndNamesBothRoots) {
  EXPECT_TRUE(judge_genesis(root(1), root(1)).allowed());
  const auto d = judge_genesis(root(1), root(2));
  EXPECT_EQ(d.refusal, Refusal::genesis_validators_root_mismatch);
  EXPECT_NE(d.detail.find(to_hex(root(1))), std::string::npos);
  EXPECT_NE(d.detail.find(to_hex(root(2))), std::string::npos);
}

TEST(Watermarks, ImportSetsTheOldestRecordButNeverLowers) {
  // No watermark yet: the oldest record (the import's, as the key held none).
  EXPECT_EQ(low_watermark_after_import(std::nullopt, 7), 7u);
  EXPECT_EQ(low_watermark_after_import(std::nullopt, std::nullopt), std::nullopt);
  // The oldest record is older than the watermark: unchanged, never lowered.
  EXPECT_EQ(low_watermark_after_import(9, 7), 9u);
  EXPECT_EQ(low_watermark_after_import(9, std::nullopt), 9u);
  // Raised only up to the oldest record (records pruned below it, say).
  EXPECT_EQ(low_watermark_after_import(5, 7), 7u);
}

TEST(Watermarks, MergedRootKeepsOnlyAnIdenticalRoot) {
  EXPECT_EQ(merged_root(root(1), root(1)), RecordedRoot(root(1)));
  EXPECT_EQ(merged_root(root(1), root(2)), std::nullopt);
  EXPECT_EQ(merged_root(root(1), std::nullopt), std::nullopt);
  EXPECT_EQ(merged_root(std::nullopt, std::nullopt), std::nullopt);
}

TEST(Range, SlotsAndEpochsAboveInt64AreInvalidInput) {
  EXPECT_TRUE(check_range(BlockProposal{key(1), kMaxSlotOrEpoch, {}}).ok());
  auto r = check_range(BlockProposal{key(1), kMaxSlotOrEpoch + 1, {}});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::invalid_argument);
  EXPECT_FALSE(check_range(AttestationVote{key(1), 0, ~0ull, {}}).ok());
}

TEST(Refusals, NamesAreDistinctSnakeCase) {
  std::set<std::string_view> names;
  for (int i = 0; i <= static_cast<int>(Refusal::key_disabled); ++i) {
    const auto name = refusal_name(static_cast<Refusal>(i));
    EXPECT_TRUE(std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; }))
        << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(Refusal::key_disabled) + 1);
  EXPECT_EQ(refusal_name(Refusal::double_vote), "double_vote");
  EXPECT_EQ(refusal_name(Refusal::block_slot_at_or_below_low_watermark), "block_slot_at_or_below_low_watermark");
}

// ---- exhaustive orderings -----------------------------------------------------------------

using test::History;

bool slashable(const AttestationVote& a, const AttestationVote& b) {
  const bool double_vote =
      a.target_epoch == b.target_epoch && (a.source_epoch != b.source_epoch || a.signing_root != b.signing_root);
  const bool surround = (a.source_epoch < b.source_epoch && a.target_epoch > b.target_epoch) ||
                        (b.source_epoch < a.source_epoch && b.target_epoch > a.target_epoch);
  return double_vote || surround;
}

TEST(ExhaustiveOrderings, NoOrderOfConflictingVotesSignsASlashablePair) {
  std::vector<AttestationVote> set = {vote(1, 2, 1), vote(1, 2, 2), vote(0, 3, 3), vote(2, 3, 4),
                                      vote(1, 4, 5), vote(2, 5, 6), vote(3, 4, 7)};
  std::vector<std::size_t> order(set.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::size_t orderings = 0;
  do {
    History h;
    std::vector<AttestationVote> signed_votes;
    for (auto i : order) {
      if (h.sign(set[i])) signed_votes.push_back(set[i]);
    }
    ASSERT_FALSE(signed_votes.empty());
    for (std::size_t i = 0; i < signed_votes.size(); ++i) {
      for (std::size_t j = i + 1; j < signed_votes.size(); ++j) {
        ASSERT_FALSE(slashable(signed_votes[i], signed_votes[j]))
            << "ordering #" << orderings << " signed (" << signed_votes[i].source_epoch << ","
            << signed_votes[i].target_epoch << ") and (" << signed_votes[j].source_epoch << ","
            << signed_votes[j].target_epoch << ")";
      }
    }
    ++orderings;
  } while (std::next_permutation(order.begin(), order.end()));
  EXPECT_EQ(orderings, 5040u);
}

TEST(ExhaustiveOrderings, NoOrderOfBlocksSignsTwoAtOneSlot) {
  std::vector<BlockProposal> set = {block(1, 1), block(1, 2), block(2, 3), block(2, 3), block(3, 4), block(0, 5)};
  std::vector<std::size_t> order(set.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  do {
    History h;
    std::set<std::pair<std::uint64_t, Root>> signed_blocks;
    for (auto i : order) {
      if (h.sign(set[i])) signed_blocks.insert({set[i].slot, set[i].signing_root});
    }
    std::set<std::uint64_t> slots;
    for (const auto& [slot, r] : signed_blocks) ASSERT_TRUE(slots.insert(slot).second) << "two roots at slot " << slot;
  } while (std::next_permutation(order.begin(), order.end()));
}

// Pruning never makes a refused request acceptable: random histories (signed, and some with
// imported slashable votes), pruned with random spans, judged on every request of a grid before
// and after. Thousands of histories here; the stores run the same property on real databases.
TEST(PruneProperty, EveryRequestRefusedBeforePruningIsRefusedAfter) {
  std::mt19937_64 rng(3076);
  auto below = [&](std::uint64_t n) { return static_cast<std::uint64_t>(rng() % n); };
  constexpr std::uint64_t kEpochs = 24, kSlots = kEpochs * kSlotsPerEpoch;
  std::size_t refused_checked = 0, deletions = 0;
  for (int history = 0; history < 3000; ++history) {
    History h;
    const auto messages = 1 + below(25);
    for (std::uint64_t i = 0; i < messages; ++i) {
      const auto source = below(kEpochs);
      if (below(10) == 0) {
        h.import_vote(
            {source, source + below(kEpochs - source), below(2) == 0 ? RecordedRoot{} : RecordedRoot(root(1))});
      } else if (below(2) == 0) {
        h.sign(
            AttestationVote{key(1), source, source + below(kEpochs - source), root(static_cast<unsigned>(below(2)))});
      } else {
        h.sign(BlockProposal{key(1), below(kSlots), root(static_cast<unsigned>(below(2)))});
      }
    }
    const History before = h;
    h.prune(below(8));
    deletions += (before.votes.size() - h.votes.size()) + (before.blocks.size() - h.blocks.size());
    for (std::uint64_t slot = 0; slot < kSlots + 8; ++slot) {
      for (unsigned r = 0; r < 2; ++r) {
        const BlockProposal m{key(1), slot, root(r)};
        if (before.judge(m).decision.allowed()) continue;
        ++refused_checked;
        ASSERT_FALSE(h.judge(m).decision.allowed())
            << "history #" << history << ": block slot " << slot << " root " << r;
      }
    }
    for (std::uint64_t source = 0; source < kEpochs + 2; ++source) {
      for (std::uint64_t target = source; target < kEpochs + 2; ++target) {
        for (unsigned r = 0; r < 2; ++r) {
          const AttestationVote m{key(1), source, target, root(r)};
          if (before.judge(m).decision.allowed()) continue;
          ++refused_checked;
          ASSERT_FALSE(h.judge(m).decision.allowed())
              << "history #" << history << ": vote (" << source << ", " << target << ") root " << r;
        }
      }
    }
  }
  EXPECT_GT(deletions, 2000u) << "the histories must be long enough for pruning to delete";
  EXPECT_GT(refused_checked, 100000u);
}

}  // namespace
}  // namespace cc::slashing
