#pragma once
// The operator's watermark commands and pruning on the SQLite anti-slashing database (rules in
// rules.hpp). Each function runs inside a transaction its caller, the SQLite store, holds, and
// throws SqliteError when SQLite fails (the store rolls back). Internal to the SQLite store.
#include <cstdint>
#include <optional>

#include "slashing/rules.hpp"
#include "slashing/slashing_store.hpp"
#include "slashing/sqlite_handle.hpp"

namespace cc::slashing {

// The high watermark through a prepared sql::kHighWatermark statement (the signing path reads
// it once per batch), or nullopt when none is set.
std::optional<HighWatermark> read_high_watermark(Statement& select_high_watermark);

// Replaces the high watermark (nullopt: removes it).
void write_high_watermark(SqliteConnection& db, const std::optional<HighWatermark>& mark);

// The key's low watermarks; all nullopt for an unknown key.
LowWatermarks read_low_watermarks(SqliteConnection& db, const BlsPublicKey& pubkey);

// Raises the key's low watermarks to `requested` (rules.hpp, raised_low_watermarks), creating the
// key if unknown. The rule's invalid_argument Error is returned with nothing written.
Status raise_low_watermarks(SqliteConnection& db, const BlsPublicKey& pubkey, const LowWatermarks& requested);

// Prunes every key (rules.hpp: cutoffs and low_watermarks_after_prune).
PruneReport prune_history(SqliteConnection& db, std::uint64_t keep_epochs);

}  // namespace cc::slashing
