#pragma once
// A reference model of one key's anti-slashing history for the tests: it computes the rule facts
// by scanning (fine for a test) and applies the verdicts, imports and pruning exactly as the
// stores do, with the same pure rules (rules.hpp). judge() decides without recording, which a
// store cannot do: the tests use it to know what a history refuses.
#include <algorithm>
#include <optional>
#include <utility>
#include <vector>

#include "slashing/rules.hpp"

namespace cc::slashing::test {

// A tiny in-memory history that computes the facts by scanning (fine for a test) and applies
// the verdicts exactly as a store would; it imports and prunes as the stores do too.
struct History {
  std::optional<std::uint64_t> low_slot, low_source, low_target;
  std::optional<HighWatermark> high;
  std::vector<std::pair<std::uint64_t, RecordedRoot>> blocks;  // slot, root
  std::vector<PriorVote> votes;
  unsigned imports = 0;  // import_vote() calls

  Verdict judge(const BlockProposal& m) const {
    BlockFacts f{low_slot, std::nullopt, high};
    for (const auto& [slot, r] : blocks) {
      if (slot == m.slot) f.same_slot = r;
    }
    return judge_block(m, f);
  }
  Verdict judge(const AttestationVote& m) const {
    VoteFacts f;
    f.low_source = low_source;
    f.low_target = low_target;
    f.high = high;
    for (const auto& a : votes) {
      if (a.target_epoch == m.target_epoch) f.same_target.push_back(a);
      if (a.source_epoch < m.source_epoch && a.target_epoch > m.target_epoch) f.surrounding = a;
      if (a.source_epoch > m.source_epoch && a.target_epoch < m.target_epoch) f.surrounded = a;
    }
    return judge_attestation(m, f);
  }
  bool sign(const BlockProposal& m) {
    const auto v = judge(m);
    if (v.insert) blocks.push_back({m.slot, m.signing_root});
    if (v.set_low_watermark) low_slot = m.slot;
    return v.decision.allowed();
  }
  bool sign(const AttestationVote& m) {
    const auto v = judge(m);
    if (v.insert) votes.push_back({m.source_epoch, m.target_epoch, m.signing_root});
    if (v.set_low_watermark) {
      if (!low_source) low_source = m.source_epoch;
      if (!low_target) low_target = m.target_epoch;
    }
    return v.decision.allowed();
  }
  // An imported vote, slashable or not (contains_slashable_data), and the import's watermark rule.
  void import_vote(const PriorVote& a) {
    ++imports;
    votes.push_back(a);
    std::uint64_t min_source = a.source_epoch, min_target = a.target_epoch;
    for (const auto& v : votes) {
      min_source = std::min(min_source, v.source_epoch);
      min_target = std::min(min_target, v.target_epoch);
    }
    low_source = low_watermark_after_import(low_source, min_source);
    low_target = low_watermark_after_import(low_target, min_target);
  }
  void prune(std::uint64_t keep_epochs) {
    std::optional<std::uint64_t> newest_slot, newest_target;
    for (const auto& b : blocks) newest_slot = std::max(newest_slot.value_or(0), b.first);
    for (const auto& a : votes) newest_target = std::max(newest_target.value_or(0), a.target_epoch);
    const auto block_cut = block_prune_cutoff(newest_slot, keep_epochs);
    const auto vote_cut = attestation_prune_cutoff(newest_target, keep_epochs);
    PruneFacts f;
    auto lower = [](std::optional<std::uint64_t>& into, std::uint64_t v) { into = std::min(into.value_or(v), v); };
    for (const auto& b : blocks) {
      if (block_cut && b.first < *block_cut) f.blocks_deleted = true;
      if (block_cut && b.first >= *block_cut) lower(f.oldest_kept_slot, b.first);
    }
    for (const auto& a : votes) {
      if (!vote_cut) break;
      if (a.target_epoch < *vote_cut) {
        f.votes_deleted = true;
        f.newest_deleted_source = std::max(f.newest_deleted_source.value_or(0), a.source_epoch);
      } else {
        lower(f.oldest_kept_source, a.source_epoch);
        lower(f.oldest_kept_target, a.target_epoch);
      }
    }
    const auto raised = low_watermarks_after_prune({low_slot, low_source, low_target}, f);
    low_slot = raised.slot;
    low_source = raised.source_epoch;
    low_target = raised.target_epoch;
    if (block_cut) std::erase_if(blocks, [&](const auto& b) { return b.first < *block_cut; });
    if (vote_cut) std::erase_if(votes, [&](const auto& a) { return a.target_epoch < *vote_cut; });
  }
};

}  // namespace cc::slashing::test
