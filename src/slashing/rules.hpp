#pragma once
// The anti-slashing rules (complete strategy), as pure functions shared by every store
// (SQLite, PostgreSQL, DynamoDB). A store fetches the facts about one key that bear on one
// message (its low watermarks, the records at the same slot or target, one surrounding and one
// surrounded vote), calls judge_block()/judge_attestation(), and applies the Verdict in the same
// transaction. The rules never see a whole history, so every fact must come from an indexed
// lookup; the comments on BlockFacts/VoteFacts say which.
//
// EIP-3076 conditions (REFERENCE.md B.3), enforced at all times, not only after an import:
//   1. no block slashable against a recorded block (same slot, different or unknown root);
//   2. no block at slot <= the low watermark unless it is an identical re-sign;
//   3. no attestation slashable against a recorded one (double vote, surround either way);
//   4. no attestation with source < the low watermark source;
//   5. no attestation with target <= the low watermark target unless it is an identical re-sign.
// Low watermarks are explicit per key: set by the first signed message, set or raised by imports
// (low_watermark_after_import), never lowered. Below the watermark nothing is signed, not even a repeat.
#include <cstdint>
#include <limits>
#include <optional>
#include <vector>

#include "core/result.hpp"
#include "slashing/refusal.hpp"
#include "slashing/signed_message.hpp"

namespace cc::slashing {

// Slots and epochs above this are invalid input: SQL BIGINT is signed, and no real chain gets there.
inline constexpr std::uint64_t kMaxSlotOrEpoch = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());

// invalid_argument naming the field when a slot or epoch exceeds kMaxSlotOrEpoch.
Status check_range(const SignedMessage& m);

// A signing root as recorded. std::nullopt is the distinct "null" marker of an entry imported
// without a signing root (EIP-3076 advice): it conflicts with every other message at that slot/target.
using RecordedRoot = std::optional<Root>;

struct PriorVote {
  std::uint64_t source_epoch = 0;
  std::uint64_t target_epoch = 0;
  RecordedRoot signing_root;
};

// Facts about one block proposal.
struct BlockFacts {
  std::optional<std::uint64_t> low_slot;  // the key's low watermark; nullopt: nothing recorded yet
  std::optional<RecordedRoot> same_slot;  // the record at the requested slot (unique per key and slot)
};

// Facts about one attestation vote.
struct VoteFacts {
  std::optional<std::uint64_t> low_source;  // the key's low watermarks; nullopt: nothing recorded yet
  std::optional<std::uint64_t> low_target;
  std::vector<PriorVote> same_target;  // every record at the requested target epoch
  // One record with source < s and target > t, if any. Index on (key, target): it only visits
  // records newer than the request, so the lookup stays small however long the history.
  std::optional<PriorVote> surrounding;
  // One record with source > s and target < t, if any. Index on (key, source), same reason.
  std::optional<PriorVote> surrounded;
};

// What the store must do with a message, in the transaction that fetched the facts.
struct Verdict {
  Decision decision;
  bool insert = false;             // record the message (false for refusals and identical re-signs)
  bool set_low_watermark = false;  // the key had no watermark: this message's slot/epochs become it
};

Verdict judge_block(const BlockProposal& m, const BlockFacts& f);
Verdict judge_attestation(const AttestationVote& m, const VoteFacts& f);

// Refusal::genesis_validators_root_mismatch unless requested == recorded.
Decision judge_genesis(const Root& recorded, const Root& requested);

// Import (EIP-3076 advice for complete databases): a key's low watermark after an import, from
// its watermark before and `records_min`, the minimum over every record the key holds once the
// import is written (the existing ones and the imported ones; nullopt: none). The result is
// max(current, records_min): nothing is signed below the oldest imported message of a key, a
// watermark is never lowered, and an import never raises it above a record the database
// already holds, so it never forbids what the complete strategy allows (e.g. signing between
// two imports: the suite's should_succeed_complete).
std::optional<std::uint64_t> low_watermark_after_import(std::optional<std::uint64_t> current,
                                                        std::optional<std::uint64_t> records_min);

// An imported entry meeting a record at the same slot (or the same source and target): an
// identical root stays; anything else becomes the null marker, which refuses every new message there.
RecordedRoot merged_root(const RecordedRoot& recorded, const RecordedRoot& imported);

}  // namespace cc::slashing
