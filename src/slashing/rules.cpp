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

namespace {

bool same_root(const RecordedRoot& recorded, const Root& requested) {
  return recorded.has_value() && *recorded == requested;
}

Verdict refuse(Refusal r, const RefusalDetails& d) { return {Decision::refuse(r, d), false, false}; }

}  // namespace

Verdict judge_block(const BlockProposal& m, const BlockFacts& f) {
  RefusalDetails d;
  d.slot = m.slot;
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
  if (m.source_epoch > m.target_epoch) return refuse(Refusal::source_exceeds_target, d);
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

}  // namespace cc::slashing
