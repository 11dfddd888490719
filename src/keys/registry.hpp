#pragma once
// KeyRegistry: the set of loaded validator keys, looked up by public key on the signing
// hot path.
//
// Thread-safe. find() takes a shared lock on a hash map (no allocation, one 48-byte hash),
// so many signing threads look up concurrently; add()/remove() take the exclusive lock
// briefly. Keys are shared, immutable SecretKey objects: a key removed while a request is
// signing with it stays alive until that request drops its shared_ptr.
//
// Canary keys are an intrusion tripwire: they are listed like every other key, but the signer
// refuses every signing request for one (api/signing_service.hpp). A key is a canary when the
// key source that added it marked it (a descriptor with `canary: true`), or when its public key
// is in the configured list (set_canary_list(), key_sources.canary_keys). A listed canary needs
// no secret at all: its public key is listed whether or not any source loads a key for it.
#include <cstddef>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "core/bytes.hpp"
#include "crypto/bls.hpp"

namespace cc::keys {

class KeyRegistry {
 public:
  // Adds the key under its public key, a canary when `canary`. False (and no change) if that
  // public key is present or `key` is null.
  bool add(std::shared_ptr<const crypto::SecretKey> key, bool canary = false);

  // True if the key was present.
  bool remove(const BlsPublicKey& public_key);

  // Marks a loaded key as a canary or not (a reloaded descriptor changed its mind). False when
  // the key is not loaded.
  bool set_canary(const BlsPublicKey& public_key, bool canary);

  // Replaces the configured canary list (key_sources.canary_keys).
  void set_canary_list(const std::vector<BlsPublicKey>& public_keys);

  // Null when the key is not loaded (a listed canary without a key is not loaded either).
  std::shared_ptr<const crypto::SecretKey> find(const BlsPublicKey& public_key) const;

  // True when a signing request for this public key must be refused as a canary.
  bool is_canary(const BlsPublicKey& public_key) const;

  // Listed: loaded, or a configured canary.
  bool contains(const BlsPublicKey& public_key) const;

  // All listed public keys in ascending byte order (stable across calls and restarts, whatever
  // order concurrent loading added them in).
  std::vector<BlsPublicKey> public_keys() const;

  // How many public keys are listed.
  std::size_t size() const;

 private:
  struct PublicKeyHash {
    std::size_t operator()(const BlsPublicKey& pk) const noexcept;
  };
  struct Entry {
    std::shared_ptr<const crypto::SecretKey> key;
    bool canary = false;
  };
  void listing_changed();

  mutable std::shared_mutex mutex_;
  std::unordered_map<BlsPublicKey, Entry, PublicKeyHash> keys_;
  std::unordered_set<BlsPublicKey, PublicKeyHash> canary_list_;
  // Sorted listing cached between changes; rebuilt lazily by public_keys().
  mutable std::mutex listing_mutex_;
  mutable std::shared_ptr<const std::vector<BlsPublicKey>> listing_;
};

}  // namespace cc::keys
