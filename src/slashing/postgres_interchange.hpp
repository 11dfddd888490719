#pragma once
// EIP-3076 import and export for the PostgreSQL store, each in one transaction on one
// connection. Import locks the key rows it touches the way signing batches do (sorted, FOR
// UPDATE), merges with the records already held (rules.hpp: merged_root,
// low_watermark_after_import) and commits all or nothing. Export reads one consistent snapshot.
// Internal to the PostgreSQL store.
#include <optional>
#include <vector>

#include "slashing/interchange.hpp"
#include "slashing/postgres_connection.hpp"

namespace cc::slashing {

// Imports `records` (one per pubkey: merged_by_pubkey) of a file for `file_gvr`. `gvr` is the
// database's root if known, set once the import commits. invalid_argument (nothing changed) when
// the database belongs to another network; unavailable when the server fails (nothing changed;
// `db` is closed).
Status import_postgres_interchange(PgConnection& db, const std::vector<InterchangeRecord>& records,
                                   const Root& file_gvr, std::optional<Root>& gvr, PgDeadline deadline);

// The interchange document of the keys in `only` (empty: all, by pubkey), records at or above
// each key's low watermarks. not_found when no genesis_validators_root is recorded yet.
Result<Interchange> export_postgres_interchange(PgConnection& db, const std::vector<BlsPublicKey>& only,
                                                PgDeadline deadline);

}  // namespace cc::slashing
