#include "keys/dynamodb_source.hpp"

#include <spdlog/spdlog.h>

namespace cc::keys {

namespace {

aws::Item key_of(const BlsPublicKey& pk) { return {{"pk", aws::attr_s(to_hex(pk))}}; }

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
    for (const auto& pk : mine_) registry_.remove(pk);
    out.removed = mine_.size();
    mine_.clear();
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
  item["created_at"] = aws::attr_n(static_cast<std::uint64_t>(
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count()));
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

Status DynamoDbKeySource::erase(const BlsPublicKey& public_key) {
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
