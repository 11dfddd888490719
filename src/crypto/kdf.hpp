#pragma once
// EIP-2335 key derivation: scrypt (RFC 7914) and PBKDF2-HMAC-SHA256 (RFC 2898) through
// OpenSSL. Turns a processed password into the keystore's "decryption key".
//
// Thread-safe (no shared state). derive_decryption_key() refuses parameters that are
// malformed or would need unreasonable memory/time (see kdf.cpp for the bounds) before any
// work starts, so a hostile keystore cannot exhaust the host; errors name the parameter and
// never contain the password or the key.
#include <cstddef>
#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/secret_buffer.hpp"

namespace cc::crypto {

enum class KdfKind { scrypt, pbkdf2 };

struct KdfParams {
  KdfKind kind = KdfKind::scrypt;
  std::uint32_t dklen = 32;
  // scrypt
  std::uint64_t n = 262144;
  std::uint32_t r = 8;
  std::uint32_t p = 1;
  // pbkdf2 (prf is always hmac-sha256)
  std::uint32_t c = 262144;
  // Empty in params passed to encrypt_keystore() means "generate 32 random bytes".
  ByteVector salt;

  // The parameters of the EIP-2335 test vectors and of staking-deposit-cli
  // (scrypt n=2^18 r=8 p=1, pbkdf2 c=2^18).
  static KdfParams standard(KdfKind kind);
  // Tiny work factors (scrypt n=2^4, pbkdf2 c=16) for tests and demos only: such keystores
  // give almost no protection to the password.
  static KdfParams light(KdfKind kind);
};

// Bytes of working memory one derivation needs: 128*r*n for scrypt, 0 for pbkdf2.
std::size_t kdf_memory_bytes(const KdfParams& params);

// Checks the bounds derive_decryption_key() applies; the message names the parameter.
Status validate_kdf_params(const KdfParams& params);

// Derives params.dklen bytes from the processed password.
Result<SecretBuffer> derive_decryption_key(const KdfParams& params, std::span<const std::uint8_t> password);

const char* kdf_name(KdfKind kind);

}  // namespace cc::crypto
