#include "keys/registry.hpp"

#include <algorithm>
#include <cstring>

namespace cc::keys {

std::size_t KeyRegistry::PublicKeyHash::operator()(const BlsPublicKey& pk) const noexcept {
  // A compressed G1 point's x coordinate is uniformly distributed; bytes 1..8 (past the
  // flag bits in byte 0) already make a good hash.
  std::uint64_t h = 0;
  std::memcpy(&h, pk.data() + 1, sizeof h);
  return static_cast<std::size_t>(h);
}

void KeyRegistry::listing_changed() {
  std::lock_guard listing_lock(listing_mutex_);
  listing_.reset();
}

bool KeyRegistry::add(std::shared_ptr<const crypto::SecretKey> key, bool canary) {
  if (!key) return false;
  const BlsPublicKey pk = key->public_key();
  {
    std::unique_lock lock(mutex_);
    if (!keys_.try_emplace(pk, Entry{std::move(key), canary}).second) return false;
  }
  listing_changed();
  return true;
}

bool KeyRegistry::remove(const BlsPublicKey& public_key) {
  {
    std::unique_lock lock(mutex_);
    if (keys_.erase(public_key) == 0) return false;
  }
  listing_changed();
  return true;
}

bool KeyRegistry::set_canary(const BlsPublicKey& public_key, bool canary) {
  std::unique_lock lock(mutex_);
  auto it = keys_.find(public_key);
  if (it == keys_.end()) return false;
  it->second.canary = canary;
  return true;
}

void KeyRegistry::set_canary_list(const std::vector<BlsPublicKey>& public_keys) {
  {
    std::unique_lock lock(mutex_);
    canary_list_ = {public_keys.begin(), public_keys.end()};
  }
  listing_changed();
}

std::shared_ptr<const crypto::SecretKey> KeyRegistry::find(const BlsPublicKey& public_key) const {
  std::shared_lock lock(mutex_);
  auto it = keys_.find(public_key);
  return it == keys_.end() ? nullptr : it->second.key;
}

bool KeyRegistry::is_canary(const BlsPublicKey& public_key) const {
  std::shared_lock lock(mutex_);
  if (canary_list_.count(public_key) != 0) return true;
  auto it = keys_.find(public_key);
  return it != keys_.end() && it->second.canary;
}

bool KeyRegistry::contains(const BlsPublicKey& public_key) const {
  std::shared_lock lock(mutex_);
  return keys_.count(public_key) != 0 || canary_list_.count(public_key) != 0;
}

std::vector<BlsPublicKey> KeyRegistry::public_keys() const {
  std::lock_guard listing_lock(listing_mutex_);
  if (!listing_) {
    // Changes reset the cache only after changing the maps, and take listing_mutex_ to do
    // so, so a listing built here is never older than a completed change.
    auto listing = std::make_shared<std::vector<BlsPublicKey>>();
    {
      std::shared_lock lock(mutex_);
      listing->reserve(keys_.size() + canary_list_.size());
      for (const auto& entry : keys_) listing->push_back(entry.first);
      for (const auto& pk : canary_list_) {
        if (keys_.count(pk) == 0) listing->push_back(pk);
      }
    }
    std::sort(listing->begin(), listing->end());
    listing_ = std::move(listing);
  }
  return *listing_;
}

std::size_t KeyRegistry::size() const {
  std::shared_lock lock(mutex_);
  std::size_t n = keys_.size();
  for (const auto& pk : canary_list_) n += keys_.count(pk) == 0 ? 1 : 0;
  return n;
}

}  // namespace cc::keys
