// encrypt_keystore() -> parse_keystore() -> decrypt_keystore() for both KDFs.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>

#include "crypto/keystore.hpp"

namespace cc::crypto {
namespace {

void round_trip(const KdfParams& params) {
  const SecretKey key = SecretKey::generate();
  const std::string password = "correct horse battery staple";
  const std::string json = encrypt_keystore(key, password, params);

  const std::string secret_hex = to_hex(key.export_secret().span()).substr(2);
  EXPECT_EQ(json.find(secret_hex), std::string::npos) << "plaintext secret in keystore";
  EXPECT_EQ(json.find(password), std::string::npos) << "password in keystore";

  const auto doc = boost::json::parse(json).as_object();
  EXPECT_EQ(doc.at("version").as_int64(), 4);
  EXPECT_EQ(doc.at("path").as_string(), "");
  const std::string uuid(doc.at("uuid").as_string());
  EXPECT_TRUE(std::regex_match(uuid, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")))
      << uuid;

  auto parsed = parse_keystore(json);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  EXPECT_EQ(parsed->kdf.kind, params.kind);
  EXPECT_EQ(parsed->kdf.salt.size(), 32u);
  ASSERT_TRUE(parsed->pubkey.has_value());
  EXPECT_EQ(*parsed->pubkey, key.public_key());

  auto decrypted = decrypt_keystore(*parsed, password);
  ASSERT_TRUE(decrypted.ok()) << decrypted.error().message;
  EXPECT_EQ(decrypted->public_key(), key.public_key());
  EXPECT_EQ(decrypted->sign(Root{}), key.sign(Root{}));

  auto wrong = decrypt_keystore(*parsed, "correct horse battery stapler");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().message, "wrong password or corrupted keystore");
}

TEST(KeystoreRoundTrip, ScryptLight) { round_trip(KdfParams::light(KdfKind::scrypt)); }
TEST(KeystoreRoundTrip, Pbkdf2Light) { round_trip(KdfParams::light(KdfKind::pbkdf2)); }

TEST(KeystoreRoundTrip, ScryptModerate) {
  KdfParams p = KdfParams::standard(KdfKind::scrypt);
  p.n = 1 << 12;
  round_trip(p);
}

TEST(KeystoreRoundTrip, Pbkdf2Standard) { round_trip(KdfParams::standard(KdfKind::pbkdf2)); }

TEST(KeystoreRoundTrip, FreshSaltAndIvEachTime) {
  const SecretKey key = SecretKey::generate();
  const auto a = parse_keystore(encrypt_keystore(key, "pw", KdfParams::light(KdfKind::pbkdf2)));
  const auto b = parse_keystore(encrypt_keystore(key, "pw", KdfParams::light(KdfKind::pbkdf2)));
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->kdf.salt, b->kdf.salt);
  EXPECT_NE(a->iv, b->iv);
  EXPECT_NE(a->cipher_message, b->cipher_message);
}

TEST(KeystoreRoundTrip, ControlCharactersAreStrippedOnBothSides) {
  const SecretKey key = SecretKey::generate();
  const std::string json = encrypt_keystore(key, "pass\tword", KdfParams::light(KdfKind::pbkdf2));
  auto parsed = parse_keystore(json);
  ASSERT_TRUE(parsed.ok());
  EXPECT_TRUE(decrypt_keystore(*parsed, "password").ok());
  EXPECT_TRUE(decrypt_keystore(*parsed, "pass\x7fword\n").ok());
  EXPECT_FALSE(decrypt_keystore(*parsed, "pass word").ok());
}

TEST(KeystoreRoundTrip, EncryptRefusesBadInput) {
  const SecretKey key = SecretKey::generate();
  EXPECT_THROW(encrypt_keystore(key, "bad\xff", KdfParams::light(KdfKind::pbkdf2)), std::invalid_argument);
  KdfParams bad = KdfParams::light(KdfKind::scrypt);
  bad.n = 1000;
  EXPECT_THROW(encrypt_keystore(key, "pw", bad), std::invalid_argument);
}

TEST(KeystoreRoundTrip, MemoryEstimate) {
  EXPECT_EQ(kdf_memory_bytes(KdfParams::standard(KdfKind::scrypt)), std::size_t{256} << 20);
  EXPECT_EQ(kdf_memory_bytes(KdfParams::standard(KdfKind::pbkdf2)), 0u);
}

}  // namespace
}  // namespace cc::crypto
