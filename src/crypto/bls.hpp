#pragma once
// Ethereum consensus BLS signatures over BLS12-381 (min-pk: 48-byte G1 public keys,
// 96-byte G2 signatures), proof-of-possession ciphersuite
// "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_" as the consensus specs require.
// A thin wrapper over blst, called through the CPU-chosen build in blst_dispatch.hpp.
//
// SecretKey owns one scalar. It is move-only (a moved-from key is empty and must not be
// used), zeroised on destruction, and has no printing or formatting support. Its public
// key is computed once at construction. All const members are thread-safe: any number of
// threads may sign with one key at once (blst keeps no shared mutable state).
#include <cstdint>
#include <span>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::crypto {

class SecretKey {
 public:
  // `be32` is the 32-byte big-endian scalar (as in EIP-2335 keystores and Web3Signer
  // file-raw descriptors). Refuses other lengths, zero, and values >= the curve order r.
  static Result<SecretKey> from_bytes(std::span<const std::uint8_t> be32);

  // A fresh key: 32 bytes of IKM from OpenSSL RAND_bytes through blst_keygen (the
  // KeyGen of draft-irtf-cfrg-bls-signature). Throws std::runtime_error if the DRBG fails.
  static SecretKey generate();

  SecretKey(SecretKey&& other) noexcept;
  SecretKey& operator=(SecretKey&& other) noexcept;
  SecretKey(const SecretKey&) = delete;
  SecretKey& operator=(const SecretKey&) = delete;
  ~SecretKey();

  // Compressed G1 point.
  const BlsPublicKey& public_key() const { return public_key_; }

  // Signature over the 32-byte signing root (hash_to_G2 with the POP DST), compressed G2.
  BlsSignature sign(const Root& signing_root) const;

  // The big-endian scalar, for writing keystores only (encrypt_keystore). The caller owns
  // the copy; SecretBytes wipes it when it goes out of scope.
  SecretBytes<32> export_secret() const;

 private:
  SecretKey() = default;
  void derive_public_key();

  SecretBytes<32> scalar_;  // blst_scalar layout (little-endian limbs), never big-endian text
  BlsPublicKey public_key_{};
};

// CoreVerify with the POP DST. False for any malformed, off-curve, off-subgroup or
// infinity public key or signature, or a signature that does not match.
bool verify(const BlsPublicKey& pk, std::span<const std::uint8_t> message, const BlsSignature& sig);

// KeyValidate: the bytes decode to a G1 point in the prime-order subgroup, not infinity.
bool public_key_is_valid(const BlsPublicKey& pk);

// Which build of blst does the arithmetic: "adx" (mulx/adcx/adox, chosen when the CPU has
// ADX and BMI2) or "portable". Fixed for the life of the process; logged at start-up.
std::string_view blst_backend();

}  // namespace cc::crypto
