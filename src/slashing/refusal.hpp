#pragma once
// Why the anti-slashing database refuses a message. A Refusal is a precise, stable reason:
// refusal_name() is the snake_case word carried in the HTTP error body (412 for the slashing
// rules; the signing API answers key_disabled with 404) and used as the metric label;
// refusal_message() is the sentence an operator reads. A Decision pairs the two.
#include <cstdint>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace cc::slashing {

enum class Refusal {
  none,
  genesis_validators_root_mismatch,              // the request is for another network than the database
  block_slot_at_or_below_low_watermark,          // EIP-3076 condition 2
  double_block_proposal,                         // same slot, different (or unknown) signing root
  source_exceeds_target,                         // an attestation with source > target is never valid
  source_below_low_watermark,                    // EIP-3076 condition 4
  target_at_or_below_low_watermark,              // EIP-3076 condition 5
  double_vote,                                   // same target, different (or unknown) signing root
  surrounding_vote,                              // the new vote surrounds a signed one
  surrounded_vote,                               // a signed vote surrounds the new one
  block_slot_at_or_above_high_watermark,         // the operator's high watermark (REFERENCE.md B.1 rule 2)
  attestation_epoch_at_or_above_high_watermark,  // source or target at or above it
  key_disabled,  // the key was deleted through the Key Manager API and not imported again since
};

// "double_vote", "surrounding_vote", ...; "none" for Refusal::none.
std::string_view refusal_name(Refusal r);

// The numbers a refusal message cites. Fields that do not concern a refusal are ignored.
struct RefusalDetails {
  std::uint64_t slot = 0;          // block: the requested slot
  std::uint64_t source_epoch = 0;  // attestation: the requested vote
  std::uint64_t target_epoch = 0;
  std::uint64_t low_watermark = 0;       // low watermark refusals: the bound that was crossed
  std::uint64_t high_watermark = 0;      // high watermark refusals: the slot or epoch reached
  std::uint64_t prior_source_epoch = 0;  // surround refusals: the signed vote in conflict
  std::uint64_t prior_target_epoch = 0;
  bool prior_root_unknown = false;  // double block/vote: the record was imported without a root
  Root recorded_gvr{};              // genesis_validators_root_mismatch
  Root requested_gvr{};
  BlsPublicKey pubkey{};  // key_disabled: the key that asked
};

// One sentence, e.g. "attestation target epoch 5 already signed with a different signing root".
std::string refusal_message(Refusal r, const RefusalDetails& d);

// The outcome of a check: allowed (and recorded), or refused with a reason and a sentence.
struct Decision {
  Refusal refusal = Refusal::none;
  std::string detail;  // refusal_message(), empty when allowed
  bool allowed() const { return refusal == Refusal::none; }

  static Decision allow() { return {}; }
  static Decision refuse(Refusal r, const RefusalDetails& d) { return {r, refusal_message(r, d)}; }
};

}  // namespace cc::slashing
