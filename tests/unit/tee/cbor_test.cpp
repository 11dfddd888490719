// The strict CBOR layer: what decode() refuses, and that builders write the shortest encodings
// (what serde_cbor and COSE produce), byte for byte.
#include "tee/cbor.hpp"

#include <gtest/gtest.h>

namespace cc::tee::cbor {
namespace {

ByteVector hex(std::string_view text) {
  return from_hex(text).value();
}

ByteVector encoded(const Item& item) {
  return encode(item);
}

TEST(Cbor, IntegersUseTheShortestForm) {
  EXPECT_EQ(encoded(uint(0)), hex("00"));
  EXPECT_EQ(encoded(uint(23)), hex("17"));
  EXPECT_EQ(encoded(uint(24)), hex("1818"));
  EXPECT_EQ(encoded(uint(256)), hex("190100"));
  EXPECT_EQ(encoded(uint(65536)), hex("1a00010000"));
  EXPECT_EQ(encoded(uint(1ULL << 32)), hex("1b0000000100000000"));
  EXPECT_EQ(encoded(integer(-1)), hex("20"));
  EXPECT_EQ(encoded(integer(-35)), hex("3822"));  // ES384, as in every Nitro protected header
  EXPECT_EQ(encoded(integer(-1000)), hex("3903e7"));
}

TEST(Cbor, StringsMapsArraysAndTags) {
  EXPECT_EQ(encoded(text("SHA384")), hex("66534841333834"));
  EXPECT_EQ(encoded(bytes(ByteVector{})), hex("40"));
  EXPECT_EQ(encoded(bytes(hex("0102"))), hex("420102"));
  EXPECT_EQ(encoded(null()), hex("f6"));
  EXPECT_EQ(encoded(boolean(true)), hex("f5"));
  const std::pair<Item, Item> alg[] = {{uint(1), integer(-35)}};
  EXPECT_EQ(encoded(map(alg)), hex("a1013822"));
  const Item parts[] = {uint(1), text("a")};
  EXPECT_EQ(encoded(array(parts)), hex("82016161"));
  EXPECT_EQ(encoded(tag(18, uint(1))), hex("d201"));
}

TEST(Cbor, DecodeRefusesTrailingTruncatedEmptyAndOversizedInput) {
  auto trailing = decode(hex("0100"), 16, "input");
  ASSERT_FALSE(trailing);
  EXPECT_NE(trailing.error().message.find("1 trailing bytes"), std::string::npos) << trailing.error().message;

  auto truncated = decode(hex("5820aabb"), 16, "input");  // a 32-byte string with 2 bytes
  ASSERT_FALSE(truncated);
  EXPECT_NE(truncated.error().message.find("truncated"), std::string::npos) << truncated.error().message;

  EXPECT_FALSE(decode({}, 16, "input"));
  auto oversized = decode(ByteVector(17, 0), 16, "input");
  ASSERT_FALSE(oversized);
  EXPECT_NE(oversized.error().message.find("more than the limit of 16"), std::string::npos);

  auto malformed = decode(hex("1c"), 16, "input");  // additional information 28 is reserved
  ASSERT_FALSE(malformed);
  EXPECT_EQ(malformed.error().kind, Error::Kind::invalid_argument);
}

TEST(Cbor, ReadersCheckTypeAndSizeAndNameTheField) {
  Item text_item = decode(hex("6161"), 16, "x").value();
  auto wrong = bytes_of(text_item, "payload.nonce", 0, 8);
  ASSERT_FALSE(wrong);
  EXPECT_EQ(wrong.error().message, "payload.nonce: expected a byte string, got text string");

  Item three = decode(hex("43010203"), 16, "x").value();
  auto small = bytes_of(three, "pcr", 48, 48);
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error().message, "pcr: 3 bytes, expected 48");
  EXPECT_EQ(bytes_of(three, "pcr", 0, 3).value().size(), 3u);

  // Indefinite-length (chunked) strings are refused rather than reassembled.
  Item chunked = decode(hex("5f420102ff"), 16, "x").value();
  EXPECT_FALSE(bytes_of(chunked, "chunked", 0, 8));

  Item negative = decode(hex("20"), 16, "x").value();
  EXPECT_FALSE(uint_of(negative, "timestamp"));
  EXPECT_EQ(int_of(negative, "alg").value(), -1);
}

TEST(Cbor, TextKeyedMapsRefuseDuplicatesAndNonTextKeys) {
  // {"a": 1, "a": 2}
  Item duplicate = decode(hex("a2616101616102"), 32, "x").value();
  auto dup = text_keyed(duplicate, "payload", 8);
  ASSERT_FALSE(dup);
  EXPECT_NE(dup.error().message.find("\"a\" given twice"), std::string::npos);

  Item int_key = decode(hex("a10102"), 32, "x").value();
  EXPECT_FALSE(text_keyed(int_key, "payload", 8));

  // An indefinite-length map reads like a definite one.
  Item indefinite = decode(hex("bf616101616202ff"), 32, "x").value();
  auto entries = text_keyed(indefinite, "payload", 8).value();
  ASSERT_EQ(entries.size(), 2u);
  EXPECT_EQ(entries[1].key, "b");

  EXPECT_FALSE(text_keyed(indefinite, "payload", 1));  // too many entries
}

TEST(Cbor, UntrustedTextIsMadePrintableForErrors) {
  EXPECT_EQ(printable("module_id"), "module_id");
  EXPECT_EQ(printable("a\nb\x1b[31m\xff"), "a?b?[31m?");
  EXPECT_EQ(printable(std::string(40, 'x')), std::string(32, 'x') + "...");
  // {"\n": 1, "\n": 2}: the duplicate-key error does not carry the newline.
  Item duplicate = decode(hex("a2610a01610a02"), 32, "x").value();
  auto dup = text_keyed(duplicate, "payload", 8);
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().message.find('\n'), std::string::npos);
}

TEST(Cbor, ItemsAreValuesCopiedWithTheirTree) {
  const Item inner[] = {text("shared"), tag(18, bytes(hex("01")))};
  Item a = array(inner);
  Item b = a;
  EXPECT_EQ(a, b);
  b = uint(1);
  EXPECT_EQ(encoded(a), hex("8266736861726564d24101"));
  EXPECT_NE(a, b);
}

TEST(Cbor, DeclaredSizesBeyondTheInputAreRefusedBeforeAnyAllocation) {
  // Found by fuzzing the libcbor-based codec, which allocated a definite array for its declared
  // size first: nine bytes declaring 2^32 items asked for gigabytes.
  const ByteVector huge_array = {0x9b, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x01};
  auto a = decode(huge_array, 1 << 16, "response");
  ASSERT_FALSE(a);
  EXPECT_NE(a.error().message.find(
                "response: truncated CBOR: the item at byte 0 declares 4294967296 items but only 1 bytes follow"),
            std::string::npos)
      << a.error().message;
  // A map inside a map, declaring more pairs than bytes left.
  const ByteVector nested_map = {0xa1, 0x61, 'k', 0xba, 0x00, 0x01, 0x00, 0x00, 0x01, 0x02};
  auto m = decode(nested_map, 1 << 16, "document");
  ASSERT_FALSE(m);
  EXPECT_NE(m.error().message.find("byte 3 declares 65536 pairs"), std::string::npos) << m.error().message;
  // A byte string longer than the input.
  const ByteVector long_bytes = {0x5a, 0x7f, 0xff, 0xff, 0xff, 0x00};
  EXPECT_NE(decode(long_bytes, 1 << 16, "x").error().message.find("declares 2147483647 bytes"), std::string::npos);
  // Sizes that fit still decode, strings skipped correctly (a string whose bytes look like a header).
  const ByteVector fine = {0x82, 0x42, 0x9b, 0xff, 0x01};
  EXPECT_TRUE(decode(fine, 1 << 16, "x").ok());
}

TEST(Cbor, FloatsAreNamedNotMistakenForSimpleValues) {
  // Found by fuzzing the libcbor-based codec: its cbor_is_null asserted on a float, so a half
  // float where a map was expected aborted the process while the error message was written.
  const ByteVector half_float = {0xf9, 0xff, 0xd8};
  auto item = decode(half_float, 16, "x");
  ASSERT_TRUE(item.ok());
  EXPECT_EQ(type_name(*item), "float");
  EXPECT_FALSE(is_null(*item));
  EXPECT_FALSE(is_bool(*item));
  EXPECT_NE(bool_of(*item, "flag").error().message.find("flag: expected a boolean, got float"), std::string::npos);
  EXPECT_TRUE(is_null(null()));
  EXPECT_TRUE(is_bool(boolean(true)));
}

}  // namespace
}  // namespace cc::tee::cbor
