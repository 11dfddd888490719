#include "api/key_manager.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <optional>
#include <set>
#include <utility>

#include "crypto/keystore.hpp"

namespace cc::api {

namespace http = boost::beast::http;

namespace {

HttpResponse busy(std::string_view what, std::uint32_t limit) {
  auto res = error_response(503, "too many concurrent Key Manager " + std::string(what) + " requests (limit " +
                                     std::to_string(limit) + "); retry shortly");
  res.set(http::field::retry_after, "1");
  return res;
}

boost::json::object status_entry(std::string_view status, std::string message) {
  return boost::json::object{{"status", status}, {"message", std::move(message)}};
}

}  // namespace

// One POST: per keystore its outcome, filled by the decryption tasks, then finished by the last.
struct KeyManagerApi::ImportJob {
  std::vector<KeystoreImportItem> items;
  std::optional<std::string> slashing_protection;
  std::chrono::steady_clock::time_point deadline;
  std::atomic<std::size_t> remaining{0};
  Respond respond;
  ConcurrencySlot slot;

  explicit ImportJob(ConcurrencySlot s) : slot(std::move(s)) {}
};

KeyManagerApi::KeyManagerApi(keys::KeyRegistry& keys, keys::MemoryKeys& memory_keys, slashing::SlashingStore& store,
                             KeyManagerOptions options)
    : keys_(keys), memory_keys_(memory_keys), store_(store), options_(std::move(options)) {}

KeyManagerApi::~KeyManagerApi() {
  pool_.join();
}

void KeyManagerApi::list(Respond respond) {
  ConcurrencySlot slot(reads_, options_.max_concurrent_reads);
  if (!slot.acquired()) return respond(busy("read", options_.max_concurrent_reads));
  boost::json::array data;
  for (const auto& pk : keys_.public_keys()) {
    boost::json::object entry{{"validating_pubkey", to_hex(pk)}};
    auto path = memory_keys_.find(pk);
    if (path && !path->empty()) entry["derivation_path"] = *path;
    entry["readonly"] = !path.has_value();
    data.push_back(std::move(entry));
  }
  respond(json_response(200, boost::json::serialize(boost::json::object{{"data", std::move(data)}})));
}

void KeyManagerApi::import(std::string body, Respond respond) {
  ConcurrencySlot slot(writes_, options_.max_concurrent_writes);
  if (!slot.acquired()) return respond(busy("write", options_.max_concurrent_writes));
  auto request =
      decode_keystore_import(body, options_.max_items_per_request, "http.key_manager_api.max_items_per_request");
  if (!request) return respond(error_response(400, request.error().message));
  auto job = std::make_shared<ImportJob>(std::move(slot));
  job->slashing_protection = std::move(request->slashing_protection);
  job->items = std::move(request->items);
  job->deadline = std::chrono::steady_clock::now() + options_.request_timeout;
  job->respond = std::move(respond);
  job->remaining = job->items.size();
  if (job->items.empty()) {
    return boost::asio::post(pool_, [this, job] { finish_import(*job); });
  }
  for (std::size_t i = 0; i < job->items.size(); ++i) {
    boost::asio::post(pool_, [this, job, i] { decrypt_one(job, i); });
  }
}

void KeyManagerApi::decrypt_one(const std::shared_ptr<ImportJob>& job, std::size_t index) {
  decrypt_import_item(
      job->items[index], [this](const BlsPublicKey& pk) { return keys_.contains(pk); }, job->deadline,
      "http.key_manager_api.request_timeout_seconds", options_.request_timeout);
  if (job->remaining.fetch_sub(1) == 1) finish_import(*job);
}

void KeyManagerApi::finish_import(ImportJob& job) {
  std::lock_guard lock(write_mutex_);
  // Keys this request may add: decrypted, not loaded, and first of their kind in the request.
  std::set<std::string> candidates;
  std::vector<BlsPublicKey> candidate_keys;
  for (auto& item : job.items) {
    if (!item.key) continue;
    const auto hex = to_hex(item.key->public_key());
    if (keys_.contains(item.key->public_key()) || !candidates.insert(hex).second) {
      item.status = "duplicate";
      item.message = "key already loaded";
      item.key.reset();
    } else {
      candidate_keys.push_back(item.key->public_key());
    }
  }
  std::size_t imported = 0, duplicates = 0, errors = 0;
  std::string not_imported;  // why no key of this request is imported, if so
  if (job.slashing_protection && !candidates.empty()) {
    // Before any key becomes usable: no signature may precede its imported history.
    auto imported_history = store_.import_interchange(interchange_for_keys(*job.slashing_protection, candidates));
    if (!imported_history) {
      not_imported = "slashing_protection not imported, so no key was imported: " + imported_history.error().message;
    }
  }
  if (not_imported.empty() && !candidate_keys.empty()) {
    // A key deleted through this API (here or on a replica sharing the database) is disabled in
    // the database; importing it again is what enables it, once its history is in and before
    // the key is usable. Enabling a key that was never disabled changes nothing.
    auto enabled = store_.enable(candidate_keys);
    if (!enabled) {
      not_imported =
          "the anti-slashing database could not enable the keys, so no key was imported: " + enabled.error().message;
    }
  }
  for (auto& item : job.items) {
    if (!not_imported.empty() && item.status != "error") {
      item.status = "error";
      item.message = not_imported;
      item.key.reset();
    } else if (item.key) {
      const auto& pk = item.key->public_key();
      memory_keys_.mark(pk, item.derivation_path);
      if (keys_.add(item.key)) {
        item.status = "imported";
        item.message = "";
      } else {
        memory_keys_.unmark(pk);
        item.status = "duplicate";
        item.message = "key already loaded";
      }
      item.key.reset();
    }
    (item.status == "imported" ? imported : item.status == "duplicate" ? duplicates : errors)++;
  }
  spdlog::info("key manager: import of {} keystores: {} imported, {} duplicate, {} error{}", job.items.size(), imported,
               duplicates, errors, not_imported.empty() ? "" : " (" + not_imported + ")");
  boost::json::array data;
  for (auto& item : job.items) data.push_back(status_entry(item.status, std::move(item.message)));
  job.respond(json_response(200, boost::json::serialize(boost::json::object{{"data", std::move(data)}})));
}

void KeyManagerApi::remove(std::string body, Respond respond) {
  ConcurrencySlot slot(writes_, options_.max_concurrent_writes);
  if (!slot.acquired()) return respond(busy("write", options_.max_concurrent_writes));
  auto pubkeys = decode_pubkeys(body, options_.max_items_per_request, "http.key_manager_api.max_items_per_request");
  if (!pubkeys) return respond(error_response(400, pubkeys.error().message));
  // The export reads the database: never on an I/O thread.
  auto shared_slot = std::make_shared<ConcurrencySlot>(std::move(slot));
  boost::asio::post(pool_, [this, pubkeys = std::move(*pubkeys), respond = std::move(respond), shared_slot] {
    respond(delete_keys(pubkeys));
  });
}

HttpResponse KeyManagerApi::delete_keys(const std::vector<std::string>& pubkeys) {
  std::lock_guard lock(write_mutex_);
  enum class Outcome { deleted, inactive_or_unknown, error };
  struct Entry {
    Outcome outcome = Outcome::error;
    std::string message;
    BlsPublicKey pk{};
    std::shared_ptr<const crypto::SecretKey> key;  // a deleted key, kept until the export succeeds
    std::string path;
  };
  std::vector<Entry> entries(pubkeys.size());
  std::vector<BlsPublicKey> to_disable, also_export;
  for (std::size_t i = 0; i < pubkeys.size(); ++i) {
    auto& e = entries[i];
    auto pk = from_hex_fixed<48>(pubkeys[i]);
    if (!pk) {
      e.message = "invalid pubkey '" + pubkeys[i] + "': " + pk.error().message;
      continue;
    }
    e.pk = *pk;
    if (auto path = memory_keys_.find(e.pk)) {
      // Out of the registry first: no request arriving from now on finds the key here.
      e.key = keys_.find(e.pk);
      keys_.remove(e.pk);
      memory_keys_.unmark(e.pk);
      e.path = *path;
      e.outcome = Outcome::deleted;
      to_disable.push_back(e.pk);
    } else if (keys_.contains(e.pk)) {
      e.message = "key loaded from the filesystem; remove the file instead";
    } else {
      // Not loaded here: its history is returned, but the key is left as it is (a replica
      // sharing the database may load it from its own files, which this request cannot remove).
      e.outcome = Outcome::inactive_or_unknown;
      also_export.push_back(e.pk);
    }
  }

  std::string interchange = empty_interchange();
  if (!to_disable.empty() || !also_export.empty()) {
    // One transaction serialised with signing: a request for a deleted key that was already past
    // the registry lookup (queued for its anti-slashing check) either committed before, and is in
    // the export, or is decided after and refused (key_disabled), as on every replica sharing the
    // database, until the key is imported again.
    auto exported = store_.disable_and_export(to_disable, also_export);
    if (exported) {
      if (*exported) interchange = std::move(**exported);  // nullopt: nothing ever recorded
    } else {
      // Without the history a deleted key cannot safely move elsewhere: keep it here. The
      // transaction rolled back, so the key is not disabled either (unless a PostgreSQL connection
      // broke during COMMIT, slashing_store.hpp: then it refuses to sign until deleted again or
      // imported again, the safe side; re-enabling here could undo another replica's delete).
      for (auto& e : entries) {
        if (e.outcome == Outcome::deleted && e.key) {
          memory_keys_.mark(e.pk, e.path);
          keys_.add(e.key);
        }
        if (e.outcome != Outcome::error) {
          e.outcome = Outcome::error;
          e.message = "slashing protection export failed, key kept: " + exported.error().message;
        }
      }
    }
  }
  const auto with_history = keys_in_interchange(interchange);
  boost::json::array data;
  std::size_t deleted = 0;
  for (auto& e : entries) {
    switch (e.outcome) {
      case Outcome::deleted:
        ++deleted;
        data.push_back(status_entry("deleted", ""));
        break;
      case Outcome::inactive_or_unknown:
        if (with_history.count(to_hex(e.pk)) != 0) {
          data.push_back(status_entry("not_active", "key not loaded; its slashing protection data is returned"));
        } else {
          data.push_back(status_entry("not_found", "key not loaded and no slashing protection data"));
        }
        break;
      case Outcome::error:
        data.push_back(status_entry("error", std::move(e.message)));
        break;
    }
  }
  if (deleted != 0) spdlog::info("key manager: deleted {} memory keys", deleted);
  return json_response(200, boost::json::serialize(boost::json::object{
                                {"data", std::move(data)}, {"slashing_protection", std::move(interchange)}}));
}

std::string KeyManagerApi::empty_interchange() const {
  return boost::json::serialize(boost::json::object{
      {"metadata", boost::json::object{{"interchange_format_version", "5"},
                                       {"genesis_validators_root", options_.genesis_validators_root}}},
      {"data", boost::json::array{}}});
}

}  // namespace cc::api
