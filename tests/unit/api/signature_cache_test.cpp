// SignatureCache: finds what was inserted, keeps at most its capacity, and a disabled cache
// keeps nothing.
#include "api/signature_cache.hpp"

#include <gtest/gtest.h>

namespace cc::api {
namespace {

BlsPublicKey key_of(std::uint32_t i) {
  BlsPublicKey k{};
  for (std::size_t b = 0; b < k.size(); ++b) k[b] = static_cast<std::uint8_t>((i >> (8 * (b % 4))) + b);
  return k;
}

Root root_of(std::uint32_t i) {
  Root r{};
  r[0] = static_cast<std::uint8_t>(i);
  r[1] = static_cast<std::uint8_t>(i >> 8);
  r[2] = static_cast<std::uint8_t>(i >> 16);
  return r;
}

BlsSignature signature_of(std::uint32_t i) {
  BlsSignature s{};
  s[0] = static_cast<std::uint8_t>(i);
  s[95] = static_cast<std::uint8_t>(i >> 8);
  return s;
}

TEST(SignatureCache, FindsBySameKeyAndSameRootOnly) {
  SignatureCache cache(100);
  cache.insert(key_of(1), root_of(1), signature_of(7));
  ASSERT_TRUE(cache.find(key_of(1), root_of(1)).has_value());
  EXPECT_EQ(*cache.find(key_of(1), root_of(1)), signature_of(7));
  EXPECT_FALSE(cache.find(key_of(2), root_of(1)).has_value()) << "another key, same root";
  EXPECT_FALSE(cache.find(key_of(1), root_of(2)).has_value()) << "same key, another root";
  EXPECT_EQ(cache.hits(), 2u);
}

TEST(SignatureCache, StaysWithinItsCapacityAndKeepsTheRecentEntries) {
  SignatureCache cache(1000);
  for (std::uint32_t i = 0; i < 10000; ++i) {
    cache.insert(key_of(i), root_of(i), signature_of(i));
    ASSERT_LE(cache.size(), 1000u);
  }
  for (std::uint32_t i = 9500; i < 10000; ++i) {
    auto found = cache.find(key_of(i), root_of(i));
    ASSERT_TRUE(found.has_value()) << i;
    EXPECT_EQ(*found, signature_of(i));
  }
  EXPECT_FALSE(cache.find(key_of(0), root_of(0)).has_value());
}

TEST(SignatureCache, AHitInTheOldGenerationSurvivesTheNextRotation) {
  SignatureCache cache(4);  // generations of 2
  cache.insert(key_of(1), root_of(1), signature_of(1));
  cache.insert(key_of(2), root_of(2), signature_of(2));
  cache.insert(key_of(3), root_of(3), signature_of(3));  // 1 and 2 are old now
  ASSERT_TRUE(cache.find(key_of(1), root_of(1)).has_value());  // back to the young one
  cache.insert(key_of(4), root_of(4), signature_of(4));       // rotates: 2 is dropped
  EXPECT_TRUE(cache.find(key_of(1), root_of(1)).has_value());
  EXPECT_FALSE(cache.find(key_of(2), root_of(2)).has_value());
  EXPECT_LE(cache.size(), 4u);
}

TEST(SignatureCache, CapacityZeroKeepsNothing) {
  SignatureCache cache(0);
  cache.insert(key_of(1), root_of(1), signature_of(1));
  EXPECT_FALSE(cache.find(key_of(1), root_of(1)).has_value());
  EXPECT_EQ(cache.size(), 0u);
}

}  // namespace
}  // namespace cc::api
