#pragma once
// KeyRegistry: the set of loaded validator keys, looked up by public key on the signing
// hot path.
//
// Thread-safe. find() takes a shared lock on a hash map (no allocation, one 48-byte hash),
// so many signing threads look up concurrently; add()/remove() take the exclusive lock
// briefly. Keys are shared, immutable SecretKey objects: a key removed while a request is
// signing with it stays alive until that request drops its shared_ptr.
#include <cstddef>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <vector>

#include "core/bytes.hpp"
#include "crypto/bls.hpp"

namespace cc::keys {

class KeyRegistry {
 public:
  // Adds the key under its public key. False (and no change) if that public key is present
  // or `key` is null.
  bool add(std::shared_ptr<const crypto::SecretKey> key);

  // True if the key was present.
  bool remove(const BlsPublicKey& public_key);

  // Null when the key is not loaded.
  std::shared_ptr<const crypto::SecretKey> find(const BlsPublicKey& public_key) const;

  bool contains(const BlsPublicKey& public_key) const { return find(public_key) != nullptr; }

  // All public keys in ascending byte order (stable across calls and restarts, whatever
  // order concurrent loading added them in).
  std::vector<BlsPublicKey> public_keys() const;

  std::size_t size() const;

 private:
  struct PublicKeyHash {
    std::size_t operator()(const BlsPublicKey& pk) const noexcept;
  };

  mutable std::shared_mutex mutex_;
  std::unordered_map<BlsPublicKey, std::shared_ptr<const crypto::SecretKey>, PublicKeyHash> keys_;
  // Sorted listing cached between changes; rebuilt lazily by public_keys().
  mutable std::mutex listing_mutex_;
  mutable std::shared_ptr<const std::vector<BlsPublicKey>> listing_;
};

}  // namespace cc::keys
