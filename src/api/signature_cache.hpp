#pragma once
// SignatureCache remembers recent signatures of messages without slashing risk, by public key
// and signing root, so that an identical request (a selection proof asked again, the builder
// registrations validator clients re-send every epoch) is answered without a second BLS
// signature. BLS signatures are deterministic: a cached signature is exactly what signing
// again would give, so the cache changes the cost of an answer, never the answer.
//
// The signing service consults it only after every check a request goes through (canary,
// authorisation, signing root, key loaded), and never for blocks and attestations: those are
// decided by the anti-slashing database each time, identical re-signs included.
//
// Bounded: two generations of at most capacity/2 entries each; when the young one is full it
// becomes the old one and the old one is dropped, so memory stays under `capacity` entries
// (about 200 bytes each) without a per-entry recency list. A hit in the old generation moves
// the entry to the young one. Thread-safe (one mutex; each operation is a hash lookup).
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "core/bytes.hpp"

namespace cc::api {

class SignatureCache {
 public:
  // capacity 0: disabled (find() always misses, insert() keeps nothing).
  explicit SignatureCache(std::size_t capacity);

  std::optional<BlsSignature> find(const BlsPublicKey& public_key, const Root& signing_root);
  void insert(const BlsPublicKey& public_key, const Root& signing_root, const BlsSignature& signature);

  std::size_t size() const;
  std::uint64_t hits() const { return hits_.load(std::memory_order_relaxed); }
  std::size_t capacity() const { return 2 * generation_limit_; }

 private:
  struct Key {
    BlsPublicKey public_key;
    Root signing_root;
    bool operator==(const Key&) const = default;
  };
  struct KeyHash {
    std::size_t operator()(const Key& k) const;
  };
  using Generation = std::unordered_map<Key, BlsSignature, KeyHash>;
  // When the young generation is full: it becomes the old one, and the old one moves to `dropped`.
  void rotate_if_full(Generation& dropped);

  const std::size_t generation_limit_;
  mutable std::mutex mu_;
  Generation young_, old_;
  std::atomic<std::uint64_t> hits_{0};
};

}  // namespace cc::api
