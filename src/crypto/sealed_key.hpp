#pragma once
// Validator keys at rest under a master key (the DynamoDB key source): AES-256-GCM with a random
// 96-bit nonce, the key's 32-byte big-endian scalar as plaintext, and as associated data a
// format label, the master key's id and the validator public key. So a ciphertext cannot be
// moved to another public key or read as sealed under another master key version: either shows
// up as an authentication failure, never as a wrong key. Opening also checks that the
// decrypted scalar yields the stated public key.
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/bls.hpp"

namespace cc::crypto {

struct MasterKey {
  std::string id;          // names the master key version ("m1"), bound into every ciphertext
  SecretBytes<32> secret;  // AES-256 key
};

struct SealedKey {
  BlsPublicKey public_key{};
  std::string master_key_id;
  ByteVector nonce;       // 12 bytes
  ByteVector ciphertext;  // 32 bytes of ciphertext, then the 16-byte tag
};

SealedKey seal_key(const MasterKey& master, const SecretKey& key);

// The key, or an Error: invalid_argument when the master key id differs, the sizes are wrong,
// authentication fails (tampered, or sealed under another master key or for another public
// key), or the scalar does not give the stated public key. Messages name the public key.
Result<SecretKey> open_sealed_key(const MasterKey& master, const SealedKey& sealed);

}  // namespace cc::crypto
