#pragma once
// EIP-3076 import and export for the PostgreSQL store, and the Key Manager's disabling and
// enabling of keys, each in one transaction on one connection. Import locks the key rows it
// touches the way signing batches do (sorted, FOR UPDATE), merges with the records already held
// (rules.hpp: merged_root, low_watermark_after_import) and commits all or nothing. Export reads
// one consistent snapshot. Disabling and enabling lock the keys' rows the same way, so a signing
// batch for one of those keys either commits before or reads the new flag.
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

// SlashingStore::disable_and_export: creates the unknown keys of `disable`, locks the rows of
// every key to export (sorted), disables `disable`, reads the export of `disable` then
// `also_export`, and commits. nullopt when no genesis_validators_root is recorded (the keys are
// disabled all the same). unavailable when the server fails (nothing changed; `db` is closed).
Result<std::optional<Interchange>> disable_and_export_postgres(PgConnection& db,
                                                               const std::vector<BlsPublicKey>& disable,
                                                               const std::vector<BlsPublicKey>& also_export,
                                                               PgDeadline deadline);

// SlashingStore::enable: clears the flag of `keys` under their row locks (sorted). Unknown keys
// are left unknown. unavailable when the server fails (nothing changed; `db` is closed).
Status enable_postgres_keys(PgConnection& db, const std::vector<BlsPublicKey>& keys, PgDeadline deadline);

}  // namespace cc::slashing
