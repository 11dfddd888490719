#pragma once
// The two EIP-2335 primitives shared by keystore decryption and encryption:
// AES-128-CTR ("Secret decryption", RFC 3686 counter mode, key = decryption_key[0:16])
// and the SHA-256 checksum ("Password verification", SHA256(decryption_key[16:32] | cipher_message)).
// Internal to the crypto layer. Thread-safe (OpenSSL EVP contexts are per call).
#include <cstdint>
#include <span>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::crypto {

// out.size() must equal in.size(). CTR mode: the same call encrypts and decrypts.
Status aes128_ctr(std::span<const std::uint8_t> decryption_key, const Bytes<16>& iv, std::span<const std::uint8_t> in,
                  std::span<std::uint8_t> out);

// decryption_key must hold at least 32 bytes. Fails only if OpenSSL cannot allocate.
Result<Bytes<32>> keystore_checksum(std::span<const std::uint8_t> decryption_key, std::span<const std::uint8_t> cipher_message);

}  // namespace cc::crypto
