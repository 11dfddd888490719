#pragma once
// SlashingStore records signed messages durably and refuses slashable ones (rules.hpp).
// Thread-safe: any thread may call any method. check_and_record() queues the message; its
// callback runs on a store thread only once the decision is final: for an allowed message,
// after the record is durable (committed, fsynced), so the caller may sign and release the
// signature; for a refusal, when the rule has been decided. An Error (kind unavailable) means
// the database could not be read or written: the caller answers 503 and must not sign.
// Callbacks must be quick (post work elsewhere): they run on the thread that commits the
// next batch. Destroying a store completes every queued request first.
//
// Implementations: SQLite (sqlite_store.hpp), PostgreSQL (postgres_store.hpp); DynamoDB follows
// the same contract.
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "slashing/refusal.hpp"
#include "slashing/signed_message.hpp"

namespace cc::slashing {

// Counters since the store was opened (for metrics and tests).
struct StoreStats {
  std::uint64_t requests = 0;  // check_and_record calls answered
  std::uint64_t commits = 0;   // transactions committed for them (group commit: commits <= requests)
  std::uint64_t failed_commits = 0;
};

class SlashingStore {
 public:
  virtual ~SlashingStore();

  // Checks `msg` against the key's history for the network `genesis_validators_root` (the
  // first root seen is recorded; any other refuses everything) and records it if allowed.
  // `done` receives the Decision, or Error::unavailable (nothing recorded) or
  // Error::invalid_argument (slot/epoch out of range).
  virtual void check_and_record(const Root& genesis_validators_root, SignedMessage msg,
                                std::function<void(Result<Decision>)> done) = 0;

  // check_and_record() that blocks the calling thread until the decision is final.
  Result<Decision> check_and_record_sync(const Root& genesis_validators_root, SignedMessage msg);

  // Ok when the database is open and writable; otherwise the reason, for the health check.
  virtual Status health() = 0;
  virtual std::string_view backend_name() const = 0;
  virtual StoreStats stats() const = 0;

  // EIP-3076 interchange v5 import (complete strategy): every message is recorded and each
  // key's low watermarks become the minimum of its records, imported and existing, never
  // lower than before (rules.hpp, low_watermark_after_import). All or nothing: a
  // malformed file, or one for another genesis_validators_root than the database's, changes
  // nothing and returns an invalid_argument Error naming the problem.
  virtual Status import_interchange(std::string_view json) = 0;

  // Interchange v5 document of the keys in `only`, in that order (empty: all keys, ordered by
  // pubkey; unknown keys are left out). For each key, the records
  // at or above its low watermarks (the ones that still decide anything). not_found when the
  // database has no genesis_validators_root yet (nothing signed or imported).
  virtual Result<std::string> export_interchange(const std::vector<BlsPublicKey>& only) = 0;
};

}  // namespace cc::slashing
