#include "crypto/aead.hpp"

#include <openssl/evp.h>

#include <climits>
#include <memory>
#include <stdexcept>

#include "crypto/secure_random.hpp"

namespace cc::crypto {

namespace {

constexpr std::size_t kNonce = 12, kTag = 16;
using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

const unsigned char* bytes_of(std::string_view s) {
  return reinterpret_cast<const unsigned char*>(s.data());
}

}  // namespace

ByteVector aead_seal(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> plaintext,
                     std::string_view associated_data) {
  if (plaintext.size() > INT_MAX / 2 || associated_data.size() > INT_MAX / 2)
    throw std::length_error("aead_seal: too long");
  ByteVector out(kNonce + plaintext.size() + kTag);
  fill_random(std::span<std::uint8_t>(out.data(), kNonce));
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0, total = 0;
  bool ok = ctx && EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) == 1 &&
            EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), out.data()) == 1 &&
            EVP_EncryptUpdate(ctx.get(), nullptr, &len, bytes_of(associated_data),
                              static_cast<int>(associated_data.size())) == 1 &&
            EVP_EncryptUpdate(ctx.get(), out.data() + kNonce, &len, plaintext.data(),
                              static_cast<int>(plaintext.size())) == 1;
  total = len;
  ok = ok && EVP_EncryptFinal_ex(ctx.get(), out.data() + kNonce + total, &len) == 1 &&
       EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, out.data() + kNonce + plaintext.size()) == 1;
  if (!ok) throw std::runtime_error("AES-256-GCM encryption failed");
  return out;
}

Result<SecretBuffer> aead_open(std::span<const std::uint8_t, 32> key, std::span<const std::uint8_t> blob,
                               std::string_view associated_data) {
  if (blob.size() < kNonce + kTag || blob.size() > INT_MAX / 2 || associated_data.size() > INT_MAX / 2) {
    return Error::invalid("encrypted blob of " + std::to_string(blob.size()) + " bytes is malformed");
  }
  const std::size_t size = blob.size() - kNonce - kTag;
  SecretBuffer out(size);
  ByteVector tag(blob.end() - kTag, blob.end());
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  int len = 0;
  // A scratch byte so an empty plaintext still has a valid output pointer.
  std::uint8_t scratch = 0;
  std::uint8_t* dst = size == 0 ? &scratch : out.data();
  const bool ok = ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) == 1 &&
                  EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, key.data(), blob.data()) == 1 &&
                  EVP_DecryptUpdate(ctx.get(), nullptr, &len, bytes_of(associated_data),
                                    static_cast<int>(associated_data.size())) == 1 &&
                  EVP_DecryptUpdate(ctx.get(), dst, &len, blob.data() + kNonce, static_cast<int>(size)) == 1 &&
                  EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) == 1 &&
                  EVP_DecryptFinal_ex(ctx.get(), dst + len, &len) == 1;
  if (!ok) return Error::invalid("authentication failed (wrong key, another purpose, or tampered with)");
  return out;
}

}  // namespace cc::crypto
