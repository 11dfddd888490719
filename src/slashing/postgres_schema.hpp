#pragma once
// Schema of the PostgreSQL anti-slashing database and its automatic migration. Internal to the
// PostgreSQL store. Table names carry a cc_ prefix so the database may be shared with other
// software (e.g. a Web3Signer schema) without clashes.
//
//   cc_schema_migrations(version, description, applied_at)   one row per applied migration
//   cc_meta(key, value)                  genesis_validators_root, health_probe
//   cc_validators(id, pubkey, low_slot, low_source_epoch, low_target_epoch, disabled)   the per-key
//                                        row every writer locks (SELECT … FOR UPDATE) before it reads
//                                        or writes that key's records; explicit low watermarks;
//                                        disabled after a Key Manager delete
//   cc_blocks(validator_id, slot, signing_root)                primary key (validator_id, slot)
//   cc_attestations(validator_id, source_epoch, target_epoch, signing_root)
//                                        primary key (validator_id, target_epoch, source_epoch) and an
//                                        index on (validator_id, source_epoch, target_epoch)
//   cc_high_watermark(id, epoch, slot)   the global high watermark: no row, or one (id = true)
//
// Versions: 1 everything above but cc_high_watermark and cc_validators.disabled; 2 adds
// cc_high_watermark; 3 adds cc_validators.disabled.
//
// A NULL signing_root is the EIP-3076 null marker. Slots and epochs are BIGINT (rules.hpp bounds
// them to 2^63-1), so the indexes order them numerically.
#include "slashing/postgres_connection.hpp"

namespace cc::slashing {

// The newest schema this program knows. A database at a higher version is refused.
inline constexpr int kPostgresSchemaVersion = 3;

// Transaction-level advisory lock ("cc-hwmrk" in ASCII) guarding the high watermark: every
// signing batch holds it shared from its first statement to its commit, and a change of the
// high watermark takes it exclusively. So a change waits for the batches in flight (which read
// the old value), and every batch that starts afterwards reads the new one.
inline constexpr const char* kHighWatermarkLock = "7161617759152730731";

// Statements shared by the signing batch and the interchange import, so both bind the network
// and lock keys the same way (one lock order for every writer: by pubkey).
inline constexpr const char* kBindGvr =
    "INSERT INTO cc_meta (key, value) VALUES ('genesis_validators_root', $1) ON CONFLICT (key) DO NOTHING";
inline constexpr const char* kReadGvr = "SELECT value FROM cc_meta WHERE key = 'genesis_validators_root'";
// $1 sorted pubkeys. NOT EXISTS first, so known keys do not consume identity values.
inline constexpr const char* kAddKeys =
    "INSERT INTO cc_validators (pubkey) SELECT k FROM unnest($1::bytea[]) AS k "
    "WHERE NOT EXISTS (SELECT 1 FROM cc_validators WHERE pubkey = k) ORDER BY k ON CONFLICT (pubkey) DO NOTHING";
// ORDER BY is applied before the locks are taken: every writer locks keys in the same order.
inline constexpr const char* kLockKeys =
    "SELECT id, pubkey, low_slot, low_source_epoch, low_target_epoch, disabled FROM cc_validators "
    "WHERE pubkey = ANY ($1::bytea[]) ORDER BY pubkey FOR UPDATE";

// Creates or upgrades the schema in one transaction, serialised between processes by a
// transaction-level advisory lock (several replicas may start at once). Returns the version
// found before migrating (0 for an empty database), or an Error: unavailable when the server
// fails, or when the database's schema is newer than kPostgresSchemaVersion (the message says so).
Result<int> migrate_postgres_schema(PgConnection& db, PgDeadline deadline);

}  // namespace cc::slashing
