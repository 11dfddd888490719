#pragma once
// The anti-slashing database in one SQLite file (the default backend).
//
// Durability: WAL journal, synchronous=FULL, so a COMMIT has reached the disk before any
// caller hears "allowed". Throughput: requests are group-committed (group_commit.hpp): every
// request pending when the committer is free (up to max_batch; while requests come back to
// back, after waiting up to max_batch_delay for more) runs in one transaction in arrival order,
// so later requests see earlier ones, and one fsync serves the batch.
//
// One writer: the store holds a non-blocking flock on "<path>.lock" and SQLite's EXCLUSIVE
// locking mode for its lifetime. A second store on the same file, in this or another process,
// fails to open with "already in use by another process".
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>

#include "core/result.hpp"
#include "slashing/slashing_store.hpp"

namespace cc::slashing {

struct SqliteOptions {
  std::string path;                              // database file; parent directories are created
  // While busy (a request arriving within this time of the previous commit), the committer waits
  // up to this long for the batch to fill; an idle store commits at once. 0: never waits.
  std::chrono::microseconds max_batch_delay{1000};
  std::size_t max_batch = 1024;                  // requests per transaction at most
  // The network's root, when known at start-up: recorded in a fresh database; a database that
  // recorded another root fails to open (it belongs to another network).
  std::optional<Root> genesis_validators_root;
};

// Opens the database (creating it with mode 0600, and its parent directory) or fails with an
// Error naming the path and the reason: kind invalid_argument when the database belongs to
// another network than options.genesis_validators_root, unavailable otherwise (including
// "already in use by another process").
Result<std::unique_ptr<SlashingStore>> open_sqlite_store(const SqliteOptions& options);

}  // namespace cc::slashing
