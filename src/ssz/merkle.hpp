#pragma once
// SSZ merkleization (consensus-specs ssz/simple-serialize.md, "Merkleization"): chunk packing,
// merkleize with a chunk limit, mix_in_length, and hash_tree_root of basic values and byte
// vectors. Merkleizer streams chunks through a fixed stack of partial nodes, so no function
// here allocates. Thread-safe; limits are the caller's contract (exceeding one throws
// std::length_error, a programming error because decoders enforce limits first).
#include <cstdint>
#include <initializer_list>
#include <span>

#include "core/bytes.hpp"
#include "ssz/sha256.hpp"

namespace cc::ssz {

// Deep enough for any limit in the consensus types (the largest, 2^40 validators, needs 40).
inline constexpr unsigned kMaxTreeDepth = 48;

// Root of a tree of 2^depth zero chunks (zerohashes[depth] in the spec).
const Root& zero_hash(unsigned depth);

// Smallest d with 2^d >= chunk_limit (0 for limits 0 and 1).
unsigned tree_depth(std::uint64_t chunk_limit);

// merkleize(chunks, limit) fed one chunk at a time.
class Merkleizer {
 public:
  explicit Merkleizer(std::uint64_t chunk_limit);

  void add(const Root& chunk);
  std::uint64_t count() const { return count_; }
  // Root of the tree padded with zero chunks up to the next power of two of the limit.
  Root finish() const;

 private:
  Root partial_[kMaxTreeDepth + 1];  // partial_[l]: complete left subtree of 2^l chunks, valid if bit l of count_
  std::uint64_t count_ = 0;
  std::uint64_t limit_;
  unsigned depth_;
};

// merkleize(chunks, limit); limit must be >= chunks.size().
Root merkleize(std::span<const Root> chunks, std::uint64_t limit);

// hash_tree_root of a container from its field roots, in declaration order.
inline Root container_root(std::initializer_list<Root> field_roots) {
  return merkleize(std::span<const Root>(field_roots.begin(), field_roots.size()), field_roots.size());
}

// mix_in_length(root, length): hash(root, uint256 little-endian length).
Root mix_in_length(const Root& root, std::uint64_t length);

// hash_tree_root(uint64): the little-endian value in one zero-padded chunk.
Root uint64_root(std::uint64_t value);

// Packs bytes into 32-byte chunks (last one zero-padded) and merkleizes them with a chunk limit.
Root packed_bytes_root(std::span<const std::uint8_t> bytes, std::uint64_t chunk_limit);

// hash_tree_root of ByteVector[N] (Bytes32 roots are their own root; BLS keys and signatures
// span two and three chunks).
template <std::size_t N>
Root bytes_root(const Bytes<N>& bytes) {
  return packed_bytes_root(bytes, (N + 31) / 32);
}

// hash_tree_root of List[uint64, limit].
Root uint64_list_root(std::span<const std::uint64_t> values, std::uint64_t limit);

// hash_tree_root of List[T, limit] for composite T, given T's hash_tree_root function.
template <class Range, class HashTreeRoot>
Root composite_list_root(const Range& items, std::uint64_t limit, HashTreeRoot&& htr) {
  Merkleizer m(limit);
  for (const auto& item : items) m.add(htr(item));
  return mix_in_length(m.finish(), m.count());
}

}  // namespace cc::ssz
