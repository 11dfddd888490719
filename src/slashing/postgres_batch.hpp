#pragma once
// The signing path of the PostgreSQL store: a batch of checks decided and recorded in one
// transaction, in two network round trips whatever the batch size.
//
//   round 1  BEGIN; take the high watermark's advisory lock (shared) and read it; (bind the
//            genesis_validators_root if none is known); create the rows of keys
//            never seen; lock every key row of the batch, sorted by pubkey (SELECT … FOR UPDATE:
//            replicas meeting on a key queue here, and the fixed order rules out deadlocks;
//            the locked rows carry the watermarks and the disabled flag);
//            then fetch, for every message, the facts rules.hpp needs (record at the same slot,
//            votes at the same target, one surrounding and one surrounded vote).
//   decide   in arrival order with judge_block()/judge_attestation(), each message seeing the
//            database's facts plus the messages allowed earlier in the batch.
//   round 2  insert the allowed messages, write changed watermarks, COMMIT.
//
// The facts are read after the locks are granted, at READ COMMITTED, so they include every
// commit of whichever replica held a lock before: two replicas can never both allow a
// slashable pair. Internal to the PostgreSQL store.
#include <optional>
#include <vector>

#include "slashing/group_commit.hpp"
#include "slashing/postgres_connection.hpp"

namespace cc::slashing {

// The statements that fetch each message's facts in round 1 (here so tests can check their
// plans on a long history).
// $1 message indexes, $2 pubkeys, $3 slots: the record at the requested slot, by a primary-key
// probe per request (OFFSET 0: see kVotesAtTarget).
inline constexpr const char* kBlocksAtSlot =
    "SELECT m.i, b.signing_root FROM unnest($1::int[], $2::bytea[], $3::bigint[]) AS m (i, pubkey, slot) "
    "JOIN cc_validators v ON v.pubkey = m.pubkey "
    "CROSS JOIN LATERAL (SELECT signing_root FROM cc_blocks WHERE validator_id = v.id AND slot = m.slot OFFSET 0) b";
// $1 indexes, $2 pubkeys, $3 targets: every vote at the requested target. Each lookup is its
// own primary-key probe (validator_id, target_epoch), whatever the planner believes about the
// table: OFFSET 0 keeps the subquery from being flattened into a join that, with fresh or
// missing statistics, scanned the key's whole history (found with EXPLAIN on a generic plan).
inline constexpr const char* kVotesAtTarget =
    "SELECT m.i, a.source_epoch, a.signing_root "
    "FROM unnest($1::int[], $2::bytea[], $3::bigint[]) AS m (i, pubkey, target) "
    "JOIN cc_validators v ON v.pubkey = m.pubkey "
    "CROSS JOIN LATERAL (SELECT source_epoch, signing_root FROM cc_attestations "
    "  WHERE validator_id = v.id AND target_epoch = m.target OFFSET 0) a";
// $1 indexes, $2 pubkeys, $3 sources, $4 targets: one vote surrounding the request (source < s,
// target > t) and one it surrounds (source > s, target < t). The ORDER BY names the index each
// walks, starting where the request is: newer targets in the primary key for the first, newer
// sources in cc_attestations_by_source for the second. A key that only moves forward has no
// newer vote, so both stop at once however long its history.
inline constexpr const char* kSurroundVotes =
    "SELECT m.i, sg.source_epoch, sg.target_epoch, sd.source_epoch, sd.target_epoch "
    "FROM unnest($1::int[], $2::bytea[], $3::bigint[], $4::bigint[]) AS m (i, pubkey, source, target) "
    "JOIN cc_validators v ON v.pubkey = m.pubkey "
    "LEFT JOIN LATERAL (SELECT source_epoch, target_epoch FROM cc_attestations "
    "  WHERE validator_id = v.id AND target_epoch > m.target AND source_epoch < m.source "
    "  ORDER BY target_epoch LIMIT 1) sg ON true "
    "LEFT JOIN LATERAL (SELECT source_epoch, target_epoch FROM cc_attestations "
    "  WHERE validator_id = v.id AND source_epoch > m.source AND target_epoch < m.target "
    "  ORDER BY source_epoch LIMIT 1) sd ON true "
    "WHERE sg.source_epoch IS NOT NULL OR sd.source_epoch IS NOT NULL";

// Runs `batch` on `db` by `deadline`. `gvr` is the database's genesis_validators_root if
// known; when it is not, the batch binds the first valid check's root (or learns the root
// another replica bound) and, once committed, sets `gvr`. Returns one result per check, or
// an Error (unavailable) for the whole batch, in which case nothing was recorded and `db` is
// closed.
Result<std::vector<Result<Decision>>> run_postgres_batch(PgConnection& db, const std::vector<PendingCheck>& batch,
                                                         std::optional<Root>& gvr, PgDeadline deadline);

}  // namespace cc::slashing
