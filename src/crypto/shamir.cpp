#include "crypto/shamir.hpp"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <string_view>

namespace cc::crypto {

namespace {

constexpr std::string_view kCommitmentLabel = "containment-chamber master key commitment v1";

// GF(2^8) with the AES polynomial x^8 + x^4 + x^3 + x + 1, constant time (no tables indexed by
// secret values).
std::uint8_t gf_mul(std::uint8_t a, std::uint8_t b) {
  std::uint8_t r = 0;
  for (int i = 0; i < 8; ++i) {
    r ^= static_cast<std::uint8_t>(-(b & 1) & a);
    const std::uint8_t carry = static_cast<std::uint8_t>(-(a >> 7));
    a = static_cast<std::uint8_t>((a << 1) ^ (carry & 0x1b));
    b >>= 1;
  }
  return r;
}

std::uint8_t gf_inv(std::uint8_t a) {  // a^254 (a != 0)
  std::uint8_t r = 1, base = a;
  for (int e = 254; e > 0; e >>= 1) {
    if (e & 1) r = gf_mul(r, base);
    base = gf_mul(base, base);
  }
  return r;
}

Bytes<32> commit(const std::uint8_t* secret) {
  std::vector<std::uint8_t> in(kCommitmentLabel.begin(), kCommitmentLabel.end());
  in.insert(in.end(), secret, secret + 32);
  Bytes<32> out{};
  SHA256(in.data(), in.size(), out.data());
  OPENSSL_cleanse(in.data(), in.size());
  return out;
}

// Lagrange interpolation at 0 over `subset`.
SecretBytes<32> interpolate(const std::vector<const Share*>& subset) {
  SecretBytes<32> out;
  std::fill(out.data(), out.data() + 32, 0);
  for (std::size_t i = 0; i < subset.size(); ++i) {
    std::uint8_t num = 1, den = 1;
    for (std::size_t j = 0; j < subset.size(); ++j) {
      if (i == j) continue;
      num = gf_mul(num, subset[j]->x);
      den = gf_mul(den, static_cast<std::uint8_t>(subset[i]->x ^ subset[j]->x));
    }
    const std::uint8_t li = gf_mul(num, gf_inv(den));
    for (int b = 0; b < 32; ++b) out.data()[b] ^= gf_mul(subset[i]->y[b], li);
  }
  return out;
}

// The share at x of the polynomial through `subset` (to check the shares left out).
std::uint8_t eval_at(const std::vector<const Share*>& subset, std::uint8_t x, int b) {
  std::uint8_t sum = 0;
  for (std::size_t i = 0; i < subset.size(); ++i) {
    std::uint8_t num = 1, den = 1;
    for (std::size_t j = 0; j < subset.size(); ++j) {
      if (i == j) continue;
      num = gf_mul(num, static_cast<std::uint8_t>(x ^ subset[j]->x));
      den = gf_mul(den, static_cast<std::uint8_t>(subset[i]->x ^ subset[j]->x));
    }
    sum ^= gf_mul(subset[i]->y[b], gf_mul(num, gf_inv(den)));
  }
  return sum;
}

}  // namespace

Result<Split> shamir_split(const SecretBytes<32>& secret, unsigned count, unsigned threshold) {
  if (threshold < 1 || threshold > count || count > 255) {
    return Error::invalid("shares: need 1 <= threshold (" + std::to_string(threshold) + ") <= count (" +
                          std::to_string(count) + ") <= 255");
  }
  Split out;
  out.commitment = commit(secret.data());
  // Per byte, a random polynomial of degree threshold-1 whose constant term is the secret byte.
  std::vector<std::uint8_t> coefficients(static_cast<std::size_t>(threshold - 1) * 32);
  if (!coefficients.empty() && RAND_bytes(coefficients.data(), static_cast<int>(coefficients.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  for (unsigned s = 1; s <= count; ++s) {
    Share share;
    share.x = static_cast<std::uint8_t>(s);
    for (int b = 0; b < 32; ++b) {
      // Horner: ((c_{t-1} x + c_{t-2}) x + ...) x + secret
      std::uint8_t acc = 0;
      for (unsigned k = threshold - 1; k >= 1; --k) {
        acc = static_cast<std::uint8_t>(gf_mul(acc, share.x) ^ coefficients[(k - 1) * 32 + static_cast<unsigned>(b)]);
      }
      share.y[b] = static_cast<std::uint8_t>(gf_mul(acc, share.x) ^ secret.data()[b]);
    }
    out.shares.push_back(share);
  }
  OPENSSL_cleanse(coefficients.data(), coefficients.size());
  return out;
}

Result<SecretBytes<32>> shamir_combine(const std::vector<Share>& shares, unsigned threshold,
                                       const Bytes<32>& commitment, std::vector<std::uint8_t>* bad) {
  if (threshold < 1) return Error::invalid("threshold must be at least 1");
  std::set<std::uint8_t> xs;
  for (const auto& s : shares) {
    if (s.x == 0) return Error::invalid("a share has x = 0");
    if (!xs.insert(s.x).second) return Error::invalid("share " + std::to_string(s.x) + " is given twice");
  }
  if (shares.size() < threshold) {
    return Error::invalid(std::to_string(shares.size()) + " shares given, " + std::to_string(threshold) + " needed");
  }
  // Every subset of `threshold` shares, in order, until one rebuilds the committed secret.
  std::vector<bool> pick(shares.size(), false);
  std::fill(pick.begin(), pick.begin() + threshold, true);
  do {
    std::vector<const Share*> subset;
    for (std::size_t i = 0; i < shares.size(); ++i) {
      if (pick[i]) subset.push_back(&shares[i]);
    }
    auto secret = interpolate(subset);
    const auto c = commit(secret.data());
    if (CRYPTO_memcmp(c.data(), commitment.data(), c.size()) == 0) {
      if (bad != nullptr) {
        bad->clear();
        for (const auto& s : shares) {
          for (int b = 0; b < 32; ++b) {
            if (eval_at(subset, s.x, b) != s.y[b]) {
              bad->push_back(s.x);
              break;
            }
          }
        }
      }
      return secret;
    }
  } while (std::prev_permutation(pick.begin(), pick.end()));
  return Error::invalid("no " + std::to_string(threshold) + " of the " + std::to_string(shares.size()) +
                        " shares rebuild the master key (a share is corrupted or belongs to another key)");
}

}  // namespace cc::crypto
