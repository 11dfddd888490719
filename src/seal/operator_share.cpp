#include "seal/operator_share.hpp"

#include <openssl/sha.h>

#include <algorithm>

#include "crypto/aead.hpp"
#include "crypto/kdf.hpp"
#include "crypto/password.hpp"
#include "crypto/secure_random.hpp"

namespace cc::seal {

namespace {

std::string aad(std::string_view kind, const ShareContext& c) {
  return "containment-chamber operator share v1\n" + std::string(kind) + "\nmaster " + c.master_key_id + "\nouter " +
         c.outer_key_id + "\noperator " + c.operator_id + "\nx " + std::to_string(c.x);
}

std::span<const std::uint8_t, 32> key_span(const SecretBytes<32>& k) {
  return k.span();
}

Result<SecretBytes<32>> to_share(Result<crypto::SecretBuffer> opened, const std::string& what) {
  if (!opened) return Error::invalid(what + ": " + opened.error().message);
  if (opened->size() != 32) return Error::invalid(what + ": not a 32-byte share");
  SecretBytes<32> out;
  std::copy(opened->data(), opened->data() + 32, out.data());
  return out;
}

}  // namespace

ByteVector wrap_pending(const SecretBytes<32>& outer, const ShareContext& c, const SecretBytes<32>& share) {
  return crypto::aead_seal(key_span(outer), share.span(), aad("pending", c));
}

Result<SecretBytes<32>> open_pending(const SecretBytes<32>& outer, const ShareContext& c, const ByteVector& blob) {
  return to_share(crypto::aead_open(key_span(outer), blob, aad("pending", c)), "share of operator " + c.operator_id);
}

ByteVector wrap_registered(const SecretBytes<32>& outer, const ShareContext& c, const SecretBytes<32>& share,
                           const crypto::SecretBuffer& passphrase_key) {
  const auto inner = crypto::aead_seal(std::span<const std::uint8_t, 32>(passphrase_key.data(), 32), share.span(),
                                       aad("passphrase", c));
  return crypto::aead_seal(key_span(outer), inner, aad("registered", c));
}

Result<SecretBytes<32>> open_registered(const SecretBytes<32>& outer, const ShareContext& c, const ByteVector& blob,
                                        const crypto::SecretBuffer& passphrase_key) {
  auto inner = crypto::aead_open(key_span(outer), blob, aad("registered", c));
  if (!inner) {
    return Error::invalid("the share of operator " + c.operator_id + " does not open under the outer key (" +
                          inner.error().message + ")");
  }
  auto share = crypto::aead_open(std::span<const std::uint8_t, 32>(passphrase_key.data(), 32), inner->span(),
                                 aad("passphrase", c));
  if (!share) return Error::unauthenticated("wrong passphrase");
  return to_share(std::move(share), "share of operator " + c.operator_id);
}

ByteVector wrap_submission(const SecretBytes<32>& outer, const ShareContext& c, std::int64_t expires,
                           const SecretBytes<32>& share) {
  return crypto::aead_seal(key_span(outer), share.span(), aad("submitted until " + std::to_string(expires), c));
}

Result<SecretBytes<32>> open_submission(const SecretBytes<32>& outer, const ShareContext& c, std::int64_t expires,
                                        const ByteVector& blob) {
  return to_share(crypto::aead_open(key_span(outer), blob, aad("submitted until " + std::to_string(expires), c)),
                  "submission of operator " + c.operator_id);
}

Result<crypto::SecretBuffer> normalize_passphrase(std::string_view utf8, std::size_t min_chars) {
  auto normalized = crypto::normalize_password(utf8);
  if (!normalized) return Error::invalid("passphrase: " + normalized.error().message);
  // Characters, not bytes: count the bytes that start a UTF-8 sequence.
  const auto chars = static_cast<std::size_t>(std::count_if(normalized->data(), normalized->data() + normalized->size(),
                                                            [](std::uint8_t b) { return (b & 0xC0) != 0x80; }));
  if (chars < min_chars) {
    return Error::invalid("passphrase: at least " + std::to_string(min_chars) + " characters (got " +
                          std::to_string(chars) + ")");
  }
  return normalized;
}

Result<crypto::SecretBuffer> passphrase_key(const crypto::SecretBuffer& passphrase, const PassphraseKdf& kdf) {
  crypto::KdfParams params;
  params.kind = crypto::KdfKind::scrypt;
  params.dklen = 32;
  params.n = kdf.n;
  params.r = kdf.r;
  params.p = kdf.p;
  params.salt = kdf.salt;
  if (kdf.salt.size() < 16) return Error::invalid("passphrase kdf: salt shorter than 16 bytes");
  return crypto::derive_decryption_key(params, passphrase.span());
}

std::string new_registration_token() {
  Bytes<32> raw{};
  crypto::fill_random(raw);
  auto token = "cc-reg-" + to_hex(raw).substr(2);
  secure_zero(raw.data(), raw.size());
  return token;
}

Bytes<32> registration_token_hash(std::string_view token) {
  Bytes<32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(token.data()), token.size(), out.data());
  return out;
}

std::int64_t lockout_seconds(std::uint32_t failures) {
  if (failures < kFreeAttempts) return 0;
  const std::uint32_t doublings = std::min<std::uint32_t>(failures - kFreeAttempts, 7);  // 30 s · 2^7 > 1 h
  return std::min<std::int64_t>(std::int64_t{30} << doublings, 3600);
}

}  // namespace cc::seal
