// Validator keys sealed under a master key: round trip, and every way a stored item can be
// wrong (tampered, moved to another public key, another master key or version) is refused,
// never turned into a usable key.
#include <gtest/gtest.h>

#include "crypto/sealed_key.hpp"

namespace cc::crypto {
namespace {

MasterKey master(std::string id, std::uint8_t fill) {
  Bytes<32> raw{};
  raw.fill(fill);
  return {std::move(id), SecretBytes<32>(raw)};
}

TEST(SealedKey, RoundTrip) {
  const auto m = master("m1", 7);
  const auto key = SecretKey::generate();
  const auto sealed = seal_key(m, key);
  EXPECT_EQ(sealed.nonce.size(), 12u);
  EXPECT_EQ(sealed.ciphertext.size(), 48u);
  auto opened = open_sealed_key(m, sealed);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(opened->public_key(), key.public_key());
  Root r{};
  r[0] = 1;
  EXPECT_EQ(opened->sign(r), key.sign(r));
  EXPECT_NE(seal_key(m, key).nonce, sealed.nonce) << "a fresh nonce every time";
}

TEST(SealedKey, AnythingAlteredFailsAuthentication) {
  const auto m = master("m1", 7);
  const auto key = SecretKey::generate();
  const auto sealed = seal_key(m, key);
  for (std::size_t i = 0; i < sealed.ciphertext.size(); i += 5) {
    auto bad = sealed;
    bad.ciphertext[i] ^= 1;
    auto r = open_sealed_key(m, bad);
    ASSERT_FALSE(r.ok()) << "byte " << i;
    EXPECT_NE(r.error().message.find("authentication failed"), std::string::npos) << r.error().message;
  }
  auto bad_nonce = sealed;
  bad_nonce.nonce[0] ^= 1;
  EXPECT_FALSE(open_sealed_key(m, bad_nonce).ok());
  // Moved to another public key (a copy-paste between items): refused, not a wrong key.
  auto moved = sealed;
  moved.public_key = SecretKey::generate().public_key();
  auto r = open_sealed_key(m, moved);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(to_hex(moved.public_key)), std::string::npos) << "names the key";
  // Another master key with the same id, or the same bytes under another id.
  EXPECT_FALSE(open_sealed_key(master("m1", 8), sealed).ok());
  auto relabelled = sealed;
  relabelled.master_key_id = "m2";
  EXPECT_FALSE(open_sealed_key(master("m2", 7), relabelled).ok());
  auto other_version = open_sealed_key(master("m2", 7), sealed);
  ASSERT_FALSE(other_version.ok());
  EXPECT_NE(other_version.error().message.find("'m1'"), std::string::npos) << other_version.error().message;
  auto short_ct = sealed;
  short_ct.ciphertext.pop_back();
  EXPECT_FALSE(open_sealed_key(m, short_ct).ok());
}

}  // namespace
}  // namespace cc::crypto
