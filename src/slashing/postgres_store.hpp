#pragma once
// The anti-slashing database in PostgreSQL, for several signer replicas sharing one database.
//
// Safety across replicas comes from the database alone: every transaction that checks or
// records messages for a key first locks that key's row (SELECT … FOR UPDATE, keys in pubkey
// order so replicas never deadlock), then reads the facts and writes, then commits; a
// replica's "allowed" is only ever answered after its COMMIT returned. No process-local state
// can allow anything (the only thing cached is the genesis_validators_root, which is never
// changed once recorded). See postgres_batch.hpp for the two round trips of a batch.
//
// Throughput: pool_size connections, each with its own group committer (group_commit.hpp);
// a request goes to the committer chosen by its pubkey, so one key's requests keep their order
// and a batch of any size costs two round trips and one commit.
//
// Outages: every request needing the database is answered within about db_timeout of its
// arrival, with Error::unavailable when the server is down, slow or a lock is held too long
// (never "allowed" without a commit). A broken connection is dropped and reopened by the next
// batch, so the store recovers by itself when the server is back. health() probes the server
// with a write on a separate connection and reports the cause.
//
// Schema: created or migrated at open, in one transaction under an advisory lock (replicas may
// start together); a database whose schema is newer than this program is refused.
// Thread-safe, like every SlashingStore.
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "slashing/slashing_store.hpp"

namespace cc::slashing {

struct PostgresOptions {
  // libpq key-value string ("host=… port=5432 user=… password=… dbname=… sslmode=require") or a
  // postgresql:// URL (its hostaddr= parameter is honoured: connect there, verify TLS against host).
  std::string conninfo;
  std::size_t pool_size = 8;  // connections (and group committers) for signing requests
  // Bound on any request needing the database, from arrival to answer; also the server-side
  // statement_timeout (lock waits included) and the connect timeout.
  std::chrono::milliseconds db_timeout{2000};
  std::size_t max_batch = 1024;                  // requests per transaction at most
  std::chrono::microseconds max_batch_delay{0};  // extra wait for a batch to fill; 0: none
  // The network's root, when known at start-up: recorded in a fresh database; a database that
  // recorded another root fails to open (it belongs to another network).
  std::optional<Root> genesis_validators_root;
};

// Connects, migrates the schema and checks the network, or fails with an Error naming the
// server (host:port/dbname, never the password): invalid_argument for a malformed conninfo or
// a database of another network than options.genesis_validators_root; unavailable when the
// server cannot be reached within db_timeout or its schema is newer than this program knows.
Result<std::unique_ptr<SlashingStore>> open_postgres_store(const PostgresOptions& options);

// The connection items of a conninfo (key-value string or postgresql:// URL) as libpq reads them;
// empty when not given. invalid_argument with libpq's reason when it does not parse.
struct PgConninfoFields {
  std::string host, hostaddr, port, dbname, user;
};
Result<PgConninfoFields> pg_conninfo_fields(const std::string& conninfo);

}  // namespace cc::slashing
