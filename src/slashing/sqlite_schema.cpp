#include "slashing/sqlite_schema.hpp"

#include <iterator>
#include <string>

namespace cc::slashing {

namespace {

// Version 1, as released: never edited (a fresh file starts from it, then migrates).
constexpr const char* kSchemaVersion1 = R"sql(
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS validators (
  id               INTEGER PRIMARY KEY,
  pubkey           BLOB NOT NULL UNIQUE CHECK (length(pubkey) = 48),
  low_slot         INTEGER CHECK (low_slot >= 0),
  low_source_epoch INTEGER CHECK (low_source_epoch >= 0),
  low_target_epoch INTEGER CHECK (low_target_epoch >= 0)
);
CREATE TABLE IF NOT EXISTS blocks (
  validator_id INTEGER NOT NULL REFERENCES validators (id),
  slot         INTEGER NOT NULL CHECK (slot >= 0),
  signing_root BLOB CHECK (signing_root IS NULL OR length(signing_root) = 32),
  PRIMARY KEY (validator_id, slot)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS attestations (
  validator_id INTEGER NOT NULL REFERENCES validators (id),
  source_epoch INTEGER NOT NULL CHECK (source_epoch >= 0),
  target_epoch INTEGER NOT NULL CHECK (target_epoch >= 0),
  signing_root BLOB CHECK (signing_root IS NULL OR length(signing_root) = 32)
);
CREATE UNIQUE INDEX IF NOT EXISTS attestations_by_target ON attestations (validator_id, target_epoch, source_epoch);
CREATE INDEX IF NOT EXISTS attestations_by_source ON attestations (validator_id, source_epoch, target_epoch);
)sql";

struct Migration {
  int version;  // the schema version this migration produces
  const char* sql;
};

// Append only: a released migration never changes; a new schema is a new entry.
constexpr Migration kMigrations[] = {
    {2, R"sql(
CREATE TABLE high_watermark (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  epoch INTEGER NOT NULL CHECK (epoch >= 0),
  slot  INTEGER NOT NULL CHECK (slot >= 0)
);
)sql"},
    // A key deleted through the Key Manager API signs nothing until imported again (rules.hpp).
    {3, R"sql(
ALTER TABLE validators ADD COLUMN disabled INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1));
)sql"},
};

static_assert(kMigrations[std::size(kMigrations) - 1].version == kSqliteSchemaVersion,
              "kSqliteSchemaVersion must be the last migration's version");

}  // namespace

void prepare_database(SqliteConnection& db) {
  // EXCLUSIVE before WAL: SQLite then keeps the WAL index in heap memory (no -shm file) and
  // holds the file lock from the first transaction until close, so no other connection can write.
  // 1 KiB pages for a new file (an existing one keeps its size). Every vote dirties one leaf page
  // in each attestation index, each key's in a different place, and a commit writes every dirty
  // page whole to the WAL (and a checkpoint again to the file): small pages write a quarter of
  // the bytes per signature of the default 4 KiB (docs/performance.md).
  db.exec("PRAGMA page_size = 1024");
  db.exec("PRAGMA locking_mode = EXCLUSIVE");
  const std::string mode = db.pragma_text("PRAGMA journal_mode = WAL");
  if (mode != "wal") throw SqliteError("cannot switch to WAL journal mode (got '" + mode + "')", SQLITE_ERROR);
  // FULL: the WAL is fsynced at every commit, so "committed" means "on disk".
  db.exec("PRAGMA synchronous = FULL");
  db.exec("PRAGMA foreign_keys = ON");
  // Checkpoint every 8 MiB of WAL rather than SQLite's 1,000 pages: a key's hot index pages are
  // then copied back to the file once for many commits instead of once for a few.
  db.exec("PRAGMA wal_autocheckpoint = 8192");

  // Creating and migrating happen in one transaction: a crash leaves the old version intact.
  db.exec("BEGIN IMMEDIATE");
  try {
    db.exec(kSchemaVersion1);  // IF NOT EXISTS: creates a fresh file's tables, touches nothing else
    std::int64_t version = 1;  // a fresh file, or one from before versions were recorded
    {
      Statement get(db, "SELECT value FROM meta WHERE key = 'schema_version'");
      auto row = get.run();
      if (row.next()) version = row.int64(0);
    }
    if (version > kSqliteSchemaVersion) {
      throw std::runtime_error("schema version " + std::to_string(version) + " is newer than this program's (" +
                               std::to_string(kSqliteSchemaVersion) + "); upgrade containment-chamber");
    }
    for (const auto& m : kMigrations) {
      if (m.version > version) db.exec(m.sql);
    }
    Statement put(db,
                  "INSERT INTO meta (key, value) VALUES ('schema_version', ?1) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value");
    put.run().bind_int64(1, kSqliteSchemaVersion).done();
  } catch (...) {
    db.rollback_quietly();
    throw;
  }
  db.exec("COMMIT");
}

}  // namespace cc::slashing
