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
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "slashing/refusal.hpp"
#include "slashing/rules.hpp"
#include "slashing/signed_message.hpp"

namespace cc::slashing {

// Counters since the store was opened (for metrics and tests).
struct StoreStats {
  std::uint64_t requests = 0;  // check_and_record calls answered
  std::uint64_t commits = 0;   // transactions committed for them (group commit: commits <= requests)
  std::uint64_t failed_commits = 0;
};

// What prune() deleted.
struct PruneReport {
  std::uint64_t keys_pruned = 0;  // keys that lost at least one record
  std::uint64_t blocks_deleted = 0;
  std::uint64_t attestations_deleted = 0;
};

// One callback per message of a batch of `n`; once all of them ran, `done` gets their results in
// order, on the thread that ran the last one. For stores implementing check_and_record_batch().
std::vector<std::function<void(Result<Decision>)>> batch_callbacks(
    std::size_t n, std::function<void(std::vector<Result<Decision>>)> done);

class SlashingStore {
 public:
  virtual ~SlashingStore();

  // Checks `msg` against the key's history for the network `genesis_validators_root` (the
  // first root seen is recorded; any other refuses everything) and records it if allowed.
  // `done` receives the Decision, or Error::unavailable (nothing recorded) or
  // Error::invalid_argument (slot/epoch out of range).
  virtual void check_and_record(const Root& genesis_validators_root, SignedMessage msg,
                                std::function<void(Result<Decision>)> done) = 0;

  // Many messages (of different keys) decided together, e.g. one batch signing request: each is
  // checked and recorded individually, as check_and_record() would, and `done` receives one
  // result per message, in order, once every decision is final (each allowed one durable).
  // Stores with a group committer queue them at once, so they share one transaction and one
  // fsync (up to the committer's batch limit); the default calls check_and_record() per message.
  virtual void check_and_record_batch(const Root& genesis_validators_root, std::vector<SignedMessage> msgs,
                                      std::function<void(std::vector<Result<Decision>>)> done);

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
  // at or above its low watermarks (the ones that still decide anything), and where a watermark
  // lies above all of them, an entry without signing root that carries it (interchange.hpp,
  // add_watermark_entries). not_found when the
  // database has no genesis_validators_root yet (nothing signed or imported).
  virtual Result<std::string> export_interchange(const std::vector<BlsPublicKey>& only) = 0;

  // ---- disabled keys (Key Manager API delete and import) -------------------------------------
  // A disabled key signs nothing: check_and_record() refuses every message for it with
  // Refusal::key_disabled, on every replica sharing the database, until enable(). The flag lives
  // in the key's row, so it survives restarts; records, watermarks, imports and exports are
  // unaffected by it (import_interchange() does not enable a key).

  // Key Manager delete: in ONE transaction, serialised with check_and_record() like a signing
  // batch (SQLite: the store's lock; PostgreSQL: the keys' rows locked FOR UPDATE in pubkey
  // order), marks every key of `disable` disabled (creating the row of an unknown key, so that
  // its first request is refused too) and reads the export (as export_interchange()) of `disable`
  // followed by `also_export` (exported only; duplicates once). So every request for a disabled
  // key was either recorded before, and is in the export, or is decided after, and is refused.
  // nullopt instead of a document when the database has no genesis_validators_root yet (nothing
  // was ever signed or imported: no history exists; the keys are disabled all the same).
  // Errors: unavailable when the database cannot be read or written; then nothing changed (with
  // PostgreSQL, a connection lost during COMMIT may leave the change committed: the keys are then
  // disabled, which only ever refuses more).
  virtual Result<std::optional<std::string>> disable_and_export(const std::vector<BlsPublicKey>& disable,
                                                                const std::vector<BlsPublicKey>& also_export) = 0;

  // Key Manager import: clears the disabled flag of `keys` (unknown keys: nothing to do), in one
  // transaction serialised with signing like disable_and_export(); requests decided after it
  // returns see the keys enabled, with their whole history still enforced. Idempotent.
  // Errors: unavailable (nothing changed).
  virtual Status enable(const std::vector<BlsPublicKey>& keys) = 0;

  // ---- watermarks and pruning (operator commands; the rules are in rules.hpp) ----------------
  // Each runs in its own transaction(s), serialised with signing by the same locks, so every
  // replica sharing the database applies a change to the very next request it decides.
  // Errors: unavailable when the database cannot be read or written (nothing changed).

  // The global high watermark, or nullopt when none is set.
  virtual Result<std::optional<HighWatermark>> high_watermark() = 0;

  // Sets the high watermark, or clears it (nullopt). Once this returns, no request is signed
  // at or above it: requests being decided meanwhile finish first (PostgreSQL: the change waits
  // for them). invalid_argument when a value exceeds kMaxSlotOrEpoch. Setting it below a key's
  // records or low watermarks is allowed: it only ever refuses more.
  virtual Status set_high_watermark(std::optional<HighWatermark> mark) = 0;

  // The key's low watermarks (all nullopt when the key is unknown).
  virtual Result<LowWatermarks> low_watermarks(const BlsPublicKey& pubkey) = 0;

  // Raises the given low watermarks of one key (nullopt: leave that one), creating the key if it
  // is unknown, e.g. for a key that signed elsewhere up to some point. Never lowers anything:
  // a value below the current one is an invalid_argument Error naming the current value, and
  // then nothing changes (rules.hpp, raised_low_watermarks).
  virtual Status raise_low_watermark(const BlsPublicKey& pubkey, std::optional<std::uint64_t> slot,
                                     std::optional<std::uint64_t> source_epoch,
                                     std::optional<std::uint64_t> target_epoch) = 0;

  // Deletes old history: per key, attestations with target < (newest target - keep_epochs) and
  // blocks with slot < (newest slot - keep_epochs * 32); each key's newest record always stays.
  // In the same transaction as a key's deletions, its low watermarks are first raised to its
  // oldest kept records (rules.hpp, low_watermarks_after_prune), so a request refused before
  // pruning is refused after it. SQLite prunes every key in one transaction; PostgreSQL one
  // key per transaction, so signers sharing the database wait for one key at a time.
  virtual Result<PruneReport> prune(std::uint64_t keep_epochs) = 0;
};

}  // namespace cc::slashing
