#include "slashing/postgres_store.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <mutex>

#include "slashing/group_commit.hpp"
#include "slashing/interchange.hpp"
#include "slashing/postgres_batch.hpp"
#include "slashing/postgres_connection.hpp"
#include "slashing/postgres_interchange.hpp"
#include "slashing/postgres_schema.hpp"
#include "slashing/postgres_watermarks.hpp"

namespace cc::slashing {

namespace {

// Imports and exports may move a lot of data; they run while the signer is stopped anyway.
constexpr auto kInterchangeTimeout = std::chrono::minutes(5);
// Pruning one key's history may delete many rows (its first run on an old database).
constexpr auto kPruneKeyTimeout = std::chrono::minutes(5);
// Migrations wait for each other (advisory lock); later ones may rebuild indexes.
constexpr auto kMigrationTimeout = std::chrono::seconds(60);

constexpr const char* kHealthProbe =
    "INSERT INTO cc_meta (key, value) VALUES ('health_probe', int8send($1::bigint)) "
    "ON CONFLICT (key) DO UPDATE SET value = excluded.value";

std::string ms(std::chrono::milliseconds d) {
  return std::to_string(d.count()) + " ms";
}

// After a failed connect, a lane answers at once with that error for this long instead of
// trying again for every batch: a server that is down or refusing connections is not hammered.
// It also bounds how late a lane notices the server is back, unless another connection (a
// lane, or health()) got through first: then it tries at once.
constexpr auto kReconnectBackoff = std::chrono::milliseconds(200);

// One pooled connection; used only by the committer thread of its lane.
struct Lane {
  std::unique_ptr<PgConnection> conn;
  bool was_connected = false;  // to log each loss and each recovery once
  PgClock::time_point retry_after{};
  std::uint64_t connects_at_failure = 0;  // the store's successful connects when this lane failed
  std::string last_connect_error;
};

class PostgresStore final : public SlashingStore {
 public:
  PostgresStore(const PostgresOptions& options, std::unique_ptr<PgConnection> admin, std::optional<Root> gvr)
      : options_(options), name_(admin->name()), admin_(std::move(admin)), gvr_(gvr) {
    const std::size_t n = std::max<std::size_t>(options.pool_size, 1);
    lanes_.resize(n);
    for (std::size_t i = 0; i < n; ++i) {
      committers_.push_back(std::make_unique<GroupCommitter>(
          [this, i](const std::vector<PendingCheck>& batch) { return run_batch(lanes_[i], batch); }, options.max_batch,
          options.max_batch_delay));
    }
  }

  ~PostgresStore() override {
    for (auto& c : committers_) c->stop();  // answers every queued request while the lanes exist
  }

  void check_and_record(const Root& gvr, SignedMessage msg, std::function<void(Result<Decision>)> done) override {
    committers_[lane_of(msg)]->submit({gvr, std::move(msg), std::move(done), {}});
  }

  // Each lane gets its share of the batch at once: one wake-up and one transaction per lane.
  void check_and_record_batch(const Root& gvr, std::vector<SignedMessage> msgs,
                              std::function<void(std::vector<Result<Decision>>)> done) override {
    if (msgs.empty()) return done({});
    auto callbacks = batch_callbacks(msgs.size(), std::move(done));
    std::vector<std::vector<PendingCheck>> lanes(committers_.size());
    for (std::size_t i = 0; i < msgs.size(); ++i) {
      const auto lane = lane_of(msgs[i]);
      lanes[lane].push_back({gvr, std::move(msgs[i]), std::move(callbacks[i]), {}});
    }
    for (std::size_t l = 0; l < lanes.size(); ++l) {
      if (!lanes[l].empty()) committers_[l]->submit_many(std::move(lanes[l]));
    }
  }

  Status health() override;
  std::string_view backend_name() const override { return "postgres"; }

 private:
  // One key, one lane: a key's requests keep their order and never queue on each other's locks.
  std::size_t lane_of(const SignedMessage& msg) const {
    const auto& pk = pubkey_of(msg);
    const auto h = std::hash<std::string_view>{}(std::string_view(reinterpret_cast<const char*>(pk.data()), pk.size()));
    return h % committers_.size();
  }

 public:
  StoreStats stats() const override;
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
  Result<std::vector<Result<Decision>>> run_batch(Lane& lane, const std::vector<PendingCheck>& batch);
  Status connect(std::unique_ptr<PgConnection>& conn, PgDeadline deadline);
  template <class Work>
  auto on_connection(std::unique_ptr<PgConnection>& conn, PgDeadline deadline, Work&& work,
                     bool* connect_failed = nullptr) -> decltype(work(*conn));
  PgSessionSettings session() const { return {options_.db_timeout, unprepared_only_}; }
  std::optional<Root> known_gvr() {
    std::lock_guard lock(gvr_mu_);
    return gvr_;
  }
  void learn_gvr(const std::optional<Root>& gvr) {
    std::lock_guard lock(gvr_mu_);
    if (gvr) gvr_ = gvr;
  }

  const PostgresOptions options_;
  const std::string name_;  // "postgresql host:port/dbname"
  std::mutex admin_mu_;     // the connection for import, export, watermarks and pruning
  std::unique_ptr<PgConnection> admin_;
  std::mutex probe_mu_;  // health()'s own, so a long import never delays a health check
  std::unique_ptr<PgConnection> probe_;
  std::mutex gvr_mu_;
  std::optional<Root> gvr_;                 // recorded genesis_validators_root: never changes once recorded
  std::atomic<std::uint64_t> connects_{0};  // successful connects: the server is reachable again
  // Set when the server turns out not to keep our prepared statements (PgSessionSettings).
  const std::shared_ptr<std::atomic<bool>> unprepared_only_ = std::make_shared<std::atomic<bool>>(false);
  std::vector<Lane> lanes_;
  std::vector<std::unique_ptr<GroupCommitter>> committers_;  // last: stopped before the lanes go
};

Status PostgresStore::connect(std::unique_ptr<PgConnection>& conn, PgDeadline deadline) {
  if (conn && conn->connected()) return {};
  auto fresh = PgConnection::connect(options_.conninfo, session(), deadline);
  if (!fresh) return fresh.error();
  conn = std::move(*fresh);
  connects_.fetch_add(1);
  return {};
}

// Runs `work` on `conn`, connecting first if needed. An idle connection may have died unnoticed
// (server restarted, failover): when `work` fails on a connection that was already open, it runs
// once more on a fresh one. That is safe for every operation here: a batch that did commit
// before its answer was lost finds its own records and is judged an identical re-sign, and an
// import merges to the same state.
template <class Work>
auto PostgresStore::on_connection(std::unique_ptr<PgConnection>& conn, PgDeadline deadline, Work&& work,
                                  bool* connect_failed) -> decltype(work(*conn)) {
  // Connecting never takes longer than db_timeout, even for a long import.
  auto connect_by = [&] { return std::min(deadline, PgClock::now() + options_.db_timeout); };
  auto failed_to_connect = [&](const Error& e) {
    if (connect_failed != nullptr) *connect_failed = true;
    return e;
  };
  const bool reused = conn && conn->connected();
  if (auto st = connect(conn, connect_by()); !st) return failed_to_connect(st.error());
  auto result = work(*conn);
  if (result || !reused || result.error().kind != Error::Kind::unavailable || PgClock::now() >= deadline) {
    return result;
  }
  if (auto st = connect(conn, connect_by()); !st) return failed_to_connect(st.error());
  return work(*conn);
}

// ---- signing path -------------------------------------------------------------------------

Result<std::vector<Result<Decision>>> PostgresStore::run_batch(Lane& lane, const std::vector<PendingCheck>& batch) {
  // The bound runs from the oldest request's arrival: time spent queued behind a slow batch counts.
  auto oldest = batch.front().enqueued;
  for (const auto& c : batch) oldest = std::min(oldest, c.enqueued);
  const PgDeadline deadline = oldest + options_.db_timeout;
  if (PgClock::now() >= deadline) {
    return Error::unavailable(name_ + ": the database did not answer within db_timeout (" + ms(options_.db_timeout) +
                              ")");
  }
  if (!(lane.conn && lane.conn->connected()) && PgClock::now() < lane.retry_after &&
      connects_.load() == lane.connects_at_failure) {
    return Error::unavailable(lane.last_connect_error);
  }
  std::optional<Root> gvr = known_gvr();
  bool connect_failed = false;
  auto results = on_connection(
      lane.conn, deadline,
      [&](PgConnection& db) {
        gvr = known_gvr();
        return run_postgres_batch(db, batch, gvr, deadline);
      },
      &connect_failed);
  if (!results) {
    if (lane.was_connected) spdlog::warn("anti-slashing: {}", results.error().message);
    lane.was_connected = false;
    if (connect_failed) {
      lane.retry_after = PgClock::now() + kReconnectBackoff;
      lane.connects_at_failure = connects_.load();
      lane.last_connect_error = results.error().message;
    }
    return results.error();
  }
  if (!lane.was_connected) spdlog::info("anti-slashing: {}: connected", name_);
  lane.was_connected = true;
  learn_gvr(gvr);
  return results;
}

StoreStats PostgresStore::stats() const {
  StoreStats total;
  for (const auto& c : committers_) {
    const auto s = c->stats();
    total.requests += s.requests;
    total.commits += s.commits;
    total.failed_commits += s.failed_commits;
  }
  return total;
}

// ---- health -------------------------------------------------------------------------------

Status PostgresStore::health() {
  std::lock_guard lock(probe_mu_);
  const PgDeadline deadline = PgClock::now() + options_.db_timeout;
  // A real write, as a signing batch does: also catches a read-only server (a failed-over standby).
  const auto now =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
  auto probe = on_connection(probe_, deadline, [&](PgConnection& db) {
    return db.run(PgQuery{kHealthProbe, {std::to_string(now.count())}}, deadline);
  });
  if (!probe) return probe.error();
  return {};
}

// ---- interchange --------------------------------------------------------------------------

Status PostgresStore::import_interchange(std::string_view json) {
  auto parsed = parse_interchange(json);  // the whole file is validated before anything is written
  if (!parsed) return parsed.error();
  const auto records = merged_by_pubkey(std::move(parsed->data));

  std::lock_guard lock(admin_mu_);
  std::optional<Root> gvr;
  const PgDeadline deadline = PgClock::now() + kInterchangeTimeout;
  auto st = on_connection(admin_, deadline, [&](PgConnection& db) {
    gvr = known_gvr();
    return import_postgres_interchange(db, records, parsed->genesis_validators_root, gvr, deadline);
  });
  if (!st) {
    if (st.error().kind == Error::Kind::invalid_argument) return st;
    return Error::unavailable("import not recorded (nothing changed): " + st.error().message);
  }
  learn_gvr(gvr);
  spdlog::info("anti-slashing: imported interchange data for {} keys", records.size());
  return {};
}

Result<std::string> PostgresStore::export_interchange(const std::vector<BlsPublicKey>& only) {
  std::lock_guard lock(admin_mu_);
  const PgDeadline deadline = PgClock::now() + kInterchangeTimeout;
  auto out = on_connection(admin_, deadline,
                           [&](PgConnection& db) { return export_postgres_interchange(db, only, deadline); });
  if (!out)
    return out.error().kind == Error::Kind::unavailable ? Error::unavailable("export failed: " + out.error().message)
                                                        : out.error();
  return to_json(*out);
}

// ---- disabled keys ------------------------------------------------------------------------

Result<std::optional<std::string>> PostgresStore::disable_and_export(const std::vector<BlsPublicKey>& disable,
                                                                     const std::vector<BlsPublicKey>& also_export) {
  std::lock_guard lock(admin_mu_);
  // As long as an export may take; the keys' locks are held only for the statements themselves.
  const PgDeadline deadline = PgClock::now() + kInterchangeTimeout;
  // Safe to run twice (on_connection retries once): disabling again changes nothing.
  auto out = on_connection(admin_, deadline, [&](PgConnection& db) {
    return disable_and_export_postgres(db, disable, also_export, deadline);
  });
  if (!out) return Error{out.error().kind, "keys not disabled: " + out.error().message};
  if (!*out) return std::optional<std::string>{};
  learn_gvr((*out)->genesis_validators_root);
  return std::optional<std::string>(to_json(**out));
}

Status PostgresStore::enable(const std::vector<BlsPublicKey>& keys) {
  if (keys.empty()) return {};
  std::lock_guard lock(admin_mu_);
  const PgDeadline deadline = PgClock::now() + options_.db_timeout;
  auto st = on_connection(admin_, deadline, [&](PgConnection& db) { return enable_postgres_keys(db, keys, deadline); });
  if (!st) return Error{st.error().kind, "keys not enabled: " + st.error().message};
  return {};
}

// ---- watermarks and pruning ---------------------------------------------------------------

Result<std::optional<HighWatermark>> PostgresStore::high_watermark() {
  std::lock_guard lock(admin_mu_);
  const PgDeadline deadline = PgClock::now() + options_.db_timeout;
  return on_connection(admin_, deadline, [&](PgConnection& db) { return read_postgres_high_watermark(db, deadline); });
}

Status PostgresStore::set_high_watermark(std::optional<HighWatermark> mark) {
  if (mark) {
    if (auto range = check_range(*mark); !range) return range;
  }
  std::lock_guard lock(admin_mu_);
  const PgDeadline deadline = PgClock::now() + options_.db_timeout;
  auto st = on_connection(admin_, deadline,
                          [&](PgConnection& db) { return write_postgres_high_watermark(db, mark, deadline); });
  if (!st) return Error{st.error().kind, "high watermark not changed: " + st.error().message};
  return {};
}

Result<LowWatermarks> PostgresStore::low_watermarks(const BlsPublicKey& pubkey) {
  std::lock_guard lock(admin_mu_);
  const PgDeadline deadline = PgClock::now() + options_.db_timeout;
  return on_connection(admin_, deadline,
                       [&](PgConnection& db) { return read_postgres_low_watermarks(db, pubkey, deadline); });
}

Status PostgresStore::raise_low_watermark(const BlsPublicKey& pubkey, std::optional<std::uint64_t> slot,
                                          std::optional<std::uint64_t> source_epoch,
                                          std::optional<std::uint64_t> target_epoch) {
  std::lock_guard lock(admin_mu_);
  const PgDeadline deadline = PgClock::now() + options_.db_timeout;
  // Safe to run twice (on_connection retries once): raising to the same values changes nothing.
  return on_connection(admin_, deadline, [&](PgConnection& db) {
    return raise_postgres_low_watermarks(db, pubkey, LowWatermarks{slot, source_epoch, target_epoch}, deadline);
  });
}

Result<PruneReport> PostgresStore::prune(std::uint64_t keep_epochs) {
  std::lock_guard lock(admin_mu_);
  PruneReport report;  // accumulates over a retry: keys pruned before a failure stay pruned
  const PgDeadline deadline = PgClock::now() + kPruneKeyTimeout;
  auto st = on_connection(admin_, deadline, [&](PgConnection& db) {
    return prune_postgres_history(db, keep_epochs, kPruneKeyTimeout, report);
  });
  if (!st) {
    return Error{st.error().kind, "pruning stopped after " + std::to_string(report.keys_pruned) +
                                      " keys (each pruned key is complete; run it again): " + st.error().message};
  }
  return report;
}

// ---- opening ------------------------------------------------------------------------------

// The recorded genesis_validators_root, after recording `configured` in a fresh database.
Result<std::optional<Root>> settle_gvr(PgConnection& db, const std::optional<Root>& configured, PgDeadline deadline) {
  std::vector<PgQuery> q;
  if (configured) {
    q.push_back({"INSERT INTO cc_meta (key, value) VALUES ('genesis_validators_root', $1) ON CONFLICT (key) DO NOTHING",
                 {pg_bytea(*configured)}});
  }
  q.push_back({"SELECT value FROM cc_meta WHERE key = 'genesis_validators_root'", {}});
  auto r = db.run(q, deadline);
  if (!r) return r.error();
  const auto& rows = r->back();
  if (rows.rows() == 0) return std::optional<Root>{};
  try {
    const Root recorded = rows.bytes<32>(0, 0);
    if (configured && *configured != recorded) {
      return Error::invalid("the database records genesis_validators_root " + to_hex(recorded) +
                            " but the configured network's is " + to_hex(*configured) +
                            " (a database of another network?)");
    }
    return std::optional<Root>(recorded);
  } catch (const std::exception& e) {
    return Error::unavailable(std::string("unexpected genesis_validators_root: ") + e.what());
  }
}

}  // namespace

Result<std::unique_ptr<SlashingStore>> open_postgres_store(const PostgresOptions& options) {
  if (options.conninfo.empty()) return Error::invalid("anti-slashing PostgreSQL connection string is empty");
  auto name = pg_server_name(options.conninfo);
  if (!name) return name.error();
  if (options.db_timeout.count() <= 0) return Error::invalid("anti-slashing db_timeout must be positive");
  auto fail = [&](const Error& e) {
    return Error{e.kind, *name + ": cannot open the anti-slashing database: " +
                             (e.message.rfind(*name, 0) == 0 ? e.message.substr(name->size() + 2) : e.message)};
  };
  auto admin = PgConnection::connect(options.conninfo, {options.db_timeout}, PgClock::now() + options.db_timeout);
  if (!admin) return fail(admin.error());
  auto migrated = migrate_postgres_schema(
      **admin, PgClock::now() + std::max<PgClock::duration>(options.db_timeout, kMigrationTimeout));
  if (!migrated) return fail(migrated.error());
  auto gvr = settle_gvr(**admin, options.genesis_validators_root, PgClock::now() + options.db_timeout);
  if (!gvr) return fail(gvr.error());
  return std::unique_ptr<SlashingStore>(new PostgresStore(options, std::move(*admin), *gvr));
}

}  // namespace cc::slashing
