#pragma once
// SSZ bitfields (consensus-specs ssz/simple-serialize.md, "Bitvector[N]" / "Bitlist[N]").
// Bits are kept packed little-endian-first exactly as SSZ serializes them; a Bitlist keeps its
// bit count separately (the serialized delimiter bit is stripped on parse). parse() validates
// the wire form and returns an Error that says what is wrong; it never throws.
#include <algorithm>
#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "ssz/merkle.hpp"

namespace cc::ssz {

// Untyped helpers behind Bitlist<N> / Bitvector<N>.
struct BitlistBits {
  ByteVector bytes;          // ceil(length / 8) bytes; bits at positions >= length are zero
  std::uint64_t length = 0;  // number of bits
};
Result<BitlistBits> parse_bitlist(std::span<const std::uint8_t> serialized, std::uint64_t limit_bits);
Root bitlist_root(const BitlistBits& bits, std::uint64_t limit_bits);
Status check_bitvector(std::span<const std::uint8_t> serialized, std::uint64_t length_bits);

// Bitlist[N]: variable length up to N bits.
template <std::uint64_t N>
struct Bitlist {
  static constexpr std::uint64_t kLimit = N;
  BitlistBits bits;

  // Accepts the SSZ serialization including the delimiter bit.
  static Result<Bitlist> parse(std::span<const std::uint8_t> serialized) {
    auto r = parse_bitlist(serialized, N);
    if (!r) return r.error();
    return Bitlist{std::move(r).value()};
  }
  Root hash_tree_root() const { return bitlist_root(bits, N); }
};

// Bitvector[N]: exactly N bits in ceil(N / 8) bytes.
template <std::uint64_t N>
struct Bitvector {
  static constexpr std::uint64_t kLength = N;
  Bytes<(N + 7) / 8> bytes{};

  // Accepts exactly ceil(N / 8) bytes whose bits past N are zero.
  static Result<Bitvector> parse(std::span<const std::uint8_t> serialized) {
    if (auto s = check_bitvector(serialized, N); !s) return s.error();
    Bitvector v;
    if (serialized.size() != v.bytes.size()) return Error::invalid("bitvector has the wrong length");  // checked above too
    std::copy(serialized.begin(), serialized.end(), v.bytes.begin());
    return v;
  }
  Root hash_tree_root() const { return packed_bytes_root(bytes, (N + 255) / 256); }
};

}  // namespace cc::ssz
