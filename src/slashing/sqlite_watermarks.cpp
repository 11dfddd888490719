#include "slashing/sqlite_watermarks.hpp"

#include <vector>

#include "slashing/sqlite_schema.hpp"

namespace cc::slashing {

namespace {

constexpr const char* kSetLowWatermarks =
    "UPDATE validators SET low_slot = ?2, low_source_epoch = ?3, low_target_epoch = ?4 WHERE id = ?1";

void write_low_watermarks(Statement& update, std::int64_t id, const LowWatermarks& w) {
  update.run().bind_int64(1, id).bind(2, w.slot).bind(3, w.source_epoch).bind(4, w.target_epoch).done();
}

LowWatermarks low_watermarks_at(const Statement::Run& row, int first_column) {
  return {row.optional_u64(first_column), row.optional_u64(first_column + 1), row.optional_u64(first_column + 2)};
}

}  // namespace

std::optional<HighWatermark> read_high_watermark(Statement& select_high_watermark) {
  auto row = select_high_watermark.run();
  if (!row.next()) return std::nullopt;
  return HighWatermark{row.u64(0), row.u64(1)};
}

void write_high_watermark(SqliteConnection& db, const std::optional<HighWatermark>& mark) {
  if (!mark) {
    db.exec("DELETE FROM high_watermark");
    return;
  }
  Statement put(db,
                "INSERT INTO high_watermark (id, epoch, slot) VALUES (1, ?1, ?2) "
                "ON CONFLICT (id) DO UPDATE SET epoch = excluded.epoch, slot = excluded.slot");
  put.run().bind(1, mark->epoch).bind(2, mark->slot).done();
}

LowWatermarks read_low_watermarks(SqliteConnection& db, const BlsPublicKey& pubkey) {
  Statement find(db, sql::kFindKey);
  auto row = find.run();
  row.bind(1, pubkey);
  if (!row.next()) return {};
  return low_watermarks_at(row, 1);
}

Status raise_low_watermarks(SqliteConnection& db, const BlsPublicKey& pubkey, const LowWatermarks& requested) {
  std::optional<std::int64_t> id;
  LowWatermarks current;
  {
    Statement find(db, sql::kFindKey);
    auto row = find.run();
    row.bind(1, pubkey);
    if (row.next()) {
      id = row.int64(0);
      current = low_watermarks_at(row, 1);
    }
  }
  auto raised = raised_low_watermarks(current, requested);
  if (!raised) return raised.error();
  if (!id) {
    Statement add(db, "INSERT INTO validators (pubkey) VALUES (?1)");
    add.run().bind(1, pubkey).done();
    id = sqlite3_last_insert_rowid(db.get());
  }
  Statement update(db, kSetLowWatermarks);
  write_low_watermarks(update, *id, *raised);
  return {};
}

PruneReport prune_history(SqliteConnection& db, std::uint64_t keep_epochs) {
  struct Key {
    std::int64_t id;
    LowWatermarks low;
  };
  std::vector<Key> keys;
  {
    Statement all(db, "SELECT id, low_slot, low_source_epoch, low_target_epoch FROM validators ORDER BY id");
    auto row = all.run();
    while (row.next()) keys.push_back({row.int64(0), low_watermarks_at(row, 1)});
  }
  // Every lookup is a range on a primary key or index prefix (validator_id, slot|target).
  Statement newest_slot(db, "SELECT max(slot) FROM blocks WHERE validator_id = ?1");
  Statement newest_target(db,
                          "SELECT max(target_epoch) FROM attestations INDEXED BY attestations_by_target "
                          "WHERE validator_id = ?1");
  Statement blocks_below(db, "SELECT count(*) FROM blocks WHERE validator_id = ?1 AND slot < ?2");
  Statement oldest_block_kept(db, "SELECT min(slot) FROM blocks WHERE validator_id = ?1 AND slot >= ?2");
  Statement votes_below(db,
                        "SELECT count(*), max(source_epoch) FROM attestations INDEXED BY attestations_by_target "
                        "WHERE validator_id = ?1 AND target_epoch < ?2");
  Statement oldest_votes_kept(db,
                              "SELECT min(source_epoch), min(target_epoch) FROM attestations "
                              "INDEXED BY attestations_by_target WHERE validator_id = ?1 AND target_epoch >= ?2");
  Statement delete_blocks(db, "DELETE FROM blocks WHERE validator_id = ?1 AND slot < ?2");
  Statement delete_votes(db, "DELETE FROM attestations WHERE validator_id = ?1 AND target_epoch < ?2");
  Statement update(db, kSetLowWatermarks);

  auto scalar = [](Statement& st, std::int64_t id) {
    auto row = st.run();
    row.bind_int64(1, id);
    return row.next() ? row.optional_u64(0) : std::nullopt;
  };
  PruneReport report;
  for (const auto& k : keys) {
    const auto block_cut = block_prune_cutoff(scalar(newest_slot, k.id), keep_epochs);
    const auto vote_cut = attestation_prune_cutoff(scalar(newest_target, k.id), keep_epochs);
    PruneFacts facts;
    std::uint64_t blocks = 0, votes = 0;
    if (block_cut) {
      auto below = blocks_below.run();
      below.bind_int64(1, k.id).bind(2, *block_cut);
      blocks = below.next() ? below.u64(0) : 0;
      facts.blocks_deleted = blocks > 0;
      auto kept = oldest_block_kept.run();
      kept.bind_int64(1, k.id).bind(2, *block_cut);
      if (kept.next()) facts.oldest_kept_slot = kept.optional_u64(0);
    }
    if (vote_cut) {
      auto below = votes_below.run();
      below.bind_int64(1, k.id).bind(2, *vote_cut);
      if (below.next()) {
        votes = below.u64(0);
        facts.newest_deleted_source = below.optional_u64(1);
      }
      facts.votes_deleted = votes > 0;
      auto kept = oldest_votes_kept.run();
      kept.bind_int64(1, k.id).bind(2, *vote_cut);
      if (kept.next()) {
        facts.oldest_kept_source = kept.optional_u64(0);
        facts.oldest_kept_target = kept.optional_u64(1);
      }
    }
    if (blocks == 0 && votes == 0) continue;
    // The watermarks first, then the deletions: one transaction, so both or neither.
    const LowWatermarks raised = low_watermarks_after_prune(k.low, facts);
    if (raised != k.low) write_low_watermarks(update, k.id, raised);
    if (blocks > 0) delete_blocks.run().bind_int64(1, k.id).bind(2, *block_cut).done();
    if (votes > 0) delete_votes.run().bind_int64(1, k.id).bind(2, *vote_cut).done();
    ++report.keys_pruned;
    report.blocks_deleted += blocks;
    report.attestations_deleted += votes;
  }
  return report;
}

}  // namespace cc::slashing
