#include "ssz/merkle.hpp"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <stdexcept>

namespace cc::ssz {

const Root& zero_hash(unsigned depth) {
  static const std::array<Root, kMaxTreeDepth + 1> table = [] {
    std::array<Root, kMaxTreeDepth + 1> t{};
    for (unsigned d = 1; d <= kMaxTreeDepth; ++d) t[d] = hash_pair(t[d - 1], t[d - 1]);
    return t;
  }();
  if (depth > kMaxTreeDepth) throw std::length_error("ssz: tree depth beyond kMaxTreeDepth");
  return table[depth];
}

unsigned tree_depth(std::uint64_t chunk_limit) {
  if (chunk_limit <= 1) return 0;
  return static_cast<unsigned>(std::bit_width(chunk_limit - 1));
}

Merkleizer::Merkleizer(std::uint64_t chunk_limit) : limit_(chunk_limit), depth_(tree_depth(chunk_limit)) {
  if (depth_ > kMaxTreeDepth) throw std::length_error("ssz: chunk limit too large");
}

void Merkleizer::add(const Root& chunk) {
  if (count_ >= limit_) throw std::length_error("ssz: more chunks than the limit");
  // Carry like a binary counter: each set low bit of count_ is a finished left sibling.
  Root node = chunk;
  unsigned level = 0;
  while ((count_ >> level) & 1U) {
    node = hash_pair(partial_[level], node);
    ++level;
  }
  partial_[level] = node;
  ++count_;
}

Root Merkleizer::finish() const {
  if (count_ == 0) return zero_hash(depth_);
  if (count_ == (std::uint64_t{1} << depth_)) return partial_[depth_];
  // Fold the pending subtrees from the smallest up, padding each missing right side with the
  // zero subtree of the same height.
  Root node{};
  bool have = false;
  for (unsigned level = 0; level < depth_; ++level) {
    if ((count_ >> level) & 1U) {
      node = hash_pair(partial_[level], have ? node : zero_hash(level));
      have = true;
    } else if (have) {
      node = hash_pair(node, zero_hash(level));
    }
  }
  return node;
}

Root merkleize(std::span<const Root> chunks, std::uint64_t limit) {
  Merkleizer m(limit);
  for (const Root& c : chunks) m.add(c);
  return m.finish();
}

Root mix_in_length(const Root& root, std::uint64_t length) { return hash_pair(root, uint64_root(length)); }

Root uint64_root(std::uint64_t value) {
  Root chunk{};
  for (std::size_t i = 0; i < 8; ++i) chunk[i] = static_cast<std::uint8_t>(value >> (8 * i));
  return chunk;
}

Root packed_bytes_root(std::span<const std::uint8_t> bytes, std::uint64_t chunk_limit) {
  Merkleizer m(chunk_limit);
  for (std::size_t off = 0; off < bytes.size(); off += 32) {
    Root chunk{};
    const std::size_t n = std::min<std::size_t>(32, bytes.size() - off);
    std::memcpy(chunk.data(), bytes.data() + off, n);
    m.add(chunk);
  }
  return m.finish();
}

Root uint64_list_root(std::span<const std::uint64_t> values, std::uint64_t limit) {
  if (values.size() > limit) throw std::length_error("ssz: more list elements than the limit");
  Merkleizer m((limit * 8 + 31) / 32);
  for (std::size_t off = 0; off < values.size(); off += 4) {
    Root chunk{};
    for (std::size_t j = 0; j < 4 && off + j < values.size(); ++j) {
      for (std::size_t b = 0; b < 8; ++b) chunk[8 * j + b] = static_cast<std::uint8_t>(values[off + j] >> (8 * b));
    }
    m.add(chunk);
  }
  return mix_in_length(m.finish(), values.size());
}

}  // namespace cc::ssz
