#include "slashing/rules.hpp"

namespace cc::slashing {

Status check_range(const SignedMessage& m) {
  auto too_big = [](const char* field, std::uint64_t v) {
    return Error::invalid(std::string(field) + " " + std::to_string(v) + " exceeds the supported maximum " +
                          std::to_string(kMaxSlotOrEpoch));
  };
  if (const auto* b = std::get_if<BlockProposal>(&m)) {
    if (b->slot > kMaxSlotOrEpoch) return too_big("slot", b->slot);
    return {};
  }
  const auto& a = std::get<AttestationVote>(m);
  if (a.source_epoch > kMaxSlotOrEpoch) return too_big("source epoch", a.source_epoch);
  if (a.target_epoch > kMaxSlotOrEpoch) return too_big("target epoch", a.target_epoch);
  return {};
}

Status check_range(const HighWatermark& mark) {
  auto too_big = [](const char* field, std::uint64_t v) {
    return Error::invalid(std::string("high watermark ") + field + " " + std::to_string(v) +
                          " exceeds the supported maximum " + std::to_string(kMaxSlotOrEpoch));
  };
  if (mark.epoch > kMaxSlotOrEpoch) return too_big("epoch", mark.epoch);
  if (mark.slot > kMaxSlotOrEpoch) return too_big("slot", mark.slot);
  return {};
}

namespace {

bool same_root(const RecordedRoot& recorded, const Root& requested) {
  return recorded.has_value() && *recorded == requested;
}

Verdict refuse(Refusal r, const RefusalDetails& d) { return {Decision::refuse(r, d), false, false}; }

// A disabled key signs nothing, not even an identical re-sign: its history was handed over with
// the Key Manager delete, and whoever imports it may sign next.
Verdict refuse_disabled(const BlsPublicKey& pubkey, RefusalDetails d) {
  d.pubkey = pubkey;
  return refuse(Refusal::key_disabled, d);
}

}  // namespace

Verdict judge_block(const BlockProposal& m, const BlockFacts& f) {
  RefusalDetails d;
  d.slot = m.slot;
  if (f.key_disabled) return refuse_disabled(m.pubkey, d);
  // Web3Signer rule 2: the operator's high watermark stops everything at or above it, repeats included.
  if (f.high && m.slot >= f.high->slot) {
    d.high_watermark = f.high->slot;
    return refuse(Refusal::block_slot_at_or_above_high_watermark, d);
  }
  // EIP-3076 condition 2, strict part: nothing below the watermark, not even a repeat.
  if (f.low_slot && m.slot < *f.low_slot) {
    d.low_watermark = *f.low_slot;
    return refuse(Refusal::block_slot_at_or_below_low_watermark, d);
  }
  // EIP-3076 condition 1: same slot with a different or unknown root is a double proposal;
  // the identical message may be signed again (the client retried), and is not recorded twice.
  if (f.same_slot) {
    if (same_root(*f.same_slot, m.signing_root)) return {Decision::allow(), false, false};
    d.prior_root_unknown = !f.same_slot->has_value();
    return refuse(Refusal::double_block_proposal, d);
  }
  // EIP-3076 condition 2, equality part: at the watermark only a repeat (handled above) passes.
  if (f.low_slot && m.slot == *f.low_slot) {
    d.low_watermark = *f.low_slot;
    return refuse(Refusal::block_slot_at_or_below_low_watermark, d);
  }
  return {Decision::allow(), true, !f.low_slot.has_value()};
}

Verdict judge_attestation(const AttestationVote& m, const VoteFacts& f) {
  RefusalDetails d;
  d.source_epoch = m.source_epoch;
  d.target_epoch = m.target_epoch;
  if (f.key_disabled) return refuse_disabled(m.pubkey, d);
  if (m.source_epoch > m.target_epoch) return refuse(Refusal::source_exceeds_target, d);
  // Web3Signer rule 2 (target >= source here, so the target decides).
  if (f.high && (m.source_epoch >= f.high->epoch || m.target_epoch >= f.high->epoch)) {
    d.high_watermark = f.high->epoch;
    return refuse(Refusal::attestation_epoch_at_or_above_high_watermark, d);
  }
  // EIP-3076 condition 4.
  if (f.low_source && m.source_epoch < *f.low_source) {
    d.low_watermark = *f.low_source;
    return refuse(Refusal::source_below_low_watermark, d);
  }
  // EIP-3076 condition 5, strict part.
  if (f.low_target && m.target_epoch < *f.low_target) {
    d.low_watermark = *f.low_target;
    return refuse(Refusal::target_at_or_below_low_watermark, d);
  }
  // EIP-3076 condition 3, double vote: every record at this target must be this very vote.
  if (!f.same_target.empty()) {
    for (const auto& prior : f.same_target) {
      if (prior.source_epoch != m.source_epoch || !same_root(prior.signing_root, m.signing_root)) {
        d.prior_root_unknown = !prior.signing_root.has_value();
        return refuse(Refusal::double_vote, d);
      }
    }
    return {Decision::allow(), false, false};  // identical re-sign
  }
  // EIP-3076 condition 5, equality part.
  if (f.low_target && m.target_epoch == *f.low_target) {
    d.low_watermark = *f.low_target;
    return refuse(Refusal::target_at_or_below_low_watermark, d);
  }
  // EIP-3076 condition 3, surround votes.
  if (f.surrounded) {
    d.prior_source_epoch = f.surrounded->source_epoch;
    d.prior_target_epoch = f.surrounded->target_epoch;
    return refuse(Refusal::surrounding_vote, d);
  }
  if (f.surrounding) {
    d.prior_source_epoch = f.surrounding->source_epoch;
    d.prior_target_epoch = f.surrounding->target_epoch;
    return refuse(Refusal::surrounded_vote, d);
  }
  return {Decision::allow(), true, !f.low_source.has_value() || !f.low_target.has_value()};
}

Decision judge_genesis(const Root& recorded, const Root& requested) {
  if (recorded == requested) return Decision::allow();
  RefusalDetails d;
  d.recorded_gvr = recorded;
  d.requested_gvr = requested;
  return Decision::refuse(Refusal::genesis_validators_root_mismatch, d);
}

std::optional<std::uint64_t> low_watermark_after_import(std::optional<std::uint64_t> current,
                                                        std::optional<std::uint64_t> records_min) {
  if (!records_min) return current;
  if (!current) return records_min;
  return *current > *records_min ? *current : *records_min;
}

RecordedRoot merged_root(const RecordedRoot& recorded, const RecordedRoot& imported) {
  if (recorded && imported && *recorded == *imported) return recorded;
  return std::nullopt;
}

// ---- operator watermarks and pruning -------------------------------------------------------

Result<LowWatermarks> raised_low_watermarks(const LowWatermarks& current, const LowWatermarks& requested) {
  if (!requested.slot && !requested.source_epoch && !requested.target_epoch) {
    return Error::invalid("no low watermark given: name a slot, a source epoch or a target epoch to raise");
  }
  LowWatermarks out = current;
  auto raise = [](const char* what, const std::optional<std::uint64_t>& now, const std::optional<std::uint64_t>& to,
                  std::optional<std::uint64_t>& into) -> Status {
    if (!to) return {};
    if (*to > kMaxSlotOrEpoch) {
      return Error::invalid(std::string("low watermark ") + what + " " + std::to_string(*to) +
                            " exceeds the supported maximum " + std::to_string(kMaxSlotOrEpoch));
    }
    if (now && *to < *now) {
      return Error::invalid(std::string("low watermark ") + what + " " + std::to_string(*to) +
                            " is below the current one, " + std::to_string(*now) +
                            ": a low watermark is never lowered (nothing was changed)");
    }
    into = to;
    return {};
  };
  if (auto st = raise("slot", current.slot, requested.slot, out.slot); !st) return st.error();
  if (auto st = raise("source epoch", current.source_epoch, requested.source_epoch, out.source_epoch); !st) {
    return st.error();
  }
  if (auto st = raise("target epoch", current.target_epoch, requested.target_epoch, out.target_epoch); !st) {
    return st.error();
  }
  return out;
}

namespace {

// newest - span, or nullopt when that deletes nothing (no record, or history shorter than span).
std::optional<std::uint64_t> cutoff(std::optional<std::uint64_t> newest, std::uint64_t span) {
  if (!newest || *newest <= span) return std::nullopt;
  return *newest - span;
}

std::optional<std::uint64_t> max_of(std::optional<std::uint64_t> a, std::optional<std::uint64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return *a > *b ? a : b;
}

}  // namespace

std::optional<std::uint64_t> block_prune_cutoff(std::optional<std::uint64_t> newest_slot, std::uint64_t keep_epochs) {
  if (keep_epochs > kMaxSlotOrEpoch / kSlotsPerEpoch) return std::nullopt;  // longer than any chain
  return cutoff(newest_slot, keep_epochs * kSlotsPerEpoch);
}

std::optional<std::uint64_t> attestation_prune_cutoff(std::optional<std::uint64_t> newest_target,
                                                      std::uint64_t keep_epochs) {
  return cutoff(newest_target, keep_epochs);
}

LowWatermarks low_watermarks_after_prune(const LowWatermarks& current, const PruneFacts& f) {
  LowWatermarks out = current;
  if (f.blocks_deleted) out.slot = max_of(current.slot, f.oldest_kept_slot);
  if (f.votes_deleted) {
    out.source_epoch = max_of(max_of(current.source_epoch, f.oldest_kept_source), f.newest_deleted_source);
    out.target_epoch = max_of(current.target_epoch, f.oldest_kept_target);
  }
  return out;
}

}  // namespace cc::slashing
