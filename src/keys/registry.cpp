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

bool KeyRegistry::add(std::shared_ptr<const crypto::SecretKey> key) {
  if (!key) return false;
  const BlsPublicKey pk = key->public_key();
  {
    std::unique_lock lock(mutex_);
    if (!keys_.try_emplace(pk, std::move(key)).second) return false;
  }
  std::lock_guard listing_lock(listing_mutex_);
  listing_.reset();
  return true;
}

bool KeyRegistry::remove(const BlsPublicKey& public_key) {
  {
    std::unique_lock lock(mutex_);
    if (keys_.erase(public_key) == 0) return false;
  }
  std::lock_guard listing_lock(listing_mutex_);
  listing_.reset();
  return true;
}

std::shared_ptr<const crypto::SecretKey> KeyRegistry::find(const BlsPublicKey& public_key) const {
  std::shared_lock lock(mutex_);
  auto it = keys_.find(public_key);
  return it == keys_.end() ? nullptr : it->second;
}

std::vector<BlsPublicKey> KeyRegistry::public_keys() const {
  std::lock_guard listing_lock(listing_mutex_);
  if (!listing_) {
    // add()/remove() reset the cache only after changing the map, and both take
    // listing_mutex_, so a listing built here is never older than a completed change.
    auto listing = std::make_shared<std::vector<BlsPublicKey>>();
    {
      std::shared_lock lock(mutex_);
      listing->reserve(keys_.size());
      for (const auto& entry : keys_) listing->push_back(entry.first);
    }
    std::sort(listing->begin(), listing->end());
    listing_ = std::move(listing);
  }
  return *listing_;
}

std::size_t KeyRegistry::size() const {
  std::shared_lock lock(mutex_);
  return keys_.size();
}

}  // namespace cc::keys
