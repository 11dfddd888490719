// EIP-2335 keystore parsing: structure, hex lengths and KDF bounds are checked before any work;
// when the parsed KDF is cheap the decryption path runs too (a wrong password must be refused).
#include "crypto/keystore.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto keystore = cc::crypto::parse_keystore(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!keystore) return 0;
  const auto& kdf = keystore->kdf;
  const bool cheap = kdf.kind == cc::crypto::KdfKind::scrypt ? kdf.n <= 1024 && kdf.r <= 8 && kdf.p <= 2 : kdf.c <= 1024;
  if (cheap) (void)cc::crypto::decrypt_keystore(*keystore, "fuzz");
  return 0;
}
