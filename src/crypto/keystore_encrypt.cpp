// encrypt_keystore(): the inverse of decrypt_keystore() (EIP-2335 version 4).
#include <boost/json.hpp>

#include <stdexcept>

#include "crypto/keystore.hpp"
#include "crypto/keystore_cipher.hpp"
#include "crypto/password.hpp"
#include "crypto/secure_random.hpp"

namespace cc::crypto {
namespace {

// Keystores write hex without the 0x prefix.
std::string bare_hex(std::span<const std::uint8_t> bytes) { return to_hex(bytes).substr(2); }

boost::json::object kdf_module(const KdfParams& params) {
  boost::json::object p;
  p["dklen"] = params.dklen;
  if (params.kind == KdfKind::scrypt) {
    p["n"] = params.n;
    p["r"] = params.r;
    p["p"] = params.p;
  } else {
    p["c"] = params.c;
    p["prf"] = "hmac-sha256";
  }
  p["salt"] = bare_hex(params.salt);
  boost::json::object m;
  m["function"] = kdf_name(params.kind);
  m["params"] = std::move(p);
  m["message"] = "";
  return m;
}

}  // namespace

std::string encrypt_keystore(const SecretKey& key, std::string_view password, const KdfParams& params_in) {
  KdfParams params = params_in;
  if (params.salt.empty()) {
    params.salt.resize(32);
    fill_random(params.salt);
  }
  if (auto ok = validate_kdf_params(params); !ok) throw std::invalid_argument(ok.error().message);

  auto processed = normalize_password(password);
  if (!processed) throw std::invalid_argument(processed.error().message);
  auto decryption_key = derive_decryption_key(params, processed->span());
  if (!decryption_key) throw std::runtime_error(decryption_key.error().message);

  Bytes<16> iv{};
  fill_random(iv);
  Bytes<32> cipher_message{};
  {
    const SecretBytes<32> secret = key.export_secret();
    if (auto ok = aes128_ctr(decryption_key->span(), iv, secret.span(), cipher_message); !ok) {
      throw std::runtime_error(ok.error().message);
    }
  }
  auto checksum = keystore_checksum(decryption_key->span(), cipher_message);
  if (!checksum) throw std::runtime_error(checksum.error().message);

  boost::json::object checksum_module;
  checksum_module["function"] = "sha256";
  checksum_module["params"] = boost::json::object();
  checksum_module["message"] = bare_hex(*checksum);

  boost::json::object cipher_params;
  cipher_params["iv"] = bare_hex(iv);
  boost::json::object cipher_module;
  cipher_module["function"] = "aes-128-ctr";
  cipher_module["params"] = std::move(cipher_params);
  cipher_module["message"] = bare_hex(cipher_message);

  boost::json::object crypto;
  crypto["kdf"] = kdf_module(params);
  crypto["checksum"] = std::move(checksum_module);
  crypto["cipher"] = std::move(cipher_module);

  boost::json::object doc;
  doc["crypto"] = std::move(crypto);
  doc["description"] = "";
  doc["pubkey"] = bare_hex(key.public_key());
  doc["path"] = "";
  doc["uuid"] = random_uuid_v4();
  doc["version"] = 4;
  return boost::json::serialize(doc);
}

}  // namespace cc::crypto
