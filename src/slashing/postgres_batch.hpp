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

// Runs `batch` on `db` by `deadline`. `gvr` is the database's genesis_validators_root if
// known; when it is not, the batch binds the first valid check's root (or learns the root
// another replica bound) and, once committed, sets `gvr`. Returns one result per check, or
// an Error (unavailable) for the whole batch, in which case nothing was recorded and `db` is
// closed.
Result<std::vector<Result<Decision>>> run_postgres_batch(PgConnection& db, const std::vector<PendingCheck>& batch,
                                                         std::optional<Root>& gvr, PgDeadline deadline);

}  // namespace cc::slashing
