#include "crypto/keystore.hpp"

#include <openssl/crypto.h>

#include "core/json.hpp"
#include "crypto/keystore_cipher.hpp"
#include "crypto/password.hpp"

namespace cc::crypto {
namespace {

using cc::json::InputError;
using cc::json::Object;

std::uint32_t u32(const Object& o, std::string_view key) {
  const std::uint64_t v = o.u64(key);
  if (v > 0xFFFFFFFFu) throw InputError(o.field(key) + ": value too large");
  return static_cast<std::uint32_t>(v);
}

KdfParams parse_kdf(const Object& kdf) {
  KdfParams out;
  const std::string_view function = kdf.string("function");
  const Object params = kdf.object("params");
  if (function == "scrypt") {
    out.kind = KdfKind::scrypt;
    out.n = params.u64("n");
    out.r = u32(params, "r");
    out.p = u32(params, "p");
  } else if (function == "pbkdf2") {
    out.kind = KdfKind::pbkdf2;
    out.c = u32(params, "c");
    if (params.has("prf") && params.string("prf") != "hmac-sha256") {
      throw InputError(params.field("prf") + ": only hmac-sha256 is supported");
    }
  } else {
    throw InputError(kdf.field("function") + ": unsupported KDF (expected scrypt or pbkdf2)");
  }
  out.dklen = u32(params, "dklen");
  out.salt = params.hex("salt");
  if (auto ok = validate_kdf_params(out); !ok) {
    // validate_kdf_params() names "kdf.params.x"; give the full path from the document root.
    throw InputError("crypto." + ok.error().message);
  }
  return out;
}

Keystore parse_document(const boost::json::value& doc) {
  const Object root(doc, "");
  const std::uint64_t version = root.u64("version");
  if (version != 4) throw InputError("version: expected 4 (EIP-2335), got " + std::to_string(version));

  Keystore ks;
  const Object crypto = root.object("crypto");
  ks.kdf = parse_kdf(crypto.object("kdf"));

  const Object checksum = crypto.object("checksum");
  if (checksum.string("function") != "sha256") {
    throw InputError(checksum.field("function") + ": unsupported checksum (expected sha256)");
  }
  ks.checksum = checksum.bytes<32>("message");

  const Object cipher = crypto.object("cipher");
  if (cipher.string("function") != "aes-128-ctr") {
    throw InputError(cipher.field("function") + ": unsupported cipher (expected aes-128-ctr)");
  }
  ks.iv = cipher.object("params").bytes<16>("iv");
  ks.cipher_message = cipher.bytes<32>("message");

  // EIP-2335 requires path and uuid, but keys exported by some tools omit them and they
  // play no part in decryption, so their absence is tolerated.
  if (root.has("pubkey") && !root.string("pubkey").empty()) ks.pubkey = root.bytes<48>("pubkey");
  if (root.has("path")) ks.path = std::string(root.string("path"));
  if (root.has("uuid")) ks.uuid = std::string(root.string("uuid"));
  if (root.has("description")) ks.description = std::string(root.string("description"));
  return ks;
}

}  // namespace

Result<Keystore> parse_keystore(std::string_view json_text) {
  try {
    return parse_document(cc::json::parse(json_text));
  } catch (const InputError& e) {
    return Error::invalid(std::string("invalid keystore: ") + e.what());
  }
}

std::size_t kdf_memory_bytes(const Keystore& keystore) { return kdf_memory_bytes(keystore.kdf); }

Result<SecretKey> decrypt_keystore(const Keystore& keystore, std::string_view password) {
  auto processed = normalize_password(password);
  if (!processed) return processed.error();
  auto decryption_key = derive_decryption_key(keystore.kdf, processed->span());
  if (!decryption_key) return decryption_key.error();

  // EIP-2335 "Password verification".
  auto checksum = keystore_checksum(decryption_key->span(), keystore.cipher_message);
  if (!checksum) return checksum.error();
  if (CRYPTO_memcmp(checksum->data(), keystore.checksum.data(), checksum->size()) != 0) {
    return Error::invalid("wrong password or corrupted keystore");
  }

  // EIP-2335 "Secret decryption".
  SecretBytes<32> secret;
  if (auto ok = aes128_ctr(decryption_key->span(), keystore.iv, keystore.cipher_message,
                           std::span<std::uint8_t>(secret.data(), secret.size()));
      !ok) {
    return ok.error();
  }
  auto key = SecretKey::from_bytes(secret.span());
  if (!key) return Error::invalid("keystore holds an invalid BLS secret key (zero or not below the curve order)");

  if (keystore.pubkey && *keystore.pubkey != key->public_key()) {
    return Error::invalid("pubkey mismatch: keystore states " + to_hex(*keystore.pubkey) +
                          " but its secret belongs to " + to_hex(key->public_key()));
  }
  return key;
}

}  // namespace cc::crypto
