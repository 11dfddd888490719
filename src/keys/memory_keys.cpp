#include "keys/memory_keys.hpp"

namespace cc::keys {

void MemoryKeys::mark(const BlsPublicKey& public_key, std::string derivation_path) {
  std::lock_guard lock(mutex_);
  paths_[to_hex(public_key)] = std::move(derivation_path);
}

bool MemoryKeys::unmark(const BlsPublicKey& public_key) {
  std::lock_guard lock(mutex_);
  return paths_.erase(to_hex(public_key)) > 0;
}

std::size_t MemoryKeys::size() const {
  std::lock_guard lock(mutex_);
  return paths_.size();
}

std::optional<std::string> MemoryKeys::find(const BlsPublicKey& public_key) const {
  std::lock_guard lock(mutex_);
  auto it = paths_.find(to_hex(public_key));
  if (it == paths_.end()) return std::nullopt;
  return it->second;
}

}  // namespace cc::keys
