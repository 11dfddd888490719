#pragma once
// The operator's watermark commands and pruning on the PostgreSQL anti-slashing database (rules
// in rules.hpp), safe while replicas sign: a key's low watermarks change only under its row lock
// (SELECT … FOR UPDATE, as signing batches take it), and the high watermark only under the
// exclusive advisory lock kHighWatermarkLock, which waits for the batches in flight. On a server
// failure the functions return unavailable with nothing changed (the open transaction dies with
// the connection, which is closed). Internal to the PostgreSQL store.
#include <cstdint>
#include <optional>

#include "slashing/postgres_connection.hpp"
#include "slashing/rules.hpp"
#include "slashing/slashing_store.hpp"

namespace cc::slashing {

Result<std::optional<HighWatermark>> read_postgres_high_watermark(PgConnection& db, PgDeadline deadline);

// Replaces (nullopt: removes) the high watermark once the signing batches in flight committed.
Status write_postgres_high_watermark(PgConnection& db, const std::optional<HighWatermark>& mark, PgDeadline deadline);

// The key's low watermarks; all nullopt for an unknown key.
Result<LowWatermarks> read_postgres_low_watermarks(PgConnection& db, const BlsPublicKey& pubkey, PgDeadline deadline);

// Raises the key's low watermarks to `requested` (rules.hpp, raised_low_watermarks) under its
// row lock, creating the key if unknown; the rule's invalid_argument Error changes nothing.
Status raise_postgres_low_watermarks(PgConnection& db, const BlsPublicKey& pubkey, const LowWatermarks& requested,
                                     PgDeadline deadline);

// Prunes every key whose history reaches below its cutoffs, one transaction per key (its row
// locked, watermarks raised, records deleted), each by `key_deadline` after it starts. Keys
// pruned before a failure stay pruned: `report` counts them, whatever the result.
Status prune_postgres_history(PgConnection& db, std::uint64_t keep_epochs, PgClock::duration key_deadline,
                              PruneReport& report);

}  // namespace cc::slashing
