#include "crypto/keystore_cipher.hpp"

#include <openssl/evp.h>

#include <climits>
#include <memory>

namespace cc::crypto {

Status aes128_ctr(std::span<const std::uint8_t> decryption_key, const Bytes<16>& iv, std::span<const std::uint8_t> in,
                  std::span<std::uint8_t> out) {
  if (decryption_key.size() < 16 || out.size() != in.size() || in.size() > INT_MAX) {
    return Error::internal("aes-128-ctr: bad buffer sizes");
  }
  // EVP_CIPHER_CTX_free wipes the expanded key schedule.
  std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)> ctx(EVP_CIPHER_CTX_new(), &EVP_CIPHER_CTX_free);
  if (!ctx) return Error::internal("aes-128-ctr: out of memory");
  int written = 0;
  int final_len = 0;
  if (EVP_EncryptInit_ex(ctx.get(), EVP_aes_128_ctr(), nullptr, decryption_key.data(), iv.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.data(), &written, in.data(), static_cast<int>(in.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.data() + written, &final_len) != 1 ||
      static_cast<std::size_t>(written + final_len) != in.size()) {
    return Error::internal("aes-128-ctr failed");
  }
  return {};
}

Result<Bytes<32>> keystore_checksum(std::span<const std::uint8_t> decryption_key,
                                    std::span<const std::uint8_t> cipher_message) {
  if (decryption_key.size() < 32) return Error::internal("checksum: decryption key shorter than 32 bytes");
  Bytes<32> digest{};
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> ctx(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  unsigned int len = 0;
  if (!ctx || EVP_DigestInit_ex(ctx.get(), EVP_sha256(), nullptr) != 1 ||
      EVP_DigestUpdate(ctx.get(), decryption_key.data() + 16, 16) != 1 ||
      EVP_DigestUpdate(ctx.get(), cipher_message.data(), cipher_message.size()) != 1 ||
      EVP_DigestFinal_ex(ctx.get(), digest.data(), &len) != 1 || len != digest.size()) {
    return Error::internal("sha256 failed");
  }
  return digest;
}

}  // namespace cc::crypto
