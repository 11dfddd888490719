#include "slashing/postgres_watermarks.hpp"

#include <string>
#include <vector>

#include "slashing/postgres_schema.hpp"

namespace cc::slashing {

namespace {

constexpr const char* kReadHighWatermark = "SELECT epoch, slot FROM cc_high_watermark";
constexpr const char* kPutHighWatermark =
    "INSERT INTO cc_high_watermark (id, epoch, slot) VALUES (true, $1, $2) "
    "ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, slot = excluded.slot";
constexpr const char* kReadKey =
    "SELECT id, low_slot, low_source_epoch, low_target_epoch FROM cc_validators WHERE pubkey = $1";
// NOT EXISTS first, so a known key does not consume an identity value.
constexpr const char* kAddKey =
    "INSERT INTO cc_validators (pubkey) SELECT $1::bytea "
    "WHERE NOT EXISTS (SELECT 1 FROM cc_validators WHERE pubkey = $1::bytea) ON CONFLICT (pubkey) DO NOTHING";
constexpr const char* kLockKey =
    "SELECT id, low_slot, low_source_epoch, low_target_epoch FROM cc_validators WHERE pubkey = $1 FOR UPDATE";
constexpr const char* kSetLowWatermarks =
    "UPDATE cc_validators SET low_slot = $2, low_source_epoch = $3, low_target_epoch = $4 WHERE id = $1";

// Each key's newest and oldest records (index walks: max/min over a primary key or index prefix),
// to find the keys with anything to prune without locking any.
constexpr const char* kHistorySpans =
    "SELECT v.pubkey, "
    "(SELECT max(slot) FROM cc_blocks WHERE validator_id = v.id), "
    "(SELECT min(slot) FROM cc_blocks WHERE validator_id = v.id), "
    "(SELECT max(target_epoch) FROM cc_attestations WHERE validator_id = v.id), "
    "(SELECT min(target_epoch) FROM cc_attestations WHERE validator_id = v.id) "
    "FROM cc_validators v ORDER BY v.pubkey";
// After the row lock, $1 the pubkey: its newest block and attestation target.
constexpr const char* kNewest =
    "SELECT (SELECT max(b.slot) FROM cc_blocks b WHERE b.validator_id = v.id), "
    "(SELECT max(a.target_epoch) FROM cc_attestations a WHERE a.validator_id = v.id) "
    "FROM cc_validators v WHERE v.pubkey = $1";
// $1 id, $2 block cutoff: how many blocks go, and the oldest that stays.
constexpr const char* kBlocksAroundCutoff =
    "SELECT count(*) FILTER (WHERE slot < $2), min(slot) FILTER (WHERE slot >= $2) "
    "FROM cc_blocks WHERE validator_id = $1";
// $1 id, $2 target cutoff: how many attestations go and their newest source; the oldest source
// and target that stay.
constexpr const char* kVotesAroundCutoff =
    "SELECT count(*) FILTER (WHERE target_epoch < $2), max(source_epoch) FILTER (WHERE target_epoch < $2), "
    "min(source_epoch) FILTER (WHERE target_epoch >= $2), min(target_epoch) FILTER (WHERE target_epoch >= $2) "
    "FROM cc_attestations WHERE validator_id = $1";
constexpr const char* kDeleteBlocks = "DELETE FROM cc_blocks WHERE validator_id = $1 AND slot < $2";
constexpr const char* kDeleteVotes = "DELETE FROM cc_attestations WHERE validator_id = $1 AND target_epoch < $2";

std::optional<std::string> param(const std::optional<std::uint64_t>& v) {
  return v ? std::optional<std::string>(std::to_string(*v)) : std::nullopt;
}

LowWatermarks low_watermarks_at(const PgResult& r, int row) {
  return {r.optional_u64(row, 1), r.optional_u64(row, 2), r.optional_u64(row, 3)};
}

PgQuery set_low_watermarks(std::uint64_t id, const LowWatermarks& w) {
  return {kSetLowWatermarks, {std::to_string(id), param(w.slot), param(w.source_epoch), param(w.target_epoch)}};
}

// Ends the open transaction without writing; a connection that cannot even do that is closed
// (the server then rolls back).
void roll_back(PgConnection& db, PgDeadline deadline) {
  if (!db.run(PgQuery{"ROLLBACK", {}}, deadline)) db.disconnect();
}

Error unexpected(PgConnection& db, const std::exception& e) {
  db.disconnect();
  return Error::unavailable(db.name() + ": unexpected data in the anti-slashing database: " + e.what());
}

// Prunes one key in one transaction: lock, newest records, facts around the cutoffs, then
// watermarks raised and records deleted, COMMIT.
Status prune_key(PgConnection& db, const BlsPublicKey& pubkey, std::uint64_t keep_epochs, PgDeadline deadline,
                 PruneReport& report) {
  auto locked = db.run({{"BEGIN ISOLATION LEVEL READ COMMITTED", {}},
                        pg_local_timeout(deadline),  // a long history may take longer than db_timeout
                        {kLockKey, {pg_bytea(pubkey)}},
                        {kNewest, {pg_bytea(pubkey)}}},
                       deadline);
  if (!locked) return locked.error();
  try {
    const auto& key = (*locked)[2];
    const auto& newest = (*locked)[3];
    if (key.rows() == 0 || newest.rows() == 0) {  // keys are never deleted: cannot happen
      roll_back(db, deadline);
      return {};
    }
    const auto id = key.u64(0, 0);
    const LowWatermarks current = low_watermarks_at(key, 0);
    const auto block_cut = block_prune_cutoff(newest.optional_u64(0, 0), keep_epochs);
    const auto vote_cut = attestation_prune_cutoff(newest.optional_u64(0, 1), keep_epochs);

    std::vector<PgQuery> around;
    if (block_cut) around.push_back({kBlocksAroundCutoff, {std::to_string(id), std::to_string(*block_cut)}});
    if (vote_cut) around.push_back({kVotesAroundCutoff, {std::to_string(id), std::to_string(*vote_cut)}});
    PruneFacts facts;
    std::uint64_t blocks = 0, votes = 0;
    if (!around.empty()) {
      auto r = db.run(around, deadline);
      if (!r) return r.error();
      std::size_t i = 0;
      if (block_cut) {
        const auto& b = (*r)[i++];
        blocks = b.u64(0, 0);
        facts.blocks_deleted = blocks > 0;
        facts.oldest_kept_slot = b.optional_u64(0, 1);
      }
      if (vote_cut) {
        const auto& a = (*r)[i];
        votes = a.u64(0, 0);
        facts.votes_deleted = votes > 0;
        facts.newest_deleted_source = a.optional_u64(0, 1);
        facts.oldest_kept_source = a.optional_u64(0, 2);
        facts.oldest_kept_target = a.optional_u64(0, 3);
      }
    }
    if (blocks == 0 && votes == 0) {
      roll_back(db, deadline);
      return {};
    }
    // The watermarks first, then the deletions, all in this transaction.
    std::vector<PgQuery> write;
    if (const auto raised = low_watermarks_after_prune(current, facts); raised != current) {
      write.push_back(set_low_watermarks(id, raised));
    }
    if (blocks > 0) write.push_back({kDeleteBlocks, {std::to_string(id), std::to_string(*block_cut)}});
    if (votes > 0) write.push_back({kDeleteVotes, {std::to_string(id), std::to_string(*vote_cut)}});
    write.push_back({"COMMIT", {}});
    auto written = db.run(write, deadline);
    if (!written) return written.error();
    ++report.keys_pruned;
    report.blocks_deleted += blocks;
    report.attestations_deleted += votes;
    return {};
  } catch (const std::exception& e) {
    return unexpected(db, e);
  }
}

}  // namespace

Result<std::optional<HighWatermark>> read_postgres_high_watermark(PgConnection& db, PgDeadline deadline) {
  auto r = db.run(PgQuery{kReadHighWatermark, {}}, deadline);
  if (!r) return r.error();
  try {
    if (r->rows() == 0) return std::optional<HighWatermark>{};
    return std::optional<HighWatermark>(HighWatermark{r->u64(0, 0), r->u64(0, 1)});
  } catch (const std::exception& e) {
    return unexpected(db, e);
  }
}

Status write_postgres_high_watermark(PgConnection& db, const std::optional<HighWatermark>& mark, PgDeadline deadline) {
  std::vector<PgQuery> q = {
      {"BEGIN ISOLATION LEVEL READ COMMITTED", {}},
      {std::string("SELECT pg_advisory_xact_lock(") + kHighWatermarkLock + ")", {}},
  };
  if (mark) {
    q.push_back({kPutHighWatermark, {std::to_string(mark->epoch), std::to_string(mark->slot)}});
  } else {
    q.push_back({"DELETE FROM cc_high_watermark", {}});
  }
  q.push_back({"COMMIT", {}});
  auto r = db.run(q, deadline);
  if (!r) return r.error();
  return {};
}

Result<LowWatermarks> read_postgres_low_watermarks(PgConnection& db, const BlsPublicKey& pubkey, PgDeadline deadline) {
  auto r = db.run(PgQuery{kReadKey, {pg_bytea(pubkey)}}, deadline);
  if (!r) return r.error();
  try {
    if (r->rows() == 0) return LowWatermarks{};
    return low_watermarks_at(*r, 0);
  } catch (const std::exception& e) {
    return unexpected(db, e);
  }
}

Status raise_postgres_low_watermarks(PgConnection& db, const BlsPublicKey& pubkey, const LowWatermarks& requested,
                                     PgDeadline deadline) {
  auto locked = db.run(
      {{"BEGIN ISOLATION LEVEL READ COMMITTED", {}}, {kAddKey, {pg_bytea(pubkey)}}, {kLockKey, {pg_bytea(pubkey)}}},
      deadline);
  if (!locked) return locked.error();
  try {
    const auto& key = (*locked)[2];
    if (key.rows() != 1) {
      db.disconnect();
      return Error::unavailable(db.name() + ": the validator row was not locked");
    }
    auto raised = raised_low_watermarks(low_watermarks_at(key, 0), requested);
    if (!raised) {
      roll_back(db, deadline);  // the key row, if just created, goes too
      return raised.error();
    }
    auto written = db.run({set_low_watermarks(key.u64(0, 0), *raised), {"COMMIT", {}}}, deadline);
    if (!written) return written.error();
    return {};
  } catch (const std::exception& e) {
    return unexpected(db, e);
  }
}

Status prune_postgres_history(PgConnection& db, std::uint64_t keep_epochs, PgClock::duration key_deadline,
                              PruneReport& report) {
  // Without locks: which keys have anything to prune. Each is checked again under its lock.
  const PgDeadline scan_deadline = PgClock::now() + key_deadline;
  auto spans = db.run({{"BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY", {}},
                       pg_local_timeout(scan_deadline),
                       {kHistorySpans, {}},
                       {"COMMIT", {}}},
                      scan_deadline);
  if (!spans) return spans.error();
  std::vector<BlsPublicKey> candidates;
  try {
    const auto& s = (*spans)[2];
    for (int row = 0; row < s.rows(); ++row) {
      const auto block_cut = block_prune_cutoff(s.optional_u64(row, 1), keep_epochs);
      const auto vote_cut = attestation_prune_cutoff(s.optional_u64(row, 3), keep_epochs);
      const auto oldest_slot = s.optional_u64(row, 2);
      const auto oldest_target = s.optional_u64(row, 4);
      if ((block_cut && oldest_slot && *oldest_slot < *block_cut) ||
          (vote_cut && oldest_target && *oldest_target < *vote_cut)) {
        candidates.push_back(s.bytes<48>(row, 0));
      }
    }
  } catch (const std::exception& e) {
    return unexpected(db, e);
  }
  for (const auto& pubkey : candidates) {
    if (auto st = prune_key(db, pubkey, keep_epochs, PgClock::now() + key_deadline, report); !st) return st;
  }
  return {};
}

}  // namespace cc::slashing
