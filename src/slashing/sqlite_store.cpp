#include "slashing/sqlite_store.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <mutex>

#include "slashing/file_lock.hpp"
#include "slashing/group_commit.hpp"
#include "slashing/interchange.hpp"
#include "slashing/rules.hpp"
#include "slashing/sqlite_handle.hpp"
#include "slashing/sqlite_schema.hpp"
#include "slashing/sqlite_watermarks.hpp"

namespace cc::slashing {

namespace {

// A key's row: its id, explicit low watermarks and disabled flag.
struct KeyRow {
  std::int64_t id = 0;
  std::optional<std::uint64_t> low_slot;
  std::optional<std::uint64_t> low_source;
  std::optional<std::uint64_t> low_target;
  bool disabled = false;
};

// Every statement the store runs, compiled once at open and reused.
struct Statements {
  explicit Statements(SqliteConnection& db)
      : get_gvr(db, "SELECT value FROM meta WHERE key = 'genesis_validators_root'"),
        put_gvr(db, "INSERT INTO meta (key, value) VALUES ('genesis_validators_root', ?1)"),
        put_probe(db,
                  "INSERT INTO meta (key, value) VALUES ('health_probe', ?1) "
                  "ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
        get_high(db, sql::kHighWatermark),
        find_key(db, sql::kFindKey),
        add_key(db, "INSERT INTO validators (pubkey) VALUES (?1)"),
        set_watermarks(db,
                       "UPDATE validators SET low_slot = ?2, low_source_epoch = ?3, low_target_epoch = ?4 "
                       "WHERE id = ?1"),
        disable_key(db, "UPDATE validators SET disabled = 1 WHERE id = ?1"),
        enable_key(db, "UPDATE validators SET disabled = 0 WHERE pubkey = ?1"),
        all_keys(db,
                 "SELECT id, pubkey, low_slot, low_source_epoch, low_target_epoch FROM validators "
                 "WHERE low_slot IS NOT NULL OR low_source_epoch IS NOT NULL OR low_target_epoch IS NOT NULL "
                 "ORDER BY pubkey"),
        block_at_slot(db, sql::kBlockAtSlot),
        insert_block(db, "INSERT INTO blocks (validator_id, slot, signing_root) VALUES (?1, ?2, ?3)"),
        update_block(db, "UPDATE blocks SET signing_root = ?3 WHERE validator_id = ?1 AND slot = ?2"),
        blocks_from(db, "SELECT slot, signing_root FROM blocks WHERE validator_id = ?1 AND slot >= ?2 ORDER BY slot"),
        votes_at_target(db, sql::kVotesAtTarget),
        surrounding_vote(db, sql::kSurroundingVote),
        surrounded_vote(db, sql::kSurroundedVote),
        insert_vote(db,
                    "INSERT INTO attestations (validator_id, source_epoch, target_epoch, signing_root) "
                    "VALUES (?1, ?2, ?3, ?4)"),
        update_vote(db,
                    "UPDATE attestations SET signing_root = ?4 "
                    "WHERE validator_id = ?1 AND source_epoch = ?2 AND target_epoch = ?3"),
        vote_exact(db,
                   "SELECT signing_root FROM attestations INDEXED BY attestations_by_target "
                   "WHERE validator_id = ?1 AND target_epoch = ?3 AND source_epoch = ?2"),
        votes_from(db,
                   "SELECT source_epoch, target_epoch, signing_root FROM attestations "
                   "INDEXED BY attestations_by_target WHERE validator_id = ?1 AND target_epoch >= ?2 "
                   "ORDER BY target_epoch, source_epoch"),
        newest_source_below(db,
                            "SELECT max(source_epoch) FROM attestations INDEXED BY attestations_by_target "
                            "WHERE validator_id = ?1 AND target_epoch < ?2"),
        min_slot(db, "SELECT min(slot) FROM blocks WHERE validator_id = ?1"),
        min_source(db, "SELECT min(source_epoch) FROM attestations WHERE validator_id = ?1"),
        min_target(db, "SELECT min(target_epoch) FROM attestations WHERE validator_id = ?1") {}

  Statement get_gvr, put_gvr, put_probe, get_high;
  Statement find_key, add_key, set_watermarks, disable_key, enable_key, all_keys;
  Statement block_at_slot, insert_block, update_block, blocks_from;
  Statement votes_at_target, surrounding_vote, surrounded_vote, insert_vote, update_vote, vote_exact, votes_from,
      newest_source_below;
  Statement min_slot, min_source, min_target;
};

class SqliteStore final : public SlashingStore {
 public:
  SqliteStore(ExclusiveFileLock lock, std::string path, const SqliteOptions& options, struct stat file)
      : lock_(std::move(lock)), path_(std::move(path)), file_(file), db_(path_) {
    prepare_database(db_);
    st_ = std::make_unique<Statements>(db_);
    gvr_ = read_gvr();
    if (options.genesis_validators_root) adopt_configured_gvr(*options.genesis_validators_root);
    committer_ =
        std::make_unique<GroupCommitter>([this](const std::vector<PendingCheck>& batch) { return run_batch(batch); },
                                         options.max_batch, options.max_batch_delay);
  }

  ~SqliteStore() override {
    committer_->stop();  // answers every queued request before the connection goes away
    std::lock_guard lock(mu_);
    st_.reset();
  }

  void check_and_record(const Root& gvr, SignedMessage msg, std::function<void(Result<Decision>)> done) override {
    committer_->submit({gvr, std::move(msg), std::move(done)});
  }

  void check_and_record_batch(const Root& gvr, std::vector<SignedMessage> msgs,
                              std::function<void(std::vector<Result<Decision>>)> done) override {
    if (msgs.empty()) return done({});
    auto callbacks = batch_callbacks(msgs.size(), std::move(done));
    std::vector<PendingCheck> checks;
    checks.reserve(msgs.size());
    for (std::size_t i = 0; i < msgs.size(); ++i) checks.push_back({gvr, std::move(msgs[i]), std::move(callbacks[i])});
    committer_->submit_many(std::move(checks));
  }

  Status health() override;
  std::string_view backend_name() const override { return "sqlite"; }
  StoreStats stats() const override { return committer_->stats(); }
  Status import_interchange(std::string_view json) override;
  Result<std::string> export_interchange(const std::vector<BlsPublicKey>& only) override;
  Result<std::optional<std::string>> disable_and_export(const std::vector<BlsPublicKey>& disable,
                                                        const std::vector<BlsPublicKey>& also_export) override;
  Status enable(const std::vector<BlsPublicKey>& keys) override;
  Result<std::optional<HighWatermark>> high_watermark() override;
  Status set_high_watermark(std::optional<HighWatermark> mark) override;
  Result<LowWatermarks> low_watermarks(const BlsPublicKey& pubkey) override;
  Status raise_low_watermark(const BlsPublicKey& pubkey, std::optional<std::uint64_t> slot,
                             std::optional<std::uint64_t> source_epoch,
                             std::optional<std::uint64_t> target_epoch) override;
  Result<PruneReport> prune(std::uint64_t keep_epochs) override;

 private:
  Result<std::vector<Result<Decision>>> run_batch(const std::vector<PendingCheck>& batch);
  Result<Decision> decide(const PendingCheck& check, std::optional<Root>& gvr,
                          const std::optional<HighWatermark>& high);
  Decision record_block(const BlockProposal& m, const std::optional<HighWatermark>& high);
  Decision record_vote(const AttestationVote& m, const std::optional<HighWatermark>& high);
  // Runs `work` in one write transaction under mu_; SQLite failures roll back and become
  // unavailable Errors prefixed with the path and `doing`.
  template <class Work>
  auto in_transaction(const char* doing, Work&& work) -> decltype(work());
  void import_record(const InterchangeRecord& r);
  // The export of `only` (empty: every key with history), read in the caller's transaction.
  Interchange read_export(const std::vector<BlsPublicKey>& only);

  std::optional<KeyRow> find_key(const BlsPublicKey& pubkey);
  std::int64_t add_key(const BlsPublicKey& pubkey);
  void write_watermarks(const KeyRow& k);
  std::optional<Root> read_gvr();
  void write_gvr(const Root& gvr) { st_->put_gvr.run().bind(1, gvr).done(); }
  void adopt_configured_gvr(const Root& configured);

  ExclusiveFileLock lock_;  // first: released last, after the connection is closed
  const std::string path_;
  const struct stat file_;  // identity of the file we opened, to notice it being replaced
  std::mutex mu_;           // serialises all use of the connection below
  SqliteConnection db_;
  std::unique_ptr<Statements> st_;
  std::optional<Root> gvr_;  // committed genesis_validators_root
  std::unique_ptr<GroupCommitter> committer_;
};

// ---- signing path -------------------------------------------------------------------------

Result<std::vector<Result<Decision>>> SqliteStore::run_batch(const std::vector<PendingCheck>& batch) {
  std::lock_guard lock(mu_);
  try {
    db_.exec("BEGIN IMMEDIATE");
    std::optional<Root> gvr = gvr_;
    // Read in the batch's transaction: nothing can change it before this batch commits.
    const std::optional<HighWatermark> high = read_high_watermark(st_->get_high);
    std::vector<Result<Decision>> out;
    out.reserve(batch.size());
    for (const auto& check : batch) out.push_back(decide(check, gvr, high));
    db_.exec("COMMIT");  // one fsync (synchronous=FULL) for the whole batch
    gvr_ = gvr;
    return out;
  } catch (const std::exception& e) {
    db_.rollback_quietly();
    return Error::unavailable(path_ + ": " + e.what());
  }
}

Result<Decision> SqliteStore::decide(const PendingCheck& check, std::optional<Root>& gvr,
                                     const std::optional<HighWatermark>& high) {
  if (auto range = check_range(check.message); !range) return range.error();
  if (!gvr) {
    write_gvr(check.genesis_validators_root);  // first use binds the database to this network
    gvr = check.genesis_validators_root;
  } else if (auto d = judge_genesis(*gvr, check.genesis_validators_root); !d.allowed()) {
    return d;
  }
  if (const auto* block = std::get_if<BlockProposal>(&check.message)) return record_block(*block, high);
  return record_vote(std::get<AttestationVote>(check.message), high);
}

Decision SqliteStore::record_block(const BlockProposal& m, const std::optional<HighWatermark>& high) {
  const auto key = find_key(m.pubkey);
  BlockFacts facts;
  facts.high = high;
  if (key) {
    facts.key_disabled = key->disabled;
    facts.low_slot = key->low_slot;
    auto row = st_->block_at_slot.run();
    row.bind_int64(1, key->id).bind(2, m.slot);
    if (row.next()) facts.same_slot = row.root(0);
  }
  const Verdict v = judge_block(m, facts);
  if (v.insert) {
    KeyRow k = key ? *key : KeyRow{add_key(m.pubkey), {}, {}, {}, false};
    st_->insert_block.run().bind_int64(1, k.id).bind(2, m.slot).bind(3, m.signing_root).done();
    if (v.set_low_watermark) {
      k.low_slot = m.slot;
      write_watermarks(k);
    }
  }
  return v.decision;
}

Decision SqliteStore::record_vote(const AttestationVote& m, const std::optional<HighWatermark>& high) {
  const auto key = find_key(m.pubkey);
  VoteFacts facts;
  facts.high = high;
  if (key) {
    facts.key_disabled = key->disabled;
    facts.low_source = key->low_source;
    facts.low_target = key->low_target;
    {
      auto row = st_->votes_at_target.run();
      row.bind_int64(1, key->id).bind(2, m.target_epoch);
      while (row.next()) facts.same_target.push_back({row.u64(0), m.target_epoch, row.root(1)});
    }
    {
      auto row = st_->surrounding_vote.run();
      row.bind_int64(1, key->id).bind(2, m.source_epoch).bind(3, m.target_epoch);
      if (row.next()) facts.surrounding = PriorVote{row.u64(0), row.u64(1), std::nullopt};
    }
    {
      auto row = st_->surrounded_vote.run();
      row.bind_int64(1, key->id).bind(2, m.source_epoch).bind(3, m.target_epoch);
      if (row.next()) facts.surrounded = PriorVote{row.u64(0), row.u64(1), std::nullopt};
    }
  }
  const Verdict v = judge_attestation(m, facts);
  if (v.insert) {
    KeyRow k = key ? *key : KeyRow{add_key(m.pubkey), {}, {}, {}, false};
    st_->insert_vote.run()
        .bind_int64(1, k.id)
        .bind(2, m.source_epoch)
        .bind(3, m.target_epoch)
        .bind(4, m.signing_root)
        .done();
    if (v.set_low_watermark) {
      if (!k.low_source) k.low_source = m.source_epoch;
      if (!k.low_target) k.low_target = m.target_epoch;
      write_watermarks(k);
    }
  }
  return v.decision;
}

// ---- keys and metadata --------------------------------------------------------------------

std::optional<KeyRow> SqliteStore::find_key(const BlsPublicKey& pubkey) {
  auto row = st_->find_key.run();
  row.bind(1, pubkey);
  if (!row.next()) return std::nullopt;
  return KeyRow{row.int64(0), row.optional_u64(1), row.optional_u64(2), row.optional_u64(3), row.int64(4) != 0};
}

std::int64_t SqliteStore::add_key(const BlsPublicKey& pubkey) {
  st_->add_key.run().bind(1, pubkey).done();
  return sqlite3_last_insert_rowid(db_.get());
}

void SqliteStore::write_watermarks(const KeyRow& k) {
  st_->set_watermarks.run().bind_int64(1, k.id).bind(2, k.low_slot).bind(3, k.low_source).bind(4, k.low_target).done();
}

std::optional<Root> SqliteStore::read_gvr() {
  auto row = st_->get_gvr.run();
  if (!row.next()) return std::nullopt;
  return row.bytes<32>(0);
}

void SqliteStore::adopt_configured_gvr(const Root& configured) {
  if (gvr_ && *gvr_ != configured) {
    throw std::invalid_argument("the database records genesis_validators_root " + to_hex(*gvr_) +
                                " but the configured network's is " + to_hex(configured) +
                                " (a database of another network?)");
  }
  if (gvr_) return;
  db_.exec("BEGIN IMMEDIATE");
  try {
    write_gvr(configured);
    db_.exec("COMMIT");
  } catch (...) {
    db_.rollback_quietly();
    throw;
  }
  gvr_ = configured;
}

// ---- health -------------------------------------------------------------------------------

Status SqliteStore::health() {
  struct stat now {};
  if (::stat(path_.c_str(), &now) != 0) {
    return Error::unavailable(path_ + ": the database file is gone (" + std::strerror(errno) + ")");
  }
  if (now.st_ino != file_.st_ino || now.st_dev != file_.st_dev) {
    return Error::unavailable(path_ + ": the database file was replaced while open; restart the signer");
  }
  std::lock_guard lock(mu_);
  try {
    // A real write and fsync, as a signing batch would do.
    db_.exec("BEGIN IMMEDIATE");
    const auto seconds =
        std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    st_->put_probe.run().bind(1, static_cast<std::uint64_t>(seconds.count())).done();
    db_.exec("COMMIT");
    return {};
  } catch (const std::exception& e) {
    db_.rollback_quietly();
    return Error::unavailable(path_ + ": not writable: " + e.what());
  }
}

// ---- interchange --------------------------------------------------------------------------

Status SqliteStore::import_interchange(std::string_view json) {
  auto parsed = parse_interchange(json);  // the whole file is validated before anything is written
  if (!parsed) return parsed.error();
  const auto records = merged_by_pubkey(std::move(parsed->data));
  const Root& file_gvr = parsed->genesis_validators_root;

  std::lock_guard lock(mu_);
  if (gvr_ && *gvr_ != file_gvr) {
    return Error::invalid("interchange genesis_validators_root " + to_hex(file_gvr) + " does not match " +
                          to_hex(*gvr_) + " recorded in the anti-slashing database (another network?)");
  }
  try {
    db_.exec("BEGIN IMMEDIATE");
    if (!gvr_) write_gvr(file_gvr);
    for (const auto& r : records) import_record(r);
    db_.exec("COMMIT");
    gvr_ = file_gvr;
  } catch (const std::exception& e) {
    db_.rollback_quietly();
    return Error::unavailable(path_ + ": import not recorded (nothing changed): " + e.what());
  }
  spdlog::info("anti-slashing: imported interchange data for {} keys", records.size());
  return {};
}

void SqliteStore::import_record(const InterchangeRecord& r) {
  auto found = find_key(r.pubkey);
  KeyRow k = found ? *found : KeyRow{add_key(r.pubkey), {}, {}, {}, false};
  for (const auto& b : r.signed_blocks) {
    std::optional<RecordedRoot> existing;
    {
      auto row = st_->block_at_slot.run();
      row.bind_int64(1, k.id).bind(2, b.slot);
      if (row.next()) existing = row.root(0);
    }
    if (!existing) {
      st_->insert_block.run().bind_int64(1, k.id).bind(2, b.slot).bind(3, b.signing_root).done();
    } else if (auto merged = merged_root(*existing, b.signing_root); merged != *existing) {
      st_->update_block.run().bind_int64(1, k.id).bind(2, b.slot).bind(3, merged).done();
    }
  }
  for (const auto& a : r.signed_attestations) {
    std::optional<RecordedRoot> existing;
    {
      auto row = st_->vote_exact.run();
      row.bind_int64(1, k.id).bind(2, a.source_epoch).bind(3, a.target_epoch);
      if (row.next()) existing = row.root(0);
    }
    auto& stmt = existing ? st_->update_vote : st_->insert_vote;
    const RecordedRoot root = existing ? merged_root(*existing, a.signing_root) : a.signing_root;
    if (!existing || root != *existing) {
      stmt.run().bind_int64(1, k.id).bind(2, a.source_epoch).bind(3, a.target_epoch).bind(4, root).done();
    }
  }
  // EIP-3076 advice for complete databases: nothing below the oldest message, never lowered,
  // never above a record already held (rules.hpp). The records are written by now, so the
  // minimum over the key's records is the minimum over existing and imported ones.
  auto min_of = [&](Statement& stmt) -> std::optional<std::uint64_t> {
    auto row = stmt.run();
    row.bind_int64(1, k.id);
    return row.next() ? row.optional_u64(0) : std::nullopt;
  };
  k.low_slot = low_watermark_after_import(k.low_slot, min_of(st_->min_slot));
  k.low_source = low_watermark_after_import(k.low_source, min_of(st_->min_source));
  k.low_target = low_watermark_after_import(k.low_target, min_of(st_->min_target));
  write_watermarks(k);
}

Result<std::string> SqliteStore::export_interchange(const std::vector<BlsPublicKey>& only) {
  std::lock_guard lock(mu_);
  if (!gvr_) {
    return Error::not_found(
        "nothing to export: the anti-slashing database has no genesis_validators_root yet "
        "(nothing signed or imported)");
  }
  Interchange out;
  try {
    db_.exec("BEGIN");
    out = read_export(only);
    db_.exec("COMMIT");
  } catch (const std::exception& e) {
    db_.rollback_quietly();
    return Error::unavailable(path_ + ": export failed: " + e.what());
  }
  return to_json(out);
}

Interchange SqliteStore::read_export(const std::vector<BlsPublicKey>& only) {
  Interchange out;
  out.genesis_validators_root = *gvr_;
  std::vector<std::pair<BlsPublicKey, KeyRow>> keys;
  if (only.empty()) {
    auto row = st_->all_keys.run();
    while (row.next()) {
      keys.push_back(
          {row.bytes<48>(1), {row.int64(0), row.optional_u64(2), row.optional_u64(3), row.optional_u64(4), false}});
    }
  } else {
    // Keys without a watermark hold no record: nothing to export (as for all keys above).
    for (const auto& pubkey : only) {
      if (auto k = find_key(pubkey); k && (k->low_slot || k->low_source || k->low_target)) {
        keys.push_back({pubkey, *k});
      }
    }
  }
  for (const auto& [pubkey, k] : keys) {
    InterchangeRecord r;
    r.pubkey = pubkey;
    // Only what still decides anything: at or above the watermarks. A fresh database that
    // imports this file therefore gets the same watermarks (no gap reopened).
    auto blocks = st_->blocks_from.run();
    blocks.bind_int64(1, k.id).bind(2, k.low_slot.value_or(0));
    while (blocks.next()) r.signed_blocks.push_back({blocks.u64(0), blocks.root(1)});
    auto votes = st_->votes_from.run();
    votes.bind_int64(1, k.id).bind(2, k.low_target.value_or(0));
    while (votes.next()) r.signed_attestations.push_back({votes.u64(0), votes.u64(1), votes.root(2)});
    std::optional<std::uint64_t> dropped_source;
    if (k.low_target) {
      auto below = st_->newest_source_below.run();
      below.bind_int64(1, k.id).bind(2, *k.low_target);
      if (below.next()) dropped_source = below.optional_u64(0);
    }
    add_watermark_entries(r, {k.low_slot, k.low_source, k.low_target}, dropped_source);
    out.data.push_back(std::move(r));
  }
  return out;
}

// ---- watermarks and pruning ---------------------------------------------------------------

template <class Work>
auto SqliteStore::in_transaction(const char* doing, Work&& work) -> decltype(work()) {
  std::lock_guard lock(mu_);
  try {
    db_.exec("BEGIN IMMEDIATE");
    auto result = work();
    if (!result) {
      db_.rollback_quietly();
      return result;
    }
    db_.exec("COMMIT");
    return result;
  } catch (const std::exception& e) {
    db_.rollback_quietly();
    return Error::unavailable(path_ + ": " + doing + " failed (nothing changed): " + e.what());
  }
}

Result<std::optional<HighWatermark>> SqliteStore::high_watermark() {
  return in_transaction("reading the high watermark",
                        [&]() -> Result<std::optional<HighWatermark>> { return read_high_watermark(st_->get_high); });
}

Status SqliteStore::set_high_watermark(std::optional<HighWatermark> mark) {
  if (mark) {
    if (auto range = check_range(*mark); !range) return range;
  }
  // Batches run under mu_ too: the next one to start reads the new value.
  return in_transaction("setting the high watermark", [&]() -> Status {
    write_high_watermark(db_, mark);
    return {};
  });
}

Result<LowWatermarks> SqliteStore::low_watermarks(const BlsPublicKey& pubkey) {
  return in_transaction("reading low watermarks",
                        [&]() -> Result<LowWatermarks> { return read_low_watermarks(db_, pubkey); });
}

Status SqliteStore::raise_low_watermark(const BlsPublicKey& pubkey, std::optional<std::uint64_t> slot,
                                        std::optional<std::uint64_t> source_epoch,
                                        std::optional<std::uint64_t> target_epoch) {
  return in_transaction("raising low watermarks", [&]() -> Status {
    return raise_low_watermarks(db_, pubkey, LowWatermarks{slot, source_epoch, target_epoch});
  });
}

Result<PruneReport> SqliteStore::prune(std::uint64_t keep_epochs) {
  return in_transaction("pruning", [&]() -> Result<PruneReport> { return prune_history(db_, keep_epochs); });
}

// ---- disabled keys ------------------------------------------------------------------------

Result<std::optional<std::string>> SqliteStore::disable_and_export(const std::vector<BlsPublicKey>& disable,
                                                                   const std::vector<BlsPublicKey>& also_export) {
  std::vector<BlsPublicKey> exported;
  for (const auto* list : {&disable, &also_export}) {
    for (const auto& pubkey : *list) {
      if (std::find(exported.begin(), exported.end(), pubkey) == exported.end()) exported.push_back(pubkey);
    }
  }
  // Under mu_, like a signing batch: a batch that committed before this is in the export, and
  // every later one reads the flag.
  return in_transaction("disabling keys", [&]() -> Result<std::optional<std::string>> {
    for (const auto& pubkey : disable) {
      const auto found = find_key(pubkey);
      const std::int64_t id = found ? found->id : add_key(pubkey);
      st_->disable_key.run().bind_int64(1, id).done();
    }
    if (!gvr_) return std::optional<std::string>{};  // nothing was ever recorded
    if (exported.empty()) return std::optional<std::string>(to_json(Interchange{*gvr_, {}}));
    return std::optional<std::string>(to_json(read_export(exported)));
  });
}

Status SqliteStore::enable(const std::vector<BlsPublicKey>& keys) {
  return in_transaction("enabling keys", [&]() -> Status {
    for (const auto& pubkey : keys) st_->enable_key.run().bind(1, pubkey).done();
    return {};
  });
}

// ---- opening ------------------------------------------------------------------------------

// Creates the missing directories of `dir` with mode 0700 (the database is sensitive).
Status create_parent_directories(const std::filesystem::path& dir) {
  if (dir.empty()) return {};
  std::error_code ec;
  if (std::filesystem::is_directory(dir, ec)) return {};
  if (auto st = create_parent_directories(dir.parent_path()); !st) return st;
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) {
    return Error::unavailable(dir.string() + ": cannot create directory: " + std::strerror(errno));
  }
  return {};
}

// Creates the database file with mode 0600 before SQLite does (SQLite would use 0644 & umask);
// its -wal file inherits the database file's mode.
Result<struct stat> create_private_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Error::unavailable(path + ": cannot open: " + std::strerror(errno));
  struct stat st {};
  const int rc = ::fstat(fd, &st);
  ::close(fd);
  if (rc != 0) return Error::unavailable(path + ": cannot stat: " + std::strerror(errno));
  if ((st.st_mode & 077) != 0) {
    spdlog::warn("anti-slashing database {} is accessible to other users (mode {:o}); consider chmod 600", path,
                 st.st_mode & 0777);
  }
  return st;
}

}  // namespace

Result<std::unique_ptr<SlashingStore>> open_sqlite_store(const SqliteOptions& options) {
  if (options.path.empty()) return Error::invalid("anti-slashing database path is empty");
  const std::filesystem::path path(options.path);
  if (auto st = create_parent_directories(path.parent_path()); !st) return st.error();
  // Lock first: a second opener must fail before touching the file.
  auto lock = ExclusiveFileLock::acquire(options.path + ".lock");
  if (!lock) return lock.error();
  auto file = create_private_file(options.path);
  if (!file) return file.error();
  try {
    return std::unique_ptr<SlashingStore>(new SqliteStore(std::move(*lock), options.path, options, *file));
  } catch (const SqliteError& e) {
    if ((e.code() & 0xff) == SQLITE_BUSY || (e.code() & 0xff) == SQLITE_LOCKED) {
      return Error::unavailable(options.path + ": already in use by another process (SQLite lock held): " + e.what());
    }
    return Error::unavailable(options.path + ": cannot open the anti-slashing database: " + e.what());
  } catch (const std::invalid_argument& e) {
    return Error::invalid(options.path + ": " + e.what());
  } catch (const std::exception& e) {
    return Error::unavailable(options.path + ": cannot open the anti-slashing database: " + e.what());
  }
}

}  // namespace cc::slashing
