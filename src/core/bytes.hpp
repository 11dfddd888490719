#pragma once
// Fixed-size byte strings and 0x-hex conversion. Consensus values (roots, versions,
// keys, signatures) are fixed-size; lengths are checked where text becomes bytes.
#include <array>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"

namespace cc {

template <std::size_t N>
using Bytes = std::array<std::uint8_t, N>;

using Root = Bytes<32>;
using Version = Bytes<4>;
using DomainType = Bytes<4>;
using Domain = Bytes<32>;
using BlsPublicKey = Bytes<48>;
using BlsSignature = Bytes<96>;
using ByteVector = std::vector<std::uint8_t>;

// "0x" + lowercase hex.
std::string to_hex(std::span<const std::uint8_t> bytes);

// Accepts "0x"-prefixed (or bare) hex of any even length.
Result<ByteVector> from_hex(std::string_view text);

// Accepts hex of exactly N bytes; the error says how many bytes were given.
template <std::size_t N>
Result<Bytes<N>> from_hex_fixed(std::string_view text) {
  auto v = from_hex(text);
  if (!v) return v.error();
  if (v->size() != N) {
    return Error::invalid("expected " + std::to_string(N) + " bytes of hex, got " + std::to_string(v->size()));
  }
  Bytes<N> out{};
  for (std::size_t i = 0; i < N; ++i) out[i] = (*v)[i];
  return out;
}

// Decimal uint64 as consensus JSON writes it ("123"); rejects signs, spaces, leading '+',
// empty strings and values above 2^64-1.
Result<std::uint64_t> parse_uint64(std::string_view text);

// Standard base64 (RFC 4648, with padding). Decoding is strict: length a multiple of 4, only the
// alphabet, padding only at the end; the error says what is wrong.
std::string to_base64(std::span<const std::uint8_t> bytes);
Result<ByteVector> from_base64(std::string_view text);

// Overwrites memory in a way the optimiser cannot drop.
void secure_zero(void* data, std::size_t size);

// A fixed-size secret that is zeroised when it goes out of scope and never printed.
template <std::size_t N>
class SecretBytes {
 public:
  SecretBytes() = default;
  explicit SecretBytes(const Bytes<N>& b) : b_(b) {}
  SecretBytes(const SecretBytes&) = default;
  SecretBytes& operator=(const SecretBytes&) = default;
  ~SecretBytes() { secure_zero(b_.data(), N); }
  std::uint8_t* data() { return b_.data(); }
  const std::uint8_t* data() const { return b_.data(); }
  static constexpr std::size_t size() { return N; }
  std::span<const std::uint8_t, N> span() const { return std::span<const std::uint8_t, N>(b_); }

 private:
  Bytes<N> b_{};
};

}  // namespace cc
