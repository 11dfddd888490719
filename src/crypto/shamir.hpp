#pragma once
// Shamir secret sharing of a 32-byte secret (the chamber's master key) over GF(2^8), byte-wise:
// any `threshold` of `count` shares rebuild it, fewer reveal nothing. Shares are authenticated:
// the split also returns a commitment (SHA-256 of a label and the secret) that the caller
// stores beside the wrapped shares, so a reconstruction from a corrupted or foreign share is
// detected instead of yielding a wrong master key; with more shares than the threshold, the
// subsets are tried until one matches, which also names the bad shares.
#include <cstdint>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::crypto {

struct Share {
  std::uint8_t x = 0;  // 1..255, distinct per share
  Bytes<32> y{};
};

struct Split {
  std::vector<Share> shares;
  Bytes<32> commitment{};
};

// invalid_argument unless 1 <= threshold <= count <= 255. Coefficients from OpenSSL's DRBG.
Result<Split> shamir_split(const SecretBytes<32>& secret, unsigned count, unsigned threshold);

// The secret from `shares` (at least `threshold` of them, any order), checked against
// `commitment`. Errors: invalid_argument for fewer than `threshold` shares, duplicate x, x = 0,
// or when no subset of `threshold` shares matches the commitment (the message counts them).
// `bad` (optional) receives the x of every share that disagrees with the rebuilt secret.
Result<SecretBytes<32>> shamir_combine(const std::vector<Share>& shares, unsigned threshold,
                                       const Bytes<32>& commitment, std::vector<std::uint8_t>* bad = nullptr);

}  // namespace cc::crypto
