#pragma once
// EIP-2335 (version 4) BLS12-381 keystores: parsing, decryption and encryption.
//
//   parse_keystore()   JSON text -> Keystore (structure only, no password needed, cheap)
//   decrypt_keystore() Keystore + password -> SecretKey (runs the KDF: up to ~1 s and
//                      kdf_memory_bytes() of RAM for standard scrypt)
//   encrypt_keystore() SecretKey + password -> keystore JSON text
//
// All functions are thread-safe (no shared state). Failures come back as Result errors whose
// messages name the field or the check that failed ("crypto.kdf.params.n: ...",
// "wrong password or corrupted keystore", "pubkey mismatch: ...") and never contain the
// password, the decryption key or the secret. Every intermediate secret (processed password,
// decryption key, plaintext) is held in wiped buffers.
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/bls.hpp"
#include "crypto/kdf.hpp"

namespace cc::crypto {

struct Keystore {
  KdfParams kdf;                       // crypto.kdf.function + params
  Bytes<32> checksum{};                // crypto.checksum.message (function "sha256")
  Bytes<16> iv{};                      // crypto.cipher.params.iv (function "aes-128-ctr")
  Bytes<32> cipher_message{};          // crypto.cipher.message: the encrypted 32-byte secret
  std::optional<BlsPublicKey> pubkey;  // absent when the field is missing or ""
  std::string path;                    // EIP-2334 path, "" when unknown
  std::string uuid;
  std::string description;
};

// Parses and validates structure: version 4, known functions, hex lengths, KDF bounds.
Result<Keystore> parse_keystore(std::string_view json_text);

// Derives the decryption key from the EIP-2335-processed password, checks the checksum in
// constant time ("wrong password or corrupted keystore"), decrypts, validates the scalar,
// and, when the keystore states a pubkey, requires it to equal the derived one
// ("pubkey mismatch: ...").
Result<SecretKey> decrypt_keystore(const Keystore& keystore, std::string_view password);

// Working memory decrypt_keystore() needs for this keystore: 128*r*n for scrypt, 0 for pbkdf2.
std::size_t kdf_memory_bytes(const Keystore& keystore);

// A version-4 keystore JSON for `key`: random 32-byte salt (unless params.salt is set) and
// IV, random UUID v4, pubkey, path "". Throws std::invalid_argument if the password is not
// valid UTF-8 or the params are out of bounds, std::runtime_error if OpenSSL fails.
std::string encrypt_keystore(const SecretKey& key, std::string_view password, const KdfParams& params);

}  // namespace cc::crypto
