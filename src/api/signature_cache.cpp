#include "api/signature_cache.hpp"

#include <cstring>
#include <utility>

namespace cc::api {

SignatureCache::SignatureCache(std::size_t capacity) : generation_limit_(capacity / 2) {}

std::size_t SignatureCache::KeyHash::operator()(const Key& k) const {
  // Both halves are uniformly distributed (a compressed curve point, a SHA-256 root); mixing the
  // two keeps apart the many keys that sign one root (a slot's selection proofs).
  std::uint64_t a = 0, b = 0;
  std::memcpy(&a, k.public_key.data() + 8, sizeof a);
  std::memcpy(&b, k.signing_root.data(), sizeof b);
  return static_cast<std::size_t>(a ^ (b * 0x9e3779b97f4a7c15ULL));
}

std::optional<BlsSignature> SignatureCache::find(const BlsPublicKey& public_key, const Root& signing_root) {
  if (generation_limit_ == 0) return std::nullopt;
  const Key key{public_key, signing_root};
  Generation dropped;  // freed after the lock is released
  std::lock_guard lock(mu_);
  if (auto it = young_.find(key); it != young_.end()) {
    hits_.fetch_add(1, std::memory_order_relaxed);
    return it->second;
  }
  auto it = old_.find(key);
  if (it == old_.end()) return std::nullopt;
  hits_.fetch_add(1, std::memory_order_relaxed);
  const BlsSignature signature = it->second;
  old_.erase(it);
  rotate_if_full(dropped);
  young_.emplace(key, signature);
  return signature;
}

void SignatureCache::insert(const BlsPublicKey& public_key, const Root& signing_root, const BlsSignature& signature) {
  if (generation_limit_ == 0) return;
  Generation dropped;  // freed after the lock is released
  std::lock_guard lock(mu_);
  rotate_if_full(dropped);
  young_.insert_or_assign(Key{public_key, signing_root}, signature);
}

void SignatureCache::rotate_if_full(Generation& dropped) {
  if (young_.size() < generation_limit_) return;
  dropped = std::move(old_);
  old_ = std::move(young_);
  young_ = Generation();
}

std::size_t SignatureCache::size() const {
  std::lock_guard lock(mu_);
  return young_.size() + old_.size();
}

}  // namespace cc::api
