// EIP-2335 keystore decryption against the official test vectors of the EIP
// (https://eips.ethereum.org/EIPS/eip-2335, "Test Cases": Scrypt and PBKDF2 test vectors),
// plus the refusals a signer must make: wrong password, corrupted data, altered pubkey.
#include <gtest/gtest.h>

#include "crypto/keystore.hpp"

namespace cc::crypto {
namespace {

constexpr std::string_view kPassword = "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑";
constexpr std::string_view kSecret = "0x000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";
constexpr std::string_view kPubkey =
    "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07";

// EIP-2335 "Scrypt Test Vector".
constexpr std::string_view kScryptVector = R"({
  "crypto": {
    "kdf": {"function": "scrypt",
            "params": {"dklen": 32, "n": 262144, "p": 1, "r": 8,
                       "salt": "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"},
            "message": ""},
    "checksum": {"function": "sha256", "params": {},
                 "message": "d2217fe5f3e9a1e34581ef8a78f7c9928e436d36dacc5e846690a5581e8ea484"},
    "cipher": {"function": "aes-128-ctr", "params": {"iv": "264daa3f303d7259501c93d997d84fe6"},
               "message": "06ae90d55fe0a6e9c5c3bc5b170827b2e5cce3929ed3f116c2811e6366dfe20f"}
  },
  "description": "This is a test keystore that uses scrypt to secure the secret.",
  "pubkey": "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07",
  "path": "m/12381/60/3141592653/589793238",
  "uuid": "1d85ae20-35c5-4611-98e8-aa14a633906f",
  "version": 4
})";

// EIP-2335 "PBKDF2 Test Vector".
constexpr std::string_view kPbkdf2Vector = R"({
  "crypto": {
    "kdf": {"function": "pbkdf2",
            "params": {"dklen": 32, "c": 262144, "prf": "hmac-sha256",
                       "salt": "d4e56740f876aef8c010b86a40d5f56745a118d0906a34e69aec8c0db1cb8fa3"},
            "message": ""},
    "checksum": {"function": "sha256", "params": {},
                 "message": "8a9f5d9912ed7e75ea794bc5a89bca5f193721d30868ade6f73043c6ea6febf1"},
    "cipher": {"function": "aes-128-ctr", "params": {"iv": "264daa3f303d7259501c93d997d84fe6"},
               "message": "cee03fde2af33149775b7223e7845e4fb2c8ae1792e5f99fe9ecf474cc8c16ad"}
  },
  "description": "This is a test keystore that uses PBKDF2 to secure the secret.",
  "pubkey": "9612d7a727c9d0a22e185a1c768478dfe919cada9266988cb32359c11f2b7b27f4ae4040902382ae2910c15e2b420d07",
  "path": "m/12381/60/0/0",
  "uuid": "64625def-3331-4eea-ab6f-782f3ed16a83",
  "version": 4
})";

std::string replace(std::string_view text, std::string_view from, std::string_view to) {
  std::string out(text);
  const auto pos = out.find(from);
  EXPECT_NE(pos, std::string::npos) << from;
  if (pos != std::string::npos) out.replace(pos, from.size(), to);
  return out;
}

Keystore parse_ok(std::string_view json) {
  auto r = parse_keystore(json);
  EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
  return r ? *r : Keystore{};
}

void expect_decrypts_to_vector_secret(std::string_view json) {
  const Keystore ks = parse_ok(json);
  auto key = decrypt_keystore(ks, kPassword);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(to_hex(key->export_secret().span()), kSecret);
  EXPECT_EQ(to_hex(key->public_key()), "0x" + std::string(kPubkey));
}

TEST(Keystore, Eip2335ScryptVector) {
  const Keystore ks = parse_ok(kScryptVector);
  EXPECT_EQ(ks.kdf.kind, KdfKind::scrypt);
  EXPECT_EQ(ks.path, "m/12381/60/3141592653/589793238");
  EXPECT_EQ(ks.uuid, "1d85ae20-35c5-4611-98e8-aa14a633906f");
  EXPECT_EQ(kdf_memory_bytes(ks), std::size_t{256} << 20);
  expect_decrypts_to_vector_secret(kScryptVector);
}

TEST(Keystore, Eip2335Pbkdf2Vector) {
  const Keystore ks = parse_ok(kPbkdf2Vector);
  EXPECT_EQ(ks.kdf.kind, KdfKind::pbkdf2);
  EXPECT_EQ(ks.kdf.c, 262144u);
  EXPECT_EQ(kdf_memory_bytes(ks), 0u);
  expect_decrypts_to_vector_secret(kPbkdf2Vector);
}

TEST(Keystore, PasswordWithoutNfkdIsStillTheSameAfterProcessing) {
  // The EIP's "Encoded Password" is what the fraktur password becomes; typed directly it must
  // decrypt too, which shows normalisation is applied (and applied only once).
  const Keystore ks = parse_ok(kPbkdf2Vector);
  auto key = decrypt_keystore(ks, "testpassword🔑");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(to_hex(key->export_secret().span()), kSecret);
}

TEST(Keystore, ControlCharactersInPasswordAreIgnored) {
  const Keystore ks = parse_ok(kPbkdf2Vector);
  auto key = decrypt_keystore(ks, "test\x7fpass\x01word\xc2\x85🔑\n");
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(to_hex(key->export_secret().span()), kSecret);
}

TEST(Keystore, WrongPasswordIsRefused) {
  const Keystore ks = parse_ok(kPbkdf2Vector);
  auto key = decrypt_keystore(ks, "testpassword");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message, "wrong password or corrupted keystore");
}

TEST(Keystore, WrongPasswordIsRefusedForScrypt) {
  const Keystore ks = parse_ok(kScryptVector);
  auto key = decrypt_keystore(ks, "not the password");
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message, "wrong password or corrupted keystore");
  EXPECT_EQ(key.error().message.find("not the password"), std::string::npos);
}

TEST(Keystore, CorruptedCipherMessageFailsTheChecksum) {
  const std::string json = replace(kPbkdf2Vector, "cee03fde", "cee03fdf");
  auto key = decrypt_keystore(parse_ok(json), kPassword);
  ASSERT_FALSE(key.ok());
  EXPECT_EQ(key.error().message, "wrong password or corrupted keystore");
}

TEST(Keystore, AlteredPubkeyIsRefusedNamingTheMismatch) {
  // Another valid public key (consensus-spec BLS test key 0x263dbd...40e3).
  const std::string other =
      "a491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a";
  const std::string json = replace(kPbkdf2Vector, kPubkey, other);
  auto key = decrypt_keystore(parse_ok(json), kPassword);
  ASSERT_FALSE(key.ok());
  EXPECT_NE(key.error().message.find("pubkey mismatch"), std::string::npos) << key.error().message;
  EXPECT_NE(key.error().message.find(other), std::string::npos);
  EXPECT_EQ(key.error().message.find("19d6689c"), std::string::npos) << "the secret must never appear";
}

TEST(Keystore, MissingOrEmptyPubkeyIsAccepted) {
  const std::string empty = replace(kPbkdf2Vector, kPubkey, "");
  const Keystore ks = parse_ok(empty);
  EXPECT_FALSE(ks.pubkey.has_value());
  auto key = decrypt_keystore(ks, kPassword);
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_EQ(to_hex(key->public_key()), "0x" + std::string(kPubkey));
}

TEST(Keystore, ParseErrorsNameTheField) {
  struct Case {
    std::string json;
    std::string needle;
  };
  const Case cases[] = {
      {"{not json", "invalid JSON"},
      {replace(kPbkdf2Vector, "\"version\": 4", "\"version\": 3"), "version"},
      {replace(kPbkdf2Vector, "\"function\": \"pbkdf2\"", "\"function\": \"argon2\""), "crypto.kdf.function"},
      {replace(kPbkdf2Vector, "\"hmac-sha256\"", "\"hmac-sha512\""), "crypto.kdf.params.prf"},
      {replace(kPbkdf2Vector, "\"sha256\"", "\"sha512\""), "crypto.checksum.function"},
      {replace(kPbkdf2Vector, "\"aes-128-ctr\"", "\"aes-256-gcm\""), "crypto.cipher.function"},
      {replace(kPbkdf2Vector, "264daa3f303d7259501c93d997d84fe6", "264daa"), "crypto.cipher.params.iv"},
      {replace(kPbkdf2Vector, "cee03fde2af3", "cee03fde2a"), "crypto.cipher.message"},
      {replace(kPbkdf2Vector, "\"dklen\": 32", "\"dklen\": 16"), "crypto.kdf.params.dklen"},
      {replace(kPbkdf2Vector, "\"c\": 262144", "\"c\": 0"), "crypto.kdf.params.c"},
      {replace(kScryptVector, "\"n\": 262144", "\"n\": 1000"), "crypto.kdf.params.n"},
      {replace(kScryptVector, "\"n\": 262144", "\"n\": 1099511627776"), "4 GiB"},
      {replace(kScryptVector, "\"crypto\"", "\"krypto\""), "crypto: missing field"},
  };
  for (const Case& c : cases) {
    auto r = parse_keystore(c.json);
    ASSERT_FALSE(r.ok()) << c.needle;
    EXPECT_NE(r.error().message.find(c.needle), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace cc::crypto
