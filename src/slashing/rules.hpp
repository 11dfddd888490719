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
// (low_watermark_after_import), by an operator (raised_low_watermarks) and by pruning
// (low_watermarks_after_prune), never lowered. Below the watermark nothing is signed, not even a repeat.
// One optional high watermark bounds every key from above (HighWatermark), checked before all else
// but the key's disabled flag: a key deleted through the Key Manager API is disabled in the
// database and refuses everything (Refusal::key_disabled) until it is imported again.
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

// The global high watermark (Web3Signer semantics, REFERENCE.md B.1 rule 2): no key signs a block
// at slot >= `slot`, nor an attestation whose source or target is >= `epoch`, not even a repeat.
// Set by an operator, e.g. before handing validators over to another signer, so that this one can
// never race the new one past that point. Both are at most kMaxSlotOrEpoch.
struct HighWatermark {
  std::uint64_t epoch = 0;
  std::uint64_t slot = 0;
  bool operator==(const HighWatermark&) const = default;
};

// invalid_argument naming the field when a high watermark exceeds kMaxSlotOrEpoch.
Status check_range(const HighWatermark& mark);

// A key's explicit low watermarks; nullopt where nothing set one yet.
struct LowWatermarks {
  std::optional<std::uint64_t> slot;
  std::optional<std::uint64_t> source_epoch;
  std::optional<std::uint64_t> target_epoch;
  bool operator==(const LowWatermarks&) const = default;
};

struct PriorVote {
  std::uint64_t source_epoch = 0;
  std::uint64_t target_epoch = 0;
  RecordedRoot signing_root;
};

// Facts about one block proposal.
struct BlockFacts {
  std::optional<std::uint64_t> low_slot;  // the key's low watermark; nullopt: nothing recorded yet
  std::optional<RecordedRoot> same_slot;  // the record at the requested slot (unique per key and slot)
  std::optional<HighWatermark> high;      // the global high watermark, read in the same transaction
  bool key_disabled = false;              // the key's flag, read with its row: refuses everything
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
  std::optional<HighWatermark> high;  // the global high watermark, read in the same transaction
  bool key_disabled = false;          // the key's flag, read with its row: refuses everything
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

// ---- operator watermarks and pruning -------------------------------------------------------

// An operator raising a key's low watermarks (`slashing watermark raise-low`): `requested` holds
// the values to set (nullopt: leave that one). Returns the watermarks to write, or
// invalid_argument when nothing is requested, a value exceeds kMaxSlotOrEpoch, or a value is
// below the current one (the message names the current value: a watermark is never lowered).
// Setting a value equal to the current one is allowed and changes nothing.
Result<LowWatermarks> raised_low_watermarks(const LowWatermarks& current, const LowWatermarks& requested);

// Pruning keeps, per key, the newest `keep_epochs` epochs of history: attestations with
// target >= newest target - keep_epochs and blocks with slot >= newest slot - keep_epochs *
// kSlotsPerEpoch; records below that cutoff are deleted, so the newest record always stays.
// nullopt: nothing to delete (no record, or the history is not that long).
inline constexpr std::uint64_t kSlotsPerEpoch = 32;
std::optional<std::uint64_t> block_prune_cutoff(std::optional<std::uint64_t> newest_slot, std::uint64_t keep_epochs);
std::optional<std::uint64_t> attestation_prune_cutoff(std::optional<std::uint64_t> newest_target,
                                                      std::uint64_t keep_epochs);

// What a store reads about one key, in the transaction that prunes it, below and above the cutoffs.
struct PruneFacts {
  bool blocks_deleted = false;                         // some block is below the block cutoff
  std::optional<std::uint64_t> oldest_kept_slot;       // min slot at or above the cutoff
  bool votes_deleted = false;                          // some attestation is below the target cutoff
  std::optional<std::uint64_t> oldest_kept_source;     // min source among the attestations kept
  std::optional<std::uint64_t> oldest_kept_target;     // min target among the attestations kept
  std::optional<std::uint64_t> newest_deleted_source;  // max source among the attestations deleted
};

// The key's low watermarks once pruned, written in the same transaction as the deletions, so
// that pruning never makes a refused request acceptable:
//  - block slot: raised to the oldest kept block; every deleted slot is then below it;
//  - attestation target: raised to the oldest kept target; every deleted target is below it, so
//    no new vote can double-vote or be surrounded by a deleted one;
//  - attestation source: raised to the oldest kept source and at least to the newest deleted
//    source, so no new vote can surround a deleted one (in a non-slashable history the latter
//    is never higher; after an import of slashable data it may be).
// Never lowered; a kind with nothing deleted keeps its watermarks.
LowWatermarks low_watermarks_after_prune(const LowWatermarks& current, const PruneFacts& facts);

}  // namespace cc::slashing
