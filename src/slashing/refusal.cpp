#include "slashing/refusal.hpp"

namespace cc::slashing {

std::string_view refusal_name(Refusal r) {
  switch (r) {
    case Refusal::none:
      return "none";
    case Refusal::genesis_validators_root_mismatch:
      return "genesis_validators_root_mismatch";
    case Refusal::block_slot_at_or_below_low_watermark:
      return "block_slot_at_or_below_low_watermark";
    case Refusal::double_block_proposal:
      return "double_block_proposal";
    case Refusal::source_exceeds_target:
      return "source_exceeds_target";
    case Refusal::source_below_low_watermark:
      return "source_below_low_watermark";
    case Refusal::target_at_or_below_low_watermark:
      return "target_at_or_below_low_watermark";
    case Refusal::double_vote:
      return "double_vote";
    case Refusal::surrounding_vote:
      return "surrounding_vote";
    case Refusal::surrounded_vote:
      return "surrounded_vote";
    case Refusal::block_slot_at_or_above_high_watermark:
      return "block_slot_at_or_above_high_watermark";
    case Refusal::attestation_epoch_at_or_above_high_watermark:
      return "attestation_epoch_at_or_above_high_watermark";
    case Refusal::key_disabled:
      return "key_disabled";
  }
  return "unknown";
}

namespace {

std::string n(std::uint64_t v) { return std::to_string(v); }

std::string vote(std::uint64_t source, std::uint64_t target) {
  return "(source epoch " + n(source) + ", target epoch " + n(target) + ")";
}

std::string already_signed(const RefusalDetails& d) {
  return d.prior_root_unknown ? " already signed (imported without a signing root, so any other message conflicts)"
                              : " already signed with a different signing root";
}

// The high watermark is an operator's decision for every key: say how to lift it.
constexpr const char* kHowToClearHigh =
    " set for all keys; an operator lifts it with `containment-chamber slashing watermark clear-high` "
    "(or moves it with `set-high`) once signing there is safe";

}  // namespace

std::string refusal_message(Refusal r, const RefusalDetails& d) {
  switch (r) {
    case Refusal::none:
      return {};
    case Refusal::genesis_validators_root_mismatch:
      return "genesis_validators_root " + to_hex(d.requested_gvr) + " does not match " + to_hex(d.recorded_gvr) +
             " recorded in the anti-slashing database (wrong network?)";
    case Refusal::block_slot_at_or_below_low_watermark:
      return "block slot " + n(d.slot) + " is at or below the low watermark slot " + n(d.low_watermark) +
             " of this key (EIP-3076 condition 2)";
    case Refusal::double_block_proposal:
      return "block slot " + n(d.slot) + already_signed(d);
    case Refusal::source_exceeds_target:
      return "attestation source epoch " + n(d.source_epoch) + " is greater than its target epoch " + n(d.target_epoch);
    case Refusal::source_below_low_watermark:
      return "attestation source epoch " + n(d.source_epoch) + " is below the low watermark source epoch " +
             n(d.low_watermark) + " of this key (EIP-3076 condition 4)";
    case Refusal::target_at_or_below_low_watermark:
      return "attestation target epoch " + n(d.target_epoch) + " is at or below the low watermark target epoch " +
             n(d.low_watermark) + " of this key (EIP-3076 condition 5)";
    case Refusal::double_vote:
      return "attestation target epoch " + n(d.target_epoch) + already_signed(d);
    case Refusal::surrounding_vote:
      return "attestation " + vote(d.source_epoch, d.target_epoch) + " would surround the signed attestation " +
             vote(d.prior_source_epoch, d.prior_target_epoch);
    case Refusal::surrounded_vote:
      return "attestation " + vote(d.source_epoch, d.target_epoch) + " would be surrounded by the signed attestation " +
             vote(d.prior_source_epoch, d.prior_target_epoch);
    case Refusal::block_slot_at_or_above_high_watermark:
      return "block slot " + n(d.slot) + " is at or above the high watermark slot " + n(d.high_watermark) +
             kHowToClearHigh;
    case Refusal::attestation_epoch_at_or_above_high_watermark:
      return "attestation " + vote(d.source_epoch, d.target_epoch) + " is at or above the high watermark epoch " +
             n(d.high_watermark) + kHowToClearHigh;
    case Refusal::key_disabled:
      return "key " + to_hex(d.pubkey) +
             " was deleted through the Key Manager API and is disabled in the anti-slashing database: nothing is "
             "signed for it until it is imported again (POST /eth/v1/keystores)";
  }
  return "refused";
}

}  // namespace cc::slashing
