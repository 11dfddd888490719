#include "slashing/postgres_interchange.hpp"

#include "slashing/postgres_schema.hpp"

#include <algorithm>
#include <map>
#include <tuple>

#include "slashing/rules.hpp"

namespace cc::slashing {

namespace {

// The records already held where the file has one ($1 pubkeys, $2 slots / $2 sources, $3 targets).
constexpr const char* kBlocksHeld =
    "SELECT m.pubkey, b.slot, b.signing_root FROM unnest($1::bytea[], $2::bigint[]) AS m (pubkey, slot) "
    "JOIN cc_validators v ON v.pubkey = m.pubkey JOIN cc_blocks b ON b.validator_id = v.id AND b.slot = m.slot";
constexpr const char* kVotesHeld =
    "SELECT m.pubkey, a.source_epoch, a.target_epoch, a.signing_root "
    "FROM unnest($1::bytea[], $2::bigint[], $3::bigint[]) AS m (pubkey, source, target) "
    "JOIN cc_validators v ON v.pubkey = m.pubkey JOIN cc_attestations a "
    "ON a.validator_id = v.id AND a.target_epoch = m.target AND a.source_epoch = m.source";
// Each key's oldest records (index walks: min over a primary key or index prefix).
constexpr const char* kMinimumsHeld =
    "SELECT v.pubkey, (SELECT min(slot) FROM cc_blocks WHERE validator_id = v.id), "
    "(SELECT min(source_epoch) FROM cc_attestations WHERE validator_id = v.id), "
    "(SELECT min(target_epoch) FROM cc_attestations WHERE validator_id = v.id) "
    "FROM cc_validators v WHERE v.pubkey = ANY ($1::bytea[])";
constexpr const char* kUpsertBlocks =
    "INSERT INTO cc_blocks (validator_id, slot, signing_root) "
    "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[]) "
    "ON CONFLICT (validator_id, slot) DO UPDATE SET signing_root = excluded.signing_root";
constexpr const char* kUpsertVotes =
    "INSERT INTO cc_attestations (validator_id, source_epoch, target_epoch, signing_root) "
    "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bytea[]) "
    "ON CONFLICT (validator_id, target_epoch, source_epoch) DO UPDATE SET signing_root = excluded.signing_root";
constexpr const char* kSetWatermarks =
    "UPDATE cc_validators v SET low_slot = m.slot, low_source_epoch = m.source, low_target_epoch = m.target "
    "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS m (id, slot, source, target) "
    "WHERE v.id = m.id";

// Keys with no watermark have no record either (e.g. only refused requests): nothing to export.
constexpr const char* kExportKeys =
    "SELECT v.pubkey, v.low_slot, v.low_source_epoch, v.low_target_epoch, "
    "(SELECT max(a.source_epoch) FROM cc_attestations a "
    " WHERE a.validator_id = v.id AND a.target_epoch < v.low_target_epoch) "
    "FROM cc_validators v WHERE ($1::bytea[] IS NULL OR v.pubkey = ANY ($1::bytea[])) "
    "AND (v.low_slot IS NOT NULL OR v.low_source_epoch IS NOT NULL OR v.low_target_epoch IS NOT NULL) "
    "ORDER BY v.pubkey";
constexpr const char* kExportBlocks =
    "SELECT v.pubkey, b.slot, b.signing_root FROM cc_validators v JOIN cc_blocks b ON b.validator_id = v.id "
    "WHERE ($1::bytea[] IS NULL OR v.pubkey = ANY ($1::bytea[])) AND b.slot >= coalesce(v.low_slot, 0) "
    "ORDER BY v.pubkey, b.slot";
constexpr const char* kExportVotes =
    "SELECT v.pubkey, a.source_epoch, a.target_epoch, a.signing_root "
    "FROM cc_validators v JOIN cc_attestations a ON a.validator_id = v.id "
    "WHERE ($1::bytea[] IS NULL OR v.pubkey = ANY ($1::bytea[])) AND a.target_epoch >= coalesce(v.low_target_epoch, 0) "
    "ORDER BY v.pubkey, a.target_epoch, a.source_epoch";

// $1 pubkeys, locked already (kLockKeys).
constexpr const char* kDisableKeys = "UPDATE cc_validators SET disabled = true WHERE pubkey = ANY ($1::bytea[])";
constexpr const char* kEnableKeys =
    "UPDATE cc_validators SET disabled = false WHERE pubkey = ANY ($1::bytea[]) AND disabled";

Error other_network(const Root& file_gvr, const Root& recorded) {
  return Error::invalid("interchange genesis_validators_root " + to_hex(file_gvr) + " does not match " +
                        to_hex(recorded) + " recorded in the anti-slashing database (another network?)");
}

std::optional<std::uint64_t> min_of(std::optional<std::uint64_t> a, std::optional<std::uint64_t> b) {
  if (!a) return b;
  if (!b) return a;
  return std::min(*a, *b);
}

struct HeldKey {
  std::uint64_t id = 0;
  std::optional<std::uint64_t> low_slot, low_source, low_target;
  ImportMinimums held_min;  // oldest records before the import
};

using VoteKey = std::tuple<BlsPublicKey, std::uint64_t, std::uint64_t>;  // pubkey, source, target

// What the import writes, once merged with what is held.
struct ImportWrites {
  PgArray block_id, block_slot, block_root;
  PgArray vote_id, vote_source, vote_target, vote_root;
  PgArray mark_id, mark_slot, mark_source, mark_target;
};

// The file's messages of one key merged with the records held at the same slot or vote
// (rules.hpp merged_root; a slot repeated in the file merges the same way), and the key's
// watermarks after the import.
void merge_record(const InterchangeRecord& r, const HeldKey& k,
                  const std::map<std::pair<BlsPublicKey, std::uint64_t>, RecordedRoot>& blocks_held,
                  const std::map<VoteKey, RecordedRoot>& votes_held, ImportWrites& w) {
  std::map<std::uint64_t, RecordedRoot> blocks;
  for (const auto& b : r.signed_blocks) {
    if (auto it = blocks.find(b.slot); it != blocks.end()) {
      it->second = merged_root(it->second, b.signing_root);
    } else if (auto held = blocks_held.find({r.pubkey, b.slot}); held != blocks_held.end()) {
      blocks[b.slot] = merged_root(held->second, b.signing_root);
    } else {
      blocks[b.slot] = b.signing_root;
    }
  }
  for (const auto& [slot, root] : blocks) {
    if (auto held = blocks_held.find({r.pubkey, slot}); held != blocks_held.end() && held->second == root) continue;
    w.block_id.add(k.id);
    w.block_slot.add(slot);
    w.block_root.add(root);
  }
  std::map<std::pair<std::uint64_t, std::uint64_t>, RecordedRoot> votes;
  for (const auto& a : r.signed_attestations) {
    const std::pair<std::uint64_t, std::uint64_t> at{a.source_epoch, a.target_epoch};
    if (auto it = votes.find(at); it != votes.end()) {
      it->second = merged_root(it->second, a.signing_root);
    } else if (auto held = votes_held.find({r.pubkey, at.first, at.second}); held != votes_held.end()) {
      votes[at] = merged_root(held->second, a.signing_root);
    } else {
      votes[at] = a.signing_root;
    }
  }
  for (const auto& [at, root] : votes) {
    const auto held = votes_held.find({r.pubkey, at.first, at.second});
    if (held != votes_held.end() && held->second == root) continue;
    w.vote_id.add(k.id);
    w.vote_source.add(at.first);
    w.vote_target.add(at.second);
    w.vote_root.add(root);
  }
  const ImportMinimums file_min = minimums_of(r);
  const auto low_slot = low_watermark_after_import(k.low_slot, min_of(k.held_min.slot, file_min.slot));
  const auto low_source =
      low_watermark_after_import(k.low_source, min_of(k.held_min.source_epoch, file_min.source_epoch));
  const auto low_target =
      low_watermark_after_import(k.low_target, min_of(k.held_min.target_epoch, file_min.target_epoch));
  if (low_slot != k.low_slot || low_source != k.low_source || low_target != k.low_target) {
    w.mark_id.add(k.id);
    w.mark_slot.add(low_slot);
    w.mark_source.add(low_source);
    w.mark_target.add(low_target);
  }
}

}  // namespace

Status import_postgres_interchange(PgConnection& db, const std::vector<InterchangeRecord>& records,
                                   const Root& file_gvr, std::optional<Root>& gvr, PgDeadline deadline) {
  if (gvr && *gvr != file_gvr) return other_network(file_gvr, *gvr);
  std::vector<BlsPublicKey> pubkeys;
  PgArray block_key, block_slot, vote_key, vote_source, vote_target;
  for (const auto& r : records) {
    pubkeys.push_back(r.pubkey);
    for (const auto& b : r.signed_blocks) {
      block_key.add(r.pubkey);
      block_slot.add(b.slot);
    }
    for (const auto& a : r.signed_attestations) {
      vote_key.add(r.pubkey);
      vote_source.add(a.source_epoch);
      vote_target.add(a.target_epoch);
    }
  }
  std::sort(pubkeys.begin(), pubkeys.end());  // lock order, as in signing batches
  PgArray keys;
  for (const auto& k : pubkeys) keys.add(k);

  auto read = db.run(
      {
          {"BEGIN ISOLATION LEVEL READ COMMITTED", {}},
          pg_local_timeout(deadline),  // a large file may take longer than db_timeout
          {kBindGvr, {pg_bytea(file_gvr)}},
          {kReadGvr, {}},
          {kAddKeys, {keys.str()}},
          {kLockKeys, {keys.str()}},
          {kBlocksHeld, {block_key.str(), block_slot.str()}},
          {kVotesHeld, {vote_key.str(), vote_source.str(), vote_target.str()}},
          {kMinimumsHeld, {keys.str()}},
      },
      deadline);
  if (!read) return read.error();
  ImportWrites w;
  try {
    const auto& r = *read;
    const Root recorded = r[3].bytes<32>(0, 0);
    if (recorded != file_gvr) {
      db.disconnect();  // rolls back
      return other_network(file_gvr, recorded);
    }
    std::map<BlsPublicKey, HeldKey> held;
    for (int row = 0; row < r[5].rows(); ++row) {
      held[r[5].bytes<48>(row, 1)] = {
          r[5].u64(row, 0), r[5].optional_u64(row, 2), r[5].optional_u64(row, 3), r[5].optional_u64(row, 4), {}};
    }
    std::map<std::pair<BlsPublicKey, std::uint64_t>, RecordedRoot> blocks_held;
    for (int row = 0; row < r[6].rows(); ++row)
      blocks_held[{r[6].bytes<48>(row, 0), r[6].u64(row, 1)}] = r[6].root(row, 2);
    std::map<VoteKey, RecordedRoot> votes_held;
    for (int row = 0; row < r[7].rows(); ++row) {
      votes_held[{r[7].bytes<48>(row, 0), r[7].u64(row, 1), r[7].u64(row, 2)}] = r[7].root(row, 3);
    }
    for (int row = 0; row < r[8].rows(); ++row) {
      auto& k = held.at(r[8].bytes<48>(row, 0));
      k.held_min = {r[8].optional_u64(row, 1), r[8].optional_u64(row, 2), r[8].optional_u64(row, 3)};
    }
    for (const auto& rec : records) merge_record(rec, held.at(rec.pubkey), blocks_held, votes_held, w);
  } catch (const std::exception& e) {
    db.disconnect();
    return Error::unavailable(db.name() + ": import not recorded (nothing changed): unexpected data: " + e.what());
  }

  std::vector<PgQuery> write;
  if (!w.block_id.empty()) write.push_back({kUpsertBlocks, {w.block_id.str(), w.block_slot.str(), w.block_root.str()}});
  if (!w.vote_id.empty()) {
    write.push_back({kUpsertVotes, {w.vote_id.str(), w.vote_source.str(), w.vote_target.str(), w.vote_root.str()}});
  }
  if (!w.mark_id.empty()) {
    write.push_back({kSetWatermarks, {w.mark_id.str(), w.mark_slot.str(), w.mark_source.str(), w.mark_target.str()}});
  }
  write.push_back({"COMMIT", {}});
  auto written = db.run(write, deadline);
  if (!written) return written.error();
  gvr = file_gvr;
  return {};
}

namespace {

// The statements of an export, in this order (export_from reads them): the network, the keys
// with their watermarks, their blocks, their votes. `filter`: an array of pubkeys, or NULL for all.
std::vector<PgQuery> export_reads(const std::optional<std::string>& filter) {
  return {{kReadGvr, {}}, {kExportKeys, {filter}}, {kExportBlocks, {filter}}, {kExportVotes, {filter}}};
}

// The document from the results of export_reads() at r[first…first+3], keys in the order of
// `only` (empty: by pubkey); nullopt when no genesis_validators_root is recorded. Throws
// std::runtime_error on unexpected data.
std::optional<Interchange> export_from(const std::vector<PgResult>& r, std::size_t first,
                                       const std::vector<BlsPublicKey>& only) {
  const auto& gvr = r[first];
  const auto& keys = r[first + 1];
  const auto& blocks = r[first + 2];
  const auto& votes = r[first + 3];
  if (gvr.rows() == 0) return std::nullopt;
  Interchange out;
  out.genesis_validators_root = gvr.bytes<32>(0, 0);
  std::map<BlsPublicKey, InterchangeRecord> found;
  std::map<BlsPublicKey, std::pair<LowWatermarks, std::optional<std::uint64_t>>> low;  // and newest source below
  std::vector<BlsPublicKey> order;
  for (int row = 0; row < keys.rows(); ++row) {
    const auto pubkey = keys.bytes<48>(row, 0);
    found[pubkey].pubkey = pubkey;
    low[pubkey] = {{keys.optional_u64(row, 1), keys.optional_u64(row, 2), keys.optional_u64(row, 3)},
                   keys.optional_u64(row, 4)};
    order.push_back(pubkey);
  }
  for (int row = 0; row < blocks.rows(); ++row) {
    auto it = found.find(blocks.bytes<48>(row, 0));
    if (it != found.end()) it->second.signed_blocks.push_back({blocks.u64(row, 1), blocks.root(row, 2)});
  }
  for (int row = 0; row < votes.rows(); ++row) {
    auto it = found.find(votes.bytes<48>(row, 0));
    if (it != found.end()) {
      it->second.signed_attestations.push_back({votes.u64(row, 1), votes.u64(row, 2), votes.root(row, 3)});
    }
  }
  for (auto& [pubkey, record] : found) {
    const auto& [marks, newest_source_below] = low.at(pubkey);
    add_watermark_entries(record, marks, newest_source_below);
  }
  if (!only.empty()) order = only;  // the caller's order
  for (const auto& pubkey : order) {
    if (auto it = found.find(pubkey); it != found.end()) out.data.push_back(it->second);
  }
  return out;
}

PgArray array_of(const std::vector<BlsPublicKey>& keys) {
  PgArray out;
  for (const auto& k : keys) out.add(k);
  return out;
}

}  // namespace

Result<Interchange> export_postgres_interchange(PgConnection& db, const std::vector<BlsPublicKey>& only,
                                                PgDeadline deadline) {
  std::optional<std::string> filter;
  if (!only.empty()) filter = array_of(only).str();
  std::vector<PgQuery> q = {
      {"BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", {}},  // one snapshot for all of it
      pg_local_timeout(deadline),
  };
  for (auto& read : export_reads(filter)) q.push_back(std::move(read));
  q.push_back({"COMMIT", {}});
  auto read = db.run(q, deadline);
  if (!read) return read.error();
  std::optional<Interchange> out;
  try {
    out = export_from(*read, 2, only);
  } catch (const std::exception& e) {
    return Error::unavailable(db.name() + ": export failed: unexpected data: " + e.what());
  }
  if (!out) {
    return Error::not_found(
        "nothing to export: the anti-slashing database has no genesis_validators_root yet "
        "(nothing signed or imported)");
  }
  return std::move(*out);
}

Result<std::optional<Interchange>> disable_and_export_postgres(PgConnection& db,
                                                               const std::vector<BlsPublicKey>& disable,
                                                               const std::vector<BlsPublicKey>& also_export,
                                                               PgDeadline deadline) {
  std::vector<BlsPublicKey> exported;  // the caller's order, each key once
  for (const auto* list : {&disable, &also_export}) {
    for (const auto& pubkey : *list) {
      if (std::find(exported.begin(), exported.end(), pubkey) == exported.end()) exported.push_back(pubkey);
    }
  }
  auto sorted = [](std::vector<BlsPublicKey> keys) {  // lock order, as in signing batches
    std::sort(keys.begin(), keys.end());
    keys.erase(std::unique(keys.begin(), keys.end()), keys.end());
    return array_of(keys).str();
  };
  const std::string to_disable = sorted(disable);
  // Every exported key is locked, not only the disabled ones: each writer of a key's records holds
  // its row lock, so the export statements below (READ COMMITTED, one snapshot each) agree.
  const std::string to_lock = sorted(exported);
  std::vector<PgQuery> q = {
      {"BEGIN ISOLATION LEVEL READ COMMITTED", {}},
      pg_local_timeout(deadline),
      {kAddKeys, {to_disable}},
      {kLockKeys, {to_lock}},
      {kDisableKeys, {to_disable}},
  };
  // An explicit empty list, never NULL (which would export every key).
  for (auto& read : export_reads(array_of(exported).str())) q.push_back(std::move(read));
  auto read = db.run(q, deadline);
  if (!read) return read.error();
  std::optional<Interchange> out;
  try {
    out = export_from(*read, 5, exported);
  } catch (const std::exception& e) {
    db.disconnect();  // rolls back: no key is disabled without its history handed over
    return Error::unavailable(db.name() + ": export failed (nothing changed): unexpected data: " + e.what());
  }
  // Only now: a caller never gets "disabled" without the export, nor the export without the flag.
  auto committed = db.run(PgQuery{"COMMIT", {}}, deadline);
  if (!committed) return committed.error();
  return out;
}

Status enable_postgres_keys(PgConnection& db, const std::vector<BlsPublicKey>& keys, PgDeadline deadline) {
  std::vector<BlsPublicKey> sorted = keys;  // lock order, as in signing batches
  std::sort(sorted.begin(), sorted.end());
  sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
  const std::string locked = array_of(sorted).str();
  auto r = db.run(
      {
          {"BEGIN ISOLATION LEVEL READ COMMITTED", {}},
          {kLockKeys, {locked}},
          {kEnableKeys, {locked}},
          {"COMMIT", {}},
      },
      deadline);
  if (!r) return r.error();
  return {};
}

}  // namespace cc::slashing
