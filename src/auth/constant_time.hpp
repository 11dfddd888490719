#pragma once
// Comparison of secrets-derived bytes (token digests) whose timing reveals nothing: the time
// depends only on the lengths (public: digests have a fixed size), never on the contents or on
// where two inputs first differ. Built on OpenSSL's CRYPTO_memcmp, which is written so the
// compiler cannot turn it back into an early-exit loop. Thread-safe (pure).
#include <cstdint>
#include <span>

namespace cc::auth {

// True when `a` and `b` have the same length and the same bytes.
bool constant_time_equal(std::span<const std::uint8_t> a, std::span<const std::uint8_t> b);

}  // namespace cc::auth
