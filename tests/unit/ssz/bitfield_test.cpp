// Bitlist / Bitvector wire validation and roots (known roots computed with @chainsafe/ssz 1.9.0
// BitListType(2048)).
#include "ssz/bitfield.hpp"

#include <gtest/gtest.h>

#include <vector>

#include "test_hex.hpp"

namespace cc::ssz {
namespace {

using testing::root;
using Bits2048 = Bitlist<2048>;

Bits2048 parse_ok(const std::vector<std::uint8_t>& bytes) {
  auto r = Bits2048::parse(bytes);
  EXPECT_TRUE(r.ok()) << (r.ok() ? "" : r.error().message);
  return r.ok() ? *r : Bits2048{};
}

TEST(Bitlist, LengthComesFromTheDelimiterBit) {
  EXPECT_EQ(parse_ok({0x01}).bits.length, 0U);
  EXPECT_EQ(parse_ok({0x03}).bits.length, 1U);
  EXPECT_EQ(parse_ok({0x0b}).bits.length, 3U);
  EXPECT_EQ(parse_ok({0x01, 0x01}).bits.length, 8U);
  EXPECT_EQ(parse_ok({0xff, 0xff, 0x03}).bits.length, 17U);
  // The delimiter is stripped, and a byte it occupied alone disappears.
  EXPECT_EQ(parse_ok({0xff, 0x01}).bits.bytes, (std::vector<std::uint8_t>{0xff}));
  EXPECT_EQ(parse_ok({0x0b}).bits.bytes, (std::vector<std::uint8_t>{0x03}));
}

TEST(Bitlist, RootsMatchChainsafeSsz) {
  EXPECT_EQ(parse_ok({0x01}).hash_tree_root(),
            root("0xe8e527e84f666163a90ef900e013f56b0a4d020148b2224057b719f351b003a6"));
  EXPECT_EQ(parse_ok({0x03}).hash_tree_root(),
            root("0x9e1ff035a32c3d3085074e676356984c077f70bed47814956a9ef8852dcb8161"));
  EXPECT_EQ(parse_ok({0x0b}).hash_tree_root(),
            root("0x52013583de4598cb483756f2d44384991455f8ef438c58a555824334469610a3"));
  EXPECT_EQ(parse_ok({0x01, 0x01}).hash_tree_root(),
            root("0x7d2ff6d2569c162976cce2eff0d63fd91ba26a58583360bada13d24987e56a3e"));
  EXPECT_EQ(parse_ok({0xff, 0x01}).hash_tree_root(),
            root("0xeebfa0d92b6c11efb3105805eae7ab6f4120ca797b958f5c7e7e5c46e2fb23be"));
  EXPECT_EQ(parse_ok({0xff, 0xff, 0x03}).hash_tree_root(),
            root("0x599b246be41c2fe891412177a65313b00676a987eb868ab7408b976ca8fa926c"));
}

TEST(Bitlist, RejectsMissingDelimiter) {
  auto empty = Bits2048::parse({});
  ASSERT_FALSE(empty.ok());
  EXPECT_NE(empty.error().message.find("delimiter"), std::string::npos);
  auto zero = Bits2048::parse(std::vector<std::uint8_t>{0x05, 0x00});
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.error().message.find("delimiter"), std::string::npos);
}

TEST(Bitlist, RejectsMoreBitsThanTheLimit) {
  using Bits8 = Bitlist<8>;
  EXPECT_TRUE(Bits8::parse(std::vector<std::uint8_t>{0xff, 0x01}).ok());  // exactly 8 bits
  auto over = Bits8::parse(std::vector<std::uint8_t>{0xff, 0x03});        // 9 bits
  ASSERT_FALSE(over.ok());
  EXPECT_NE(over.error().message.find("limit is 8"), std::string::npos);
  std::vector<std::uint8_t> big(257, 0);
  big.back() = 0x01;  // 2048 bits: at the limit
  EXPECT_TRUE(Bits2048::parse(big).ok());
  big.back() = 0x02;  // 2049 bits
  EXPECT_FALSE(Bits2048::parse(big).ok());
}

TEST(Bitvector, LengthAndPaddingAreChecked) {
  EXPECT_TRUE(Bitvector<64>::parse(std::vector<std::uint8_t>(8, 0xff)).ok());
  auto short_ = Bitvector<64>::parse(std::vector<std::uint8_t>(7, 0));
  ASSERT_FALSE(short_.ok());
  EXPECT_NE(short_.error().message.find("needs 8 bytes, got 7"), std::string::npos);
  EXPECT_TRUE(Bitvector<4>::parse(std::vector<std::uint8_t>{0x0f}).ok());
  auto padded = Bitvector<4>::parse(std::vector<std::uint8_t>{0x1f});
  ASSERT_FALSE(padded.ok());
  EXPECT_NE(padded.error().message.find("beyond its length"), std::string::npos);
}

TEST(Bitvector, RootIsThePackedChunks) {
  auto v = Bitvector<512>::parse(std::vector<std::uint8_t>(64, 0));
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(v->hash_tree_root(), zero_hash(1));
  auto c = Bitvector<128>::parse(std::vector<std::uint8_t>(16, 0xab));
  ASSERT_TRUE(c.ok());
  Root expected{};
  for (std::size_t i = 0; i < 16; ++i) expected[i] = 0xab;
  EXPECT_EQ(c->hash_tree_root(), expected);
}

}  // namespace
}  // namespace cc::ssz
