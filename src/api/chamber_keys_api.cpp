#include "api/chamber_keys_api.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <ctime>
#include <set>

namespace cc::api {

namespace http = boost::beast::http;

namespace {

std::string rfc3339(std::uint64_t unix_seconds) {
  const auto t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

const char* storage_name(bool persist) {
  return persist ? "persistent" : "memory";
}

boost::json::object entry(std::string_view pubkey, std::string_view status, std::string message) {
  boost::json::object o{{"status", status}, {"message", std::move(message)}};
  if (!pubkey.empty()) o["pubkey"] = pubkey;
  return o;
}

HttpResponse data_response(boost::json::array data) {
  return json_response(200, boost::json::serialize(boost::json::object{{"data", std::move(data)}}));
}

// storage.persist of a request body: true unless given as false.
Result<bool> persist_of(const boost::json::object& body) {
  const auto* storage = body.if_contains("storage");
  if (storage == nullptr || storage->is_null()) return true;
  const Error wrong = Error::invalid("'storage' must be an object {\"persist\": true|false}");
  if (!storage->is_object()) return wrong;
  const auto* persist = storage->as_object().if_contains("persist");
  if (persist == nullptr) return true;
  if (!persist->is_bool()) return wrong;
  return persist->as_bool();
}

std::string deadline_message(const char* group, std::uint32_t seconds) {
  return "not done within chamber.keys." + std::string(group) + ".request_timeout_seconds (" + std::to_string(seconds) +
         " s)";
}

}  // namespace

// One import: per keystore its outcome, filled by the decryption tasks, then finished by the last.
struct ChamberKeysApi::ImportJob {
  std::vector<KeystoreImportItem> items;
  std::optional<std::string> slashing_protection;
  bool persist = true;
  std::chrono::steady_clock::time_point deadline;
  std::atomic<std::size_t> remaining{0};
  Respond respond;
  ConcurrencySlot slot;

  explicit ImportJob(ConcurrencySlot s) : slot(std::move(s)) {}
};

ChamberKeysApi::ChamberKeysApi(keys::DynamoDbKeySource& source, keys::KeyRegistry& registry,
                               slashing::SlashingStore& store, const seal::Chamber& chamber, ChamberKeysConfig config,
                               std::string genesis_validators_root)
    : source_(source),
      registry_(registry),
      store_(store),
      chamber_(chamber),
      config_(config),
      genesis_validators_root_(std::move(genesis_validators_root)) {}

ChamberKeysApi::~ChamberKeysApi() {
  list_pool_.join();
  write_pool_.join();
  kdf_pool_.join();
}

std::optional<HttpResponse> ChamberKeysApi::admit(const char* group, const ChamberKeysEndpointConfig* endpoint,
                                                  std::atomic<std::uint32_t>& in_use, std::uint32_t limit,
                                                  std::optional<ConcurrencySlot>& slot) const {
  const std::string prefix = std::string("chamber.keys.") + group;
  if (endpoint != nullptr && !endpoint->enabled) {
    std::string flag = "--" + prefix + "-enabled";
    for (auto& ch : flag) ch = ch == '.' || ch == '_' ? '-' : ch;
    return error_response(403, "the Chamber key API's " + std::string(group) +
                                   " endpoint is disabled: enable it with " + prefix + ".enabled: true (flag " + flag +
                                   " true)");
  }
  const auto state = chamber_.state();
  if (!seal::signing_allowed(state)) {
    auto res = error_response(503, "the chamber is " + std::string(seal::state_name(state)) +
                                       ": its keys can be listed and changed once it is unsealed");
    res.set(http::field::retry_after, "1");
    return res;
  }
  slot.emplace(in_use, limit);
  if (!slot->acquired()) {
    slot.reset();
    auto res =
        error_response(429, "too many concurrent Chamber key API " + std::string(group) + " requests (limit " +
                                std::to_string(limit) + ", " + prefix + ".max_concurrent_requests); retry shortly");
    res.set(http::field::retry_after, "1");
    return res;
  }
  return std::nullopt;
}

void ChamberKeysApi::list(Respond respond) {
  std::optional<ConcurrencySlot> slot;
  if (auto no = admit("list", nullptr, listing_, config_.list_max_concurrent_requests, slot))
    return respond(std::move(*no));
  auto held = std::make_shared<ConcurrencySlot>(std::move(*slot));
  boost::asio::post(list_pool_, [this, held, respond = std::move(respond)] {
    auto keys = source_.list();
    held->release();
    if (!keys) {
      auto res = error_response(http_status_of(keys.error()), "list: " + keys.error().message);
      if (keys.error().kind == Error::Kind::unavailable) res.set(http::field::retry_after, "1");
      return respond(std::move(res));
    }
    boost::json::array data;
    for (const auto& k : *keys) {
      data.push_back(
          boost::json::object{{"pubkey", to_hex(k.public_key)},
                              {"status", k.active ? "active" : "inactive"},
                              {"storage", storage_name(k.storage == keys::DynamoDbKeySource::Storage::persistent)},
                              {"created_at", rfc3339(k.created_at)}});
    }
    respond(data_response(std::move(data)));
  });
}

void ChamberKeysApi::generate(std::string body, Respond respond) {
  std::optional<ConcurrencySlot> slot;
  const auto& group = config_.generate;
  if (auto no = admit("generate", &group, generating_, group.max_concurrent_requests, slot)) {
    return respond(std::move(*no));
  }
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) return respond(error_response(400, "request body is not a JSON object"));
  const auto* count = value.as_object().if_contains("count");
  if (count == nullptr || !(count->is_int64() || count->is_uint64()) || count->to_number<std::int64_t>() < 1) {
    return respond(error_response(400, "'count' must be a positive integer (how many keys to generate)"));
  }
  const auto n = count->to_number<std::uint64_t>();
  if (n > group.max_items_per_request) {
    return respond(error_response(400, std::to_string(n) + " keys in one request; at most " +
                                           std::to_string(group.max_items_per_request) +
                                           " (chamber.keys.generate.max_items_per_request)"));
  }
  auto persist = persist_of(value.as_object());
  if (!persist) return respond(error_response(400, persist.error().message));
  auto held = std::make_shared<ConcurrencySlot>(std::move(*slot));
  boost::asio::post(write_pool_, [this, held, n, persist = *persist, respond = std::move(respond)] {
    auto answer = generate_keys(n, persist);
    held->release();
    respond(std::move(answer));
  });
}

HttpResponse ChamberKeysApi::generate_keys(std::uint64_t count, bool persist) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.generate.request_timeout_seconds);
  boost::json::array data;
  std::size_t generated = 0;
  std::optional<Error> stop;  // once the table or the chamber refuses, the rest would fail alike
  for (std::uint64_t i = 0; i < count; ++i) {
    if (!stop && std::chrono::steady_clock::now() > deadline) {
      stop = Error::unavailable(deadline_message("generate", config_.generate.request_timeout_seconds));
    }
    if (stop) {
      data.push_back(entry("", "error", stop->message));
      continue;
    }
    Status ok;
    std::string pubkey;
    try {
      auto key = crypto::SecretKey::generate();
      pubkey = to_hex(key.public_key());
      ok = persist ? source_.store(key, true)
                   : source_.hold_in_memory(std::make_shared<const crypto::SecretKey>(std::move(key)));
    } catch (const std::exception& e) {
      ok = Error::internal(std::string("key generation failed: ") + e.what());
    }
    if (!ok) {
      stop = ok.error();
      data.push_back(entry("", "error", ok.error().message));
      continue;
    }
    ++generated;
    auto e = entry(pubkey, "generated", "");
    e["storage"] = storage_name(persist);
    data.push_back(std::move(e));
  }
  spdlog::info("chamber keys: generated {} of {} keys ({})", generated, count, storage_name(persist));
  if (generated == 0 && stop) return error_response(http_status_of(*stop), "generate: " + stop->message);
  return data_response(std::move(data));
}

void ChamberKeysApi::import(std::string body, Respond respond) {
  std::optional<ConcurrencySlot> slot;
  const auto& group = config_.import;
  if (auto no = admit("import", &group, importing_, group.max_concurrent_requests, slot)) {
    wipe(body);
    return respond(std::move(*no));
  }
  auto request = decode_keystore_import(body, group.max_items_per_request, "chamber.keys.import.max_items_per_request");
  if (!request) return respond(error_response(400, request.error().message));
  auto persist = persist_of(request->body);
  if (!persist) return respond(error_response(400, persist.error().message));
  auto job = std::make_shared<ImportJob>(std::move(*slot));
  job->items = std::move(request->items);
  job->slashing_protection = std::move(request->slashing_protection);
  job->persist = *persist;
  job->deadline = std::chrono::steady_clock::now() + std::chrono::seconds(group.request_timeout_seconds);
  job->respond = std::move(respond);
  job->remaining = job->items.size();
  if (job->items.empty()) return boost::asio::post(kdf_pool_, [this, job] { finish_import(*job); });
  for (std::size_t i = 0; i < job->items.size(); ++i) {
    boost::asio::post(kdf_pool_, [this, job, i] {
      decrypt_import_item(
          job->items[i], [this](const BlsPublicKey& pk) { return registry_.contains(pk); }, job->deadline,
          "chamber.keys.import.request_timeout_seconds", std::chrono::seconds(config_.import.request_timeout_seconds));
      if (job->remaining.fetch_sub(1) == 1) finish_import(*job);
    });
  }
}

void ChamberKeysApi::finish_import(ImportJob& job) {
  std::lock_guard lock(write_mutex_);
  // Keys this request may add: decrypted, not loaded, first of their kind in the request.
  std::set<std::string> candidates;
  std::vector<BlsPublicKey> candidate_keys;
  for (auto& item : job.items) {
    if (!item.key) continue;
    const auto& pk = item.key->public_key();
    if (registry_.contains(pk) || !candidates.insert(to_hex(pk)).second) {
      item.status = "duplicate";
      item.message = "key already loaded";
      item.key.reset();
    } else {
      candidate_keys.push_back(pk);
    }
  }
  std::string not_imported;  // why no key of this request is imported, if so
  if (job.slashing_protection && !candidates.empty()) {
    // Before any key becomes usable, here or (stored) on another replica.
    auto history = store_.import_interchange(interchange_for_keys(*job.slashing_protection, candidates));
    if (!history) not_imported = "slashing_protection not imported, so no key was imported: " + history.error().message;
  }
  if (not_imported.empty() && !candidate_keys.empty()) {
    // A key deleted earlier (here or through the Key Manager API) is disabled in the database;
    // importing it again enables it, with its whole history still enforced.
    if (auto enabled = store_.enable(candidate_keys); !enabled) {
      not_imported =
          "the anti-slashing database could not enable the keys, so no key was imported: " + enabled.error().message;
    }
  }
  std::size_t imported = 0;
  boost::json::array data;
  for (auto& item : job.items) {
    std::string pubkey;
    if (!not_imported.empty() && item.status != "error") {
      item.status = "error";
      item.message = not_imported;
    } else if (item.key) {
      pubkey = to_hex(item.key->public_key());
      auto ok = job.persist ? source_.store(*item.key, true) : source_.hold_in_memory(item.key);
      if (ok) {
        item.status = "imported";
        item.message = "";
        ++imported;
      } else if (ok.error().kind == Error::Kind::conflict) {
        item.status = "duplicate";
        item.message = ok.error().message;
      } else {
        item.status = "error";
        item.message = ok.error().message;
      }
    }
    item.key.reset();
    auto e = entry(pubkey, item.status, std::move(item.message));
    if (item.status == "imported") e["storage"] = storage_name(job.persist);
    data.push_back(std::move(e));
  }
  spdlog::info("chamber keys: import of {} keystores: {} imported ({}){}", job.items.size(), imported,
               storage_name(job.persist), not_imported.empty() ? "" : " (" + not_imported + ")");
  job.slot.release();
  job.respond(data_response(std::move(data)));
}

void ChamberKeysApi::update(std::string body, Respond respond) {
  std::optional<ConcurrencySlot> slot;
  const auto& group = config_.lifecycle;
  if (auto no = admit("lifecycle", &group, lifecycle_, group.max_concurrent_requests, slot)) {
    return respond(std::move(*no));
  }
  boost::json::object request;
  auto pubkeys =
      decode_pubkeys(body, group.max_items_per_request, "chamber.keys.lifecycle.max_items_per_request", &request);
  if (!pubkeys) return respond(error_response(400, pubkeys.error().message));
  const auto* status = request.if_contains("status");
  if (status == nullptr || !status->is_string() ||
      (status->as_string() != "active" && status->as_string() != "inactive")) {
    return respond(error_response(400, "'status' must be \"active\" or \"inactive\""));
  }
  const bool active = status->as_string() == "active";
  auto held = std::make_shared<ConcurrencySlot>(std::move(*slot));
  boost::asio::post(write_pool_, [this, held, pubkeys = std::move(*pubkeys), active, respond = std::move(respond)] {
    auto answer = update_keys(pubkeys, active);
    held->release();
    respond(std::move(answer));
  });
}

HttpResponse ChamberKeysApi::update_keys(const std::vector<std::string>& pubkeys, bool active) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.lifecycle.request_timeout_seconds);
  boost::json::array data;
  std::size_t updated = 0;
  for (const auto& text : pubkeys) {
    auto pk = from_hex_fixed<48>(text);
    if (!pk) {
      data.push_back(entry(text, "error", "invalid pubkey: " + pk.error().message));
      continue;
    }
    const auto hex = to_hex(*pk);
    if (std::chrono::steady_clock::now() > deadline) {
      data.push_back(entry(hex, "error", deadline_message("lifecycle", config_.lifecycle.request_timeout_seconds)));
      continue;
    }
    auto ok = source_.set_active(*pk, active);
    if (ok) {
      ++updated;
      data.push_back(entry(hex, "updated", active ? "active" : "inactive"));
    } else if (ok.error().kind == Error::Kind::not_found) {
      data.push_back(entry(hex, "not_found", ok.error().message));
    } else {
      data.push_back(entry(hex, "error", ok.error().message));
    }
  }
  spdlog::info("chamber keys: {} of {} keys marked {}", updated, pubkeys.size(), active ? "active" : "inactive");
  return data_response(std::move(data));
}

void ChamberKeysApi::remove(std::string body, Respond respond) {
  std::optional<ConcurrencySlot> slot;
  const auto& group = config_.lifecycle;
  if (auto no = admit("lifecycle", &group, lifecycle_, group.max_concurrent_requests, slot)) {
    return respond(std::move(*no));
  }
  auto pubkeys = decode_pubkeys(body, group.max_items_per_request, "chamber.keys.lifecycle.max_items_per_request");
  if (!pubkeys) return respond(error_response(400, pubkeys.error().message));
  auto held = std::make_shared<ConcurrencySlot>(std::move(*slot));
  boost::asio::post(write_pool_, [this, held, pubkeys = std::move(*pubkeys), respond = std::move(respond)] {
    auto answer = delete_keys(pubkeys);
    held->release();
    respond(std::move(answer));
  });
}

HttpResponse ChamberKeysApi::delete_keys(const std::vector<std::string>& pubkeys) {
  std::lock_guard lock(write_mutex_);
  auto known = source_.list();
  if (!known) return error_response(http_status_of(known.error()), "delete: " + known.error().message);
  std::set<BlsPublicKey> chamber_keys;
  for (const auto& k : *known) chamber_keys.insert(k.public_key);

  enum class Outcome { remove, unknown, error };
  struct Entry {
    std::string pubkey;
    Outcome outcome = Outcome::error;
    std::string message;
    BlsPublicKey pk{};
  };
  std::vector<Entry> entries(pubkeys.size());
  std::vector<BlsPublicKey> to_disable, also_export;
  for (std::size_t i = 0; i < pubkeys.size(); ++i) {
    auto& e = entries[i];
    e.pubkey = pubkeys[i];
    auto pk = from_hex_fixed<48>(pubkeys[i]);
    if (!pk) {
      e.message = "invalid pubkey: " + pk.error().message;
      continue;
    }
    e.pk = *pk;
    e.pubkey = to_hex(*pk);
    if (chamber_keys.count(*pk) != 0) {
      e.outcome = Outcome::remove;
      to_disable.push_back(*pk);
    } else if (registry_.contains(*pk)) {
      e.message = "not a key of the chamber (loaded from another key source or the Key Manager API): remove it there";
    } else {
      e.outcome = Outcome::unknown;
      also_export.push_back(*pk);
    }
  }

  std::string interchange = empty_interchange();
  if (!to_disable.empty() || !also_export.empty()) {
    // Disabled (and exported) before anything is removed, in one transaction serialised with
    // signing: a request already past the key lookup is either in the export or refused, on every
    // replica sharing the database, including one that still holds the key until its refresh.
    auto exported = store_.disable_and_export(to_disable, also_export);
    if (!exported) {
      for (auto& e : entries) {
        if (e.outcome == Outcome::error) continue;
        e.outcome = Outcome::error;
        e.message = "slashing protection export failed, key kept: " + exported.error().message;
      }
    } else if (*exported) {
      interchange = std::move(**exported);
    }
  }
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::seconds(config_.lifecycle.request_timeout_seconds);
  const auto with_history = keys_in_interchange(interchange);
  boost::json::array data;
  std::size_t deleted = 0;
  for (auto& e : entries) {
    switch (e.outcome) {
      case Outcome::remove: {
        Status ok =
            std::chrono::steady_clock::now() > deadline
                ? Status(Error::unavailable(deadline_message("lifecycle", config_.lifecycle.request_timeout_seconds)))
                : source_.erase(e.pk);
        if (ok || ok.error().kind == Error::Kind::not_found) {
          ++deleted;
          data.push_back(entry(e.pubkey, "deleted", ""));
        } else {
          // Disabled already: it signs nothing until deleted again (retry) or imported again.
          data.push_back(entry(
              e.pubkey, "error",
              "disabled in the anti-slashing database but not removed (retry the delete): " + ok.error().message));
        }
        break;
      }
      case Outcome::unknown:
        if (with_history.count(e.pubkey) != 0) {
          data.push_back(
              entry(e.pubkey, "not_active", "not a key of the chamber; its slashing protection data is returned"));
        } else {
          data.push_back(entry(e.pubkey, "not_found", "not a key of the chamber and no slashing protection data"));
        }
        break;
      case Outcome::error:
        data.push_back(entry(e.pubkey, "error", std::move(e.message)));
        break;
    }
  }
  spdlog::info("chamber keys: deleted {} of {} keys (slashing protection kept and exported)", deleted, pubkeys.size());
  return json_response(200, boost::json::serialize(boost::json::object{
                                {"data", std::move(data)}, {"slashing_protection", std::move(interchange)}}));
}

std::string ChamberKeysApi::empty_interchange() const {
  return boost::json::serialize(boost::json::object{
      {"metadata",
       boost::json::object{{"interchange_format_version", "5"}, {"genesis_validators_root", genesis_validators_root_}}},
      {"data", boost::json::array{}}});
}

}  // namespace cc::api
