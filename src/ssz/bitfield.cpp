#include "ssz/bitfield.hpp"

#include <bit>
#include <string>

namespace cc::ssz {

Result<BitlistBits> parse_bitlist(std::span<const std::uint8_t> serialized, std::uint64_t limit_bits) {
  // The last byte's highest set bit marks the end; without it the length is undefined.
  if (serialized.empty()) return Error::invalid("bitlist is empty (missing the length delimiter bit)");
  const std::uint8_t last = serialized.back();
  if (last == 0) return Error::invalid("bitlist has no length delimiter bit (last byte is zero)");
  const unsigned delimiter = static_cast<unsigned>(std::bit_width(last)) - 1;
  BitlistBits out;
  out.length = (serialized.size() - 1) * 8 + delimiter;
  if (out.length > limit_bits) {
    return Error::invalid("bitlist has " + std::to_string(out.length) + " bits, limit is " +
                          std::to_string(limit_bits));
  }
  out.bytes.assign(serialized.begin(), serialized.end());
  out.bytes.back() = static_cast<std::uint8_t>(last & ~(1U << delimiter));
  if (delimiter == 0) out.bytes.pop_back();  // the delimiter opened a byte of its own
  return out;
}

Root bitlist_root(const BitlistBits& bits, std::uint64_t limit_bits) {
  return mix_in_length(packed_bytes_root(bits.bytes, (limit_bits + 255) / 256), bits.length);
}

Status check_bitvector(std::span<const std::uint8_t> serialized, std::uint64_t length_bits) {
  const std::uint64_t want = (length_bits + 7) / 8;
  if (serialized.size() != want) {
    return Error::invalid("bitvector of " + std::to_string(length_bits) + " bits needs " + std::to_string(want) +
                          " bytes, got " + std::to_string(serialized.size()));
  }
  const unsigned used_in_last = static_cast<unsigned>(length_bits % 8);
  if (used_in_last != 0 && (serialized.back() >> used_in_last) != 0) {
    return Error::invalid("bitvector has bits set beyond its length " + std::to_string(length_bits));
  }
  return {};
}

}  // namespace cc::ssz
