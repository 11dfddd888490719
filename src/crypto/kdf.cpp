#include "crypto/kdf.hpp"

#include <openssl/evp.h>

#include <climits>
#include <string>

namespace cc::crypto {
namespace {

// Bounds that accept every keystore produced by real tooling (scrypt n=2^18 r=8 p=1,
// pbkdf2 c=2^18) with ample headroom, and refuse ones built to exhaust memory or CPU.
constexpr std::uint64_t kMaxScryptMemory = std::uint64_t{4} << 30;  // 4 GiB
constexpr std::uint64_t kMaxScryptP = 16;
constexpr std::uint32_t kMaxPbkdf2Iterations = 1u << 26;
constexpr std::uint32_t kMinDkLen = 32;  // EIP-2335 uses dk[0:16] for AES and dk[16:32] for the checksum
constexpr std::uint32_t kMaxDkLen = 64;
constexpr std::size_t kMaxSaltLen = 1024;

bool is_power_of_two(std::uint64_t v) { return v >= 2 && (v & (v - 1)) == 0; }

}  // namespace

KdfParams KdfParams::standard(KdfKind kind) {
  KdfParams p;
  p.kind = kind;
  return p;
}

KdfParams KdfParams::light(KdfKind kind) {
  KdfParams p;
  p.kind = kind;
  p.n = 16;
  p.c = 16;
  return p;
}

const char* kdf_name(KdfKind kind) { return kind == KdfKind::scrypt ? "scrypt" : "pbkdf2"; }

std::size_t kdf_memory_bytes(const KdfParams& params) {
  if (params.kind != KdfKind::scrypt) return 0;
  if (params.r == 0 || params.n > kMaxScryptMemory / 128 / params.r) return static_cast<std::size_t>(kMaxScryptMemory);
  return static_cast<std::size_t>(128 * std::uint64_t{params.r} * params.n);
}

Status validate_kdf_params(const KdfParams& params) {
  if (params.dklen < kMinDkLen || params.dklen > kMaxDkLen) {
    return Error::invalid("kdf.params.dklen must be between 32 and 64, got " + std::to_string(params.dklen));
  }
  if (params.salt.size() > kMaxSaltLen) return Error::invalid("kdf.params.salt is longer than 1024 bytes");
  if (params.kind == KdfKind::pbkdf2) {
    if (params.c == 0 || params.c > kMaxPbkdf2Iterations) {
      return Error::invalid("kdf.params.c must be between 1 and 2^26, got " + std::to_string(params.c));
    }
    return {};
  }
  if (!is_power_of_two(params.n)) {
    return Error::invalid("kdf.params.n must be a power of two >= 2, got " + std::to_string(params.n));
  }
  if (params.r == 0) return Error::invalid("kdf.params.r must be positive");
  if (params.p == 0 || params.p > kMaxScryptP) {
    return Error::invalid("kdf.params.p must be between 1 and 16, got " + std::to_string(params.p));
  }
  if (params.n > kMaxScryptMemory / 128 / params.r) {
    return Error::invalid("kdf.params: scrypt n*r needs more than 4 GiB of memory");
  }
  return {};
}

Result<SecretBuffer> derive_decryption_key(const KdfParams& params, std::span<const std::uint8_t> password) {
  if (auto ok = validate_kdf_params(params); !ok) return ok.error();
  // OpenSSL reads the password through a char pointer; an empty password needs a valid one.
  static const char kEmpty = 0;
  const char* pass = password.empty() ? &kEmpty : reinterpret_cast<const char*>(password.data());
  const auto* salt =
      params.salt.empty() ? reinterpret_cast<const unsigned char*>(&kEmpty) : params.salt.data();
  SecretBuffer key(params.dklen);

  if (params.kind == KdfKind::pbkdf2) {
    if (password.size() > INT_MAX) return Error::invalid("password is too long");
    const int ok = PKCS5_PBKDF2_HMAC(pass, static_cast<int>(password.size()), salt,
                                     static_cast<int>(params.salt.size()), static_cast<int>(params.c), EVP_sha256(),
                                     static_cast<int>(key.size()), key.data());
    if (ok != 1) return Error::internal("PBKDF2 key derivation failed");
    return key;
  }

  // OpenSSL's scrypt refuses to run above `maxmem`; allow exactly what these parameters need
  // (V = 128*r*(n+2), B = 128*r*p) plus slack, after validate_kdf_params() bounded them.
  const std::uint64_t maxmem = 128 * std::uint64_t{params.r} * (params.n + 2 + params.p) + (1u << 20);
  const int ok = EVP_PBE_scrypt(pass, password.size(), salt, params.salt.size(), params.n, params.r,
                                params.p, maxmem, key.data(), key.size());
  if (ok != 1) return Error::internal("scrypt key derivation failed (out of memory?)");
  return key;
}

}  // namespace cc::crypto
