// The pure rule functions (rules.hpp), which every store shares: one test per refusal and per
// allowed re-sign, the watermark arithmetic, and an exhaustive test that signs every ordering
// of a small set of conflicting messages and checks nothing slashable was ever allowed.
#include "slashing/rules.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <set>

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
  BlockFacts f{10, std::nullopt};
  auto v = judge_block(block(9, 1), f);
  EXPECT_EQ(v.decision.refusal, Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_FALSE(v.insert);
  EXPECT_NE(v.decision.detail.find("block slot 9"), std::string::npos) << v.decision.detail;
  EXPECT_NE(v.decision.detail.find("10"), std::string::npos) << v.decision.detail;
  f.same_slot = RecordedRoot(root(1));
  EXPECT_EQ(judge_block(block(9, 1), f).decision.refusal, Refusal::block_slot_at_or_below_low_watermark);
}

TEST(BlockRules, AtTheWatermarkWithoutARecordIsRefused) {
  const auto v = judge_block(block(10, 1), BlockFacts{10, std::nullopt});
  EXPECT_EQ(v.decision.refusal, Refusal::block_slot_at_or_below_low_watermark);
}

TEST(BlockRules, IdenticalRepeatIsAllowedWithoutANewRecord) {
  const auto v = judge_block(block(10, 1), BlockFacts{10, RecordedRoot(root(1))});
  EXPECT_TRUE(v.decision.allowed());
  EXPECT_FALSE(v.insert);
  EXPECT_FALSE(v.set_low_watermark);
}

TEST(BlockRules, SameSlotDifferentRootIsADoubleProposal) {
  const auto v = judge_block(block(12, 2), BlockFacts{10, RecordedRoot(root(1))});
  EXPECT_EQ(v.decision.refusal, Refusal::double_block_proposal);
  EXPECT_EQ(v.decision.detail, "block slot 12 already signed with a different signing root");
}

TEST(BlockRules, NullMarkerConflictsEvenWithTheZeroRoot) {
  const BlockProposal zero{key(1), 12, Root{}};
  const auto v = judge_block(zero, BlockFacts{10, RecordedRoot(std::nullopt)});
  EXPECT_EQ(v.decision.refusal, Refusal::double_block_proposal);
  EXPECT_NE(v.decision.detail.find("without a signing root"), std::string::npos);
}

TEST(BlockRules, AboveTheWatermarkOnAFreeSlotIsAllowedAndKeepsTheWatermark) {
  const auto v = judge_block(block(11, 1), BlockFacts{10, std::nullopt});
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
  for (int i = 0; i <= static_cast<int>(Refusal::surrounded_vote); ++i) {
    const auto name = refusal_name(static_cast<Refusal>(i));
    EXPECT_TRUE(std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; }))
        << name;
    names.insert(name);
  }
  EXPECT_EQ(names.size(), static_cast<std::size_t>(Refusal::surrounded_vote) + 1);
  EXPECT_EQ(refusal_name(Refusal::double_vote), "double_vote");
  EXPECT_EQ(refusal_name(Refusal::block_slot_at_or_below_low_watermark), "block_slot_at_or_below_low_watermark");
}

// ---- exhaustive orderings -----------------------------------------------------------------

// A tiny in-memory history that computes the facts by scanning (fine for a test) and applies
// the verdicts exactly as a store would.
struct History {
  std::optional<std::uint64_t> low_slot, low_source, low_target;
  std::vector<BlockProposal> blocks;
  std::vector<AttestationVote> votes;

  bool sign(const BlockProposal& m) {
    BlockFacts f{low_slot, std::nullopt};
    for (const auto& b : blocks) {
      if (b.slot == m.slot) f.same_slot = RecordedRoot(b.signing_root);
    }
    const auto v = judge_block(m, f);
    if (v.insert) blocks.push_back(m);
    if (v.set_low_watermark) low_slot = m.slot;
    return v.decision.allowed();
  }
  bool sign(const AttestationVote& m) {
    VoteFacts f;
    f.low_source = low_source;
    f.low_target = low_target;
    for (const auto& a : votes) {
      if (a.target_epoch == m.target_epoch) f.same_target.push_back({a.source_epoch, a.target_epoch, a.signing_root});
      if (a.source_epoch < m.source_epoch && a.target_epoch > m.target_epoch)
        f.surrounding = PriorVote{a.source_epoch, a.target_epoch, {}};
      if (a.source_epoch > m.source_epoch && a.target_epoch < m.target_epoch)
        f.surrounded = PriorVote{a.source_epoch, a.target_epoch, {}};
    }
    const auto v = judge_attestation(m, f);
    if (v.insert) votes.push_back(m);
    if (v.set_low_watermark) {
      low_source = m.source_epoch;
      low_target = m.target_epoch;
    }
    return v.decision.allowed();
  }
};

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

}  // namespace
}  // namespace cc::slashing
