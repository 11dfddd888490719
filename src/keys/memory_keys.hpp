#pragma once
// MemoryKeys remembers which keys of the KeyRegistry were imported at run time (through the Key
// Manager API) rather than loaded from a key source. Only these may be deleted at run time; a
// key loaded from a file would come back on restart, so it must be removed at its source.
//
// Thread-safe. Kept beside the registry, not inside it, so that the signing hot path
// (KeyRegistry::find) is unchanged. Callers that add or remove keys keep both in step
// (mark() before KeyRegistry::add(), unmark() after KeyRegistry::remove()).
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/bytes.hpp"

namespace cc::keys {

class MemoryKeys {
 public:
  // Records `public_key` as a memory key with its EIP-2334 derivation path ("" when unknown).
  void mark(const BlsPublicKey& public_key, std::string derivation_path);
  // True if the key was recorded.
  bool unmark(const BlsPublicKey& public_key);
  // The derivation path of a memory key; nullopt for any other key.
  std::optional<std::string> find(const BlsPublicKey& public_key) const;
  bool contains(const BlsPublicKey& public_key) const { return find(public_key).has_value(); }
  // How many memory keys there are (the metric containment_keys_active{source="memory"}).
  std::size_t size() const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, std::string> paths_;  // hex public key -> derivation path
};

}  // namespace cc::keys
