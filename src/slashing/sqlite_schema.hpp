#pragma once
// Schema of the SQLite anti-slashing database and the connection settings it relies on.
// Internal to the SQLite store.
//
//   meta(key, value)                 schema_version, genesis_validators_root, health_probe
//   validators(id, pubkey, low_slot, low_source_epoch, low_target_epoch, disabled)
//                                    explicit low watermarks; disabled = 1 after a Key Manager delete
//   blocks(validator_id, slot, signing_root)                    one row per key and slot
//   attestations(validator_id, source_epoch, target_epoch, signing_root)
//   high_watermark(id = 1, epoch, slot)                        the global high watermark: 0 or 1 row
//
// Versions: 1 the tables above but high_watermark and validators.disabled; 2 adds high_watermark;
// 3 adds validators.disabled. Opening a database of an older version migrates it in one
// transaction; a newer one is refused.
//
// A NULL signing_root is the EIP-3076 null marker (imported without a root). Slots and epochs
// are stored as INTEGER (at most 2^63-1, see rules.hpp). Every rule lookup is an index search:
// blocks by their primary key, attestations by attestations_by_target (same target, and the
// votes surrounding a new one: target > t) or attestations_by_source (the votes a new one
// surrounds: source > s); both start at the request and walk only newer history.
#include "slashing/sqlite_handle.hpp"

namespace cc::slashing {

inline constexpr int kSqliteSchemaVersion = 3;

// The lookups behind the rule facts (rules.hpp), run for every signing request. Each must be an
// index SEARCH, never a SCAN (a test asks SQLite's query planner).
namespace sql {
// ?1 validator_id, ?2 slot
inline constexpr const char* kBlockAtSlot = "SELECT signing_root FROM blocks WHERE validator_id = ?1 AND slot = ?2";
// ?1 pubkey
inline constexpr const char* kFindKey =
    "SELECT id, low_slot, low_source_epoch, low_target_epoch, disabled FROM validators WHERE pubkey = ?1";
// ?1 validator_id, ?2 target
inline constexpr const char* kVotesAtTarget =
    "SELECT source_epoch, signing_root FROM attestations INDEXED BY attestations_by_target "
    "WHERE validator_id = ?1 AND target_epoch = ?2";
// ?1 validator_id, ?2 source, ?3 target: a record surrounding the new vote (source < s, target > t).
inline constexpr const char* kSurroundingVote =
    "SELECT source_epoch, target_epoch FROM attestations INDEXED BY attestations_by_target "
    "WHERE validator_id = ?1 AND target_epoch > ?3 AND source_epoch < ?2 LIMIT 1";
// ?1 validator_id, ?2 source, ?3 target: a record the new vote surrounds (source > s, target < t).
inline constexpr const char* kSurroundedVote =
    "SELECT source_epoch, target_epoch FROM attestations INDEXED BY attestations_by_source "
    "WHERE validator_id = ?1 AND source_epoch > ?2 AND target_epoch < ?3 LIMIT 1";
// Once per batch: the global high watermark (no row: none).
inline constexpr const char* kHighWatermark = "SELECT epoch, slot FROM high_watermark WHERE id = 1";
}  // namespace sql

// Exclusive locking, WAL, synchronous=FULL; then creates or checks the schema in one
// transaction. Throws SqliteError; std::runtime_error for a database of a newer schema.
void prepare_database(SqliteConnection& db);

}  // namespace cc::slashing
