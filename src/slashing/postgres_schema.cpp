#include "slashing/postgres_schema.hpp"

#include <spdlog/spdlog.h>

#include <string>
#include <vector>

namespace cc::slashing {

namespace {

// Key of the advisory lock that serialises migrations ("cc-slash" in ASCII).
constexpr const char* kMigrationLock = "7161617806212035432";

struct Migration {
  int version;
  const char* description;
  std::vector<const char*> statements;  // one statement each (pipeline mode runs no multi-statement strings)
};

// Append only: a released migration never changes; a new schema is a new entry.
const std::vector<Migration>& migrations() {
  static const std::vector<Migration> list = {
      {1,
       "validators, blocks, attestations, meta",
       {
           "CREATE TABLE cc_meta (key text PRIMARY KEY, value bytea NOT NULL)",
           "CREATE TABLE cc_validators ("
           " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
           " pubkey bytea NOT NULL UNIQUE CHECK (octet_length(pubkey) = 48),"
           " low_slot bigint CHECK (low_slot >= 0),"
           " low_source_epoch bigint CHECK (low_source_epoch >= 0),"
           " low_target_epoch bigint CHECK (low_target_epoch >= 0))",
           "CREATE TABLE cc_blocks ("
           " validator_id bigint NOT NULL REFERENCES cc_validators (id),"
           " slot bigint NOT NULL CHECK (slot >= 0),"
           " signing_root bytea CHECK (signing_root IS NULL OR octet_length(signing_root) = 32),"
           " PRIMARY KEY (validator_id, slot))",
           "CREATE TABLE cc_attestations ("
           " validator_id bigint NOT NULL REFERENCES cc_validators (id),"
           " source_epoch bigint NOT NULL CHECK (source_epoch >= 0),"
           " target_epoch bigint NOT NULL CHECK (target_epoch >= 0),"
           " signing_root bytea CHECK (signing_root IS NULL OR octet_length(signing_root) = 32),"
           " PRIMARY KEY (validator_id, target_epoch, source_epoch))",
           "CREATE INDEX cc_attestations_by_source ON cc_attestations (validator_id, source_epoch, target_epoch)",
       }},
      {2,
       "global high watermark",
       {
           "CREATE TABLE cc_high_watermark ("
           " id boolean PRIMARY KEY DEFAULT true CHECK (id),"
           " epoch bigint NOT NULL CHECK (epoch >= 0),"
           " slot bigint NOT NULL CHECK (slot >= 0))",
       }},
      {3,
       "disabled keys (Key Manager API delete)",
       {
           // Without a table rewrite (a constant default): quick even on a large table.
           "ALTER TABLE cc_validators ADD COLUMN disabled boolean NOT NULL DEFAULT false",
       }},
  };
  return list;
}

}  // namespace

Result<int> migrate_postgres_schema(PgConnection& db, PgDeadline deadline) {
  // Lock first: concurrent CREATE TABLE IF NOT EXISTS may otherwise collide in the catalog.
  auto found = db.run(
      {
          {"BEGIN ISOLATION LEVEL READ COMMITTED", {}},
          {std::string("SELECT pg_advisory_xact_lock(") + kMigrationLock + ")", {}},
          {"CREATE TABLE IF NOT EXISTS cc_schema_migrations ("
           " version integer PRIMARY KEY, description text NOT NULL,"
           " applied_at timestamptz NOT NULL DEFAULT now())",
           {}},
          {"SELECT coalesce(max(version), 0) FROM cc_schema_migrations", {}},
      },
      deadline);
  if (!found) return found.error();
  const int version = static_cast<int>((*found)[3].u64(0, 0));
  if (version > kPostgresSchemaVersion) {
    (void)db.run(PgQuery{"ROLLBACK", {}}, deadline);
    return Error::unavailable(db.name() + ": the anti-slashing schema is at version " + std::to_string(version) +
                              ", newer than this program's (" + std::to_string(kPostgresSchemaVersion) +
                              "); upgrade containment-chamber");
  }
  std::vector<PgQuery> work;
  for (const auto& m : migrations()) {
    if (m.version <= version) continue;
    for (const char* statement : m.statements) work.push_back({statement, {}});
    work.push_back({"INSERT INTO cc_schema_migrations (version, description) VALUES ($1, $2)",
                    {std::to_string(m.version), std::string(m.description)}});
  }
  work.push_back({"COMMIT", {}});
  auto applied = db.run(work, deadline);
  if (!applied) return applied.error();
  if (version < kPostgresSchemaVersion) {
    spdlog::info("anti-slashing: {}: schema migrated from version {} to {}", db.name(), version,
                 kPostgresSchemaVersion);
  }
  return version;
}

}  // namespace cc::slashing
