// AES-256-GCM envelopes: a round trip, and every way a blob must fail to open (other key, other
// associated data, a flipped bit, truncation), never yielding wrong plaintext.
#include "crypto/aead.hpp"

#include <gtest/gtest.h>

namespace cc::crypto {
namespace {

Bytes<32> key_of(std::uint8_t b) {
  Bytes<32> k{};
  k.fill(b);
  return k;
}

TEST(Aead, RoundTripAndRefusals) {
  const auto key = key_of(7);
  const ByteVector secret = {1, 2, 3, 4, 5};
  const auto blob = aead_seal(key, secret, "purpose a");
  EXPECT_EQ(blob.size(), 12 + secret.size() + 16);
  auto opened = aead_open(key, blob, "purpose a");
  ASSERT_TRUE(opened.ok());
  EXPECT_EQ(ByteVector(opened->data(), opened->data() + opened->size()), secret);
  EXPECT_NE(aead_seal(key, secret, "purpose a"), blob) << "a fresh nonce each time";

  EXPECT_FALSE(aead_open(key_of(8), blob, "purpose a").ok()) << "other key";
  EXPECT_FALSE(aead_open(key, blob, "purpose b").ok()) << "other purpose";
  for (std::size_t i = 0; i < blob.size(); ++i) {
    auto bad = blob;
    bad[i] ^= 0x01;
    EXPECT_FALSE(aead_open(key, bad, "purpose a").ok()) << "bit flipped at " << i;
  }
  EXPECT_FALSE(aead_open(key, ByteVector(blob.begin(), blob.end() - 1), "purpose a").ok());
  EXPECT_FALSE(aead_open(key, ByteVector(10), "purpose a").ok());
  auto empty = aead_open(key, aead_seal(key, {}, ""), "");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

}  // namespace
}  // namespace cc::crypto
