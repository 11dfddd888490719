#pragma once
// AES-256-GCM for the chamber's small secrets (operator shares under the outer key and under a
// passphrase-derived key): seal() returns nonce (12 random bytes) || ciphertext || tag (16), and
// `associated_data` binds the blob to what it is for (a label, the master key id, the operator),
// so a blob moved to another purpose or operator fails to open instead of decrypting.
// Thread-safe (no shared state). The key is 32 bytes; plaintext comes back in a zeroising buffer.
#include <cstdint>
#include <span>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/secret_buffer.hpp"

namespace cc::crypto {

ByteVector aead_seal(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> plaintext,
                     std::string_view associated_data);

// invalid_argument when the blob is malformed or does not authenticate under `key` and
// `associated_data` (wrong key, other purpose, tampered with); the message says which.
Result<SecretBuffer> aead_open(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> blob,
                               std::string_view associated_data);

}  // namespace cc::crypto
