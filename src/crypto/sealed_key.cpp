#include "crypto/sealed_key.hpp"

#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace cc::crypto {

namespace {

constexpr std::string_view kLabel = "containment-chamber sealed validator key v1";
constexpr std::size_t kNonce = 12, kTag = 16, kScalar = 32;

ByteVector associated_data(std::string_view master_id, const BlsPublicKey& pk) {
  ByteVector aad(kLabel.begin(), kLabel.end());
  aad.push_back(0);
  aad.insert(aad.end(), master_id.begin(), master_id.end());
  aad.push_back(0);
  aad.insert(aad.end(), pk.begin(), pk.end());
  return aad;
}

using Ctx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

SealedKey seal_key(const MasterKey& master, const SecretKey& key) {
  SealedKey out;
  out.public_key = key.public_key();
  out.master_key_id = master.id;
  out.nonce.resize(kNonce);
  if (RAND_bytes(out.nonce.data(), kNonce) != 1) throw std::runtime_error("RAND_bytes failed");
  const auto scalar = key.export_secret();
  const auto aad = associated_data(master.id, out.public_key);
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  out.ciphertext.resize(kScalar + kTag);
  int len = 0;
  if (!ctx || EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) != 1 ||
      EVP_EncryptInit_ex(ctx.get(), nullptr, nullptr, master.secret.data(), out.nonce.data()) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out.ciphertext.data(), &len, scalar.data(), kScalar) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out.ciphertext.data() + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, out.ciphertext.data() + kScalar) != 1) {
    throw std::runtime_error("AES-256-GCM encryption failed");
  }
  return out;
}

Result<SecretKey> open_sealed_key(const MasterKey& master, const SealedKey& sealed) {
  const std::string who = "sealed key " + to_hex(sealed.public_key);
  if (sealed.master_key_id != master.id) {
    return Error::invalid(who + ": sealed under master key '" + sealed.master_key_id + "', not the current '" +
                          master.id + "'");
  }
  if (sealed.nonce.size() != kNonce || sealed.ciphertext.size() != kScalar + kTag) {
    return Error::invalid(who + ": malformed (nonce or ciphertext of the wrong size)");
  }
  const auto aad = associated_data(master.id, sealed.public_key);
  Ctx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  SecretBytes<32> scalar;
  ByteVector tag(sealed.ciphertext.begin() + kScalar, sealed.ciphertext.end());
  int len = 0;
  const bool ok =
      ctx && EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, nullptr, nullptr) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_IVLEN, kNonce, nullptr) == 1 &&
      EVP_DecryptInit_ex(ctx.get(), nullptr, nullptr, master.secret.data(), sealed.nonce.data()) == 1 &&
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) == 1 &&
      EVP_DecryptUpdate(ctx.get(), scalar.data(), &len, sealed.ciphertext.data(), kScalar) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, tag.data()) == 1 &&
      EVP_DecryptFinal_ex(ctx.get(), scalar.data() + len, &len) == 1;
  if (!ok) {
    return Error::invalid(who + ": authentication failed (tampered with, or sealed for another key or master key)");
  }
  auto key = SecretKey::from_bytes(std::span<const std::uint8_t>(scalar.data(), kScalar));
  if (!key) return Error::invalid(who + ": " + key.error().message);
  if (key->public_key() != sealed.public_key) {
    return Error::invalid(who + ": the decrypted secret belongs to another public key");
  }
  return key;
}

}  // namespace cc::crypto
