#include "keys/dynamodb_source.hpp"

#include <spdlog/spdlog.h>

namespace cc::keys {

namespace {

aws::Item key_of(const BlsPublicKey& pk) { return {{"pk", aws::attr_s(to_hex(pk))}}; }

constexpr std::string_view kStatus = "key_status";

// Whether a stored item may be loaded: no status or "active" yes, "inactive" no, anything else
// is an error (never loaded).
Result<bool> is_active(const aws::Item& item) {
  if (!aws::has(item, kStatus)) return true;
  auto status = aws::get_s(item, kStatus);
  if (!status) return status.error();
  if (*status == "active") return true;
  if (*status == "inactive") return false;
  return Error::invalid(std::string(kStatus) + " '" + *status + "' is neither active nor inactive");
}

std::uint64_t now_seconds() {
  return static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count());
}

Result<crypto::SealedKey> sealed_of(const aws::Item& item) {
  auto pk = aws::get_s(item, "pk");
  if (!pk) return pk.error();
  auto public_key = from_hex_fixed<48>(*pk);
  if (!public_key) return Error::invalid("pk '" + *pk + "': " + public_key.error().message);
  auto id = aws::get_s(item, "master_key_id");
  auto nonce = aws::get_b(item, "nonce");
  auto ciphertext = aws::get_b(item, "ciphertext");
  if (!id) return id.error();
  if (!nonce) return nonce.error();
  if (!ciphertext) return ciphertext.error();
  return crypto::SealedKey{*public_key, *id, *nonce, *ciphertext};
}

}  // namespace

DynamoDbKeySource::DynamoDbKeySource(aws::Transport& transport, std::string table, KeyRegistry& registry,
                                     MasterKeyProvider master)
    : db_(transport, std::move(table)), registry_(registry), master_(std::move(master)) {}

DynamoDbKeySource::~DynamoDbKeySource() { stop(); }

Status DynamoDbKeySource::check_table() const {
  if (auto ok = db_.check_table("pk", ""); !ok) return Error{ok.error().kind, "key source: " + ok.error().message};
  return {};
}

Status DynamoDbKeySource::create_table(aws::Transport& transport, const std::string& table) {
  return aws::DynamoDb(transport, table).create_table("pk", "");
}

Result<DynamoDbKeySource::Refresh> DynamoDbKeySource::refresh() {
  std::lock_guard lock(mu_);
  Refresh out;
  const auto started = std::chrono::steady_clock::now();
  const auto master = master_();
  if (master == nullptr) {
    // Sealed: the decrypted keys go too, at once.
    out.removed = mine_.size() + memory_.size();
    drop_all_locked();
    return out;
  }
  auto items = db_.scan("", {});
  if (!items) return Error::unavailable("key source " + db_.describe() + ": " + items.error().message);
  std::set<BlsPublicKey> present;
  for (const auto& item : *items) {
    auto sealed = sealed_of(item);
    if (!sealed) {
      out.failures.emplace_back(aws::get_s(item, "pk").ok() ? *aws::get_s(item, "pk") : "?", sealed.error().message);
      continue;
    }
    auto active = is_active(item);
    if (!active) {
      out.failures.emplace_back(to_hex(sealed->public_key), active.error().message);
      continue;  // not present: dropped below if it was loaded
    }
    if (!*active) {
      ++out.inactive;
      continue;
    }
    present.insert(sealed->public_key);
    if (mine_.count(sealed->public_key) != 0) continue;
    auto key = crypto::open_sealed_key(*master, *sealed);
    if (!key) {
      out.failures.emplace_back(to_hex(sealed->public_key), key.error().message);
      continue;
    }
    if (!registry_.add(std::make_shared<const crypto::SecretKey>(std::move(*key)))) {
      out.failures.emplace_back(to_hex(sealed->public_key), "already loaded from another source; kept that one");
      continue;
    }
    mine_.insert(sealed->public_key);
    ++out.added;
  }
  for (auto it = mine_.begin(); it != mine_.end();) {
    if (present.count(*it) == 0) {
      registry_.remove(*it);
      it = mine_.erase(it);
      ++out.removed;
    } else {
      ++it;
    }
  }
  for (const auto& [pk, why] : out.failures) spdlog::error("key source dynamodb: key {} NOT loaded: {}", pk, why);
  out.loaded = mine_.size();
  for (const auto& [pk, m] : memory_) out.loaded += m.active ? 1 : 0;
  out.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return out;
}

Status DynamoDbKeySource::store(const crypto::SecretKey& key, bool load_now) {
  const auto master = master_();
  if (master == nullptr) return Error::unavailable("key source: the chamber is sealed; unseal it to store keys");
  const auto sealed = crypto::seal_key(*master, key);
  aws::Item item = key_of(sealed.public_key);
  item["master_key_id"] = aws::attr_s(sealed.master_key_id);
  item["nonce"] = aws::attr_b(sealed.nonce);
  item["ciphertext"] = aws::attr_b(sealed.ciphertext);
  item["created_at"] = aws::attr_n(now_seconds());
  auto put = db_.put(item, aws::Condition{"attribute_not_exists(pk)", {}, {}}, aws::Retry::idempotent);
  if (!put) {
    if (put.error().kind == Error::Kind::conflict) {
      return Error::conflict("key " + to_hex(sealed.public_key) + " is already stored in " + db_.describe());
    }
    return put.error();
  }
  if (load_now) {
    auto copy = crypto::open_sealed_key(*master, sealed);
    if (!copy) return copy.error();
    std::lock_guard lock(mu_);
    if (registry_.add(std::make_shared<const crypto::SecretKey>(std::move(*copy)))) mine_.insert(sealed.public_key);
  }
  return {};
}

Status DynamoDbKeySource::hold_in_memory(std::shared_ptr<const crypto::SecretKey> key) {
  if (key == nullptr) return Error::invalid("no key");
  if (master_() == nullptr) return Error::unavailable("key source: the chamber is sealed; unseal it to import keys");
  const auto pk = key->public_key();
  auto stored = db_.get(key_of(pk));
  if (!stored) return Error::unavailable("key source " + db_.describe() + ": " + stored.error().message);
  if (stored->has_value()) {
    const auto active = is_active(**stored);
    return Error::conflict("key " + to_hex(pk) + " is already stored in " + db_.describe() +
                           (active.ok() && !*active ? " (inactive: activate it instead)" : ""));
  }
  std::lock_guard lock(mu_);
  if (memory_.count(pk) != 0 || !registry_.add(key)) {
    return Error::conflict("key " + to_hex(pk) + " is already loaded");
  }
  memory_[pk] = MemoryKey{std::move(key), true, now_seconds()};
  return {};
}

Status DynamoDbKeySource::set_active(const BlsPublicKey& public_key, bool active) {
  {
    std::lock_guard lock(mu_);
    if (auto it = memory_.find(public_key); it != memory_.end()) {
      if (it->second.active == active) return {};
      if (active && master_() == nullptr) {
        return Error::unavailable("key source: the chamber is sealed; unseal it to activate keys");
      }
      if (active) {
        if (!registry_.add(it->second.key)) return Error::conflict("key " + to_hex(public_key) + " is loaded from another source");
      } else {
        registry_.remove(public_key);
      }
      it->second.active = active;
      return {};
    }
  }
  const auto master = master_();
  if (active && master == nullptr) return Error::unavailable("key source: the chamber is sealed; unseal it to activate keys");
  auto updated = db_.update(key_of(public_key), "SET #st = :st",
                            aws::Condition{"attribute_exists(pk)", {{":st", aws::attr_s(active ? "active" : "inactive")}},
                                           {{"#st", kStatus}}},
                            aws::Retry::idempotent);
  if (!updated) {
    if (updated.error().kind == Error::Kind::conflict) return Error::not_found("key " + to_hex(public_key) + " is not stored");
    return updated.error();
  }
  if (!active) {
    std::lock_guard lock(mu_);
    if (mine_.erase(public_key) != 0) registry_.remove(public_key);
    return {};
  }
  // Load it now rather than at the next refresh; the refresh would do the same.
  auto item = db_.get(key_of(public_key));
  if (!item) return Error::unavailable("key source " + db_.describe() + ": " + item.error().message);
  if (!item->has_value()) return Error::not_found("key " + to_hex(public_key) + " is not stored");
  auto sealed = sealed_of(**item);
  if (!sealed) return sealed.error();
  auto key = crypto::open_sealed_key(*master, *sealed);
  if (!key) return key.error();
  std::lock_guard lock(mu_);
  if (mine_.count(public_key) == 0 && registry_.add(std::make_shared<const crypto::SecretKey>(std::move(*key)))) {
    mine_.insert(public_key);
  }
  return {};
}

Result<std::vector<DynamoDbKeySource::KeyInfo>> DynamoDbKeySource::list() {
  auto items = db_.scan("", {});
  if (!items) return Error::unavailable("key source " + db_.describe() + ": " + items.error().message);
  std::map<BlsPublicKey, KeyInfo> out;
  for (const auto& item : *items) {
    auto pk_text = aws::get_s(item, "pk");
    if (!pk_text) continue;
    auto pk = from_hex_fixed<48>(*pk_text);
    if (!pk) continue;  // refresh() reports malformed items
    KeyInfo info;
    info.public_key = *pk;
    auto active = is_active(item);
    info.active = active.ok() && *active;
    if (auto created = aws::get_n(item, "created_at")) info.created_at = *created;
    out[*pk] = info;
  }
  {
    std::lock_guard lock(mu_);
    for (const auto& [pk, m] : memory_) out[pk] = KeyInfo{pk, m.active, Storage::memory, m.created_at};
  }
  std::vector<KeyInfo> list;
  list.reserve(out.size());
  for (auto& [pk, info] : out) list.push_back(info);
  return list;
}

void DynamoDbKeySource::drop_all_locked() {
  for (const auto& pk : mine_) registry_.remove(pk);
  mine_.clear();
  for (const auto& [pk, m] : memory_) {
    if (m.active) registry_.remove(pk);
  }
  memory_.clear();
}

Status DynamoDbKeySource::erase(const BlsPublicKey& public_key) {
  {
    std::lock_guard lock(mu_);
    if (auto it = memory_.find(public_key); it != memory_.end()) {
      if (it->second.active) registry_.remove(public_key);
      memory_.erase(it);
      return {};
    }
  }
  auto removed = db_.remove(key_of(public_key), aws::Condition{"attribute_exists(pk)", {}, {}}, aws::Retry::idempotent);
  if (!removed) {
    if (removed.error().kind == Error::Kind::conflict) return Error::not_found("key " + to_hex(public_key) + " is not stored");
    return removed.error();
  }
  std::lock_guard lock(mu_);
  if (mine_.erase(public_key) != 0) registry_.remove(public_key);
  return {};
}

void DynamoDbKeySource::start(std::chrono::milliseconds interval, std::function<void(const Result<Refresh>&)> on_refresh) {
  stop();
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = false;
  }
  thread_ = std::thread([this, interval, on_refresh = std::move(on_refresh)] {
    for (;;) {
      auto r = refresh();
      if (!r) spdlog::warn("key source dynamodb: refresh failed (keys kept as they were): {}", r.error().message);
      if (on_refresh) on_refresh(r);
      std::unique_lock lock(wake_mu_);
      if (wake_.wait_for(lock, interval, [this] { return stopping_; })) return;
    }
  });
}

void DynamoDbKeySource::stop() {
  {
    std::lock_guard lock(wake_mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

}  // namespace cc::keys
