// The codec against RFC 8949 Appendix A ("Examples of Encoded CBOR Data Items"), and every way an
// input can be malformed, each refused with an error that names the problem and where it is.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "tee/cbor.hpp"

namespace cc::tee::cbor {
namespace {

ByteVector hex(std::string_view text) {
  return from_hex(text).value();
}

// Lower-case hex without the 0x prefix, as the RFC's table writes encodings.
std::string hex_of(const ByteVector& bytes) {
  return to_hex(bytes).substr(2);
}

Item decoded(std::string_view encoding) {
  auto item = decode(hex(encoding), 1 << 16, "example");
  EXPECT_TRUE(item.ok()) << encoding << ": " << item.error().message;
  return item.ok() ? std::move(*item) : null();
}

// RFC 8949 Appendix A, the examples in preferred serialization: each decodes, and encoding the
// result gives the same bytes back. (The float, tag and indefinite-length rows follow below.)
TEST(CborRfc8949, AppendixAExamplesRoundTripByteForByte) {
  const char* examples[] = {
      // integers, including both 64-bit extremes
      "00", "01", "0a", "17", "1818", "1819", "1864", "1903e8", "1a000f4240", "1b000000e8d4a51000",
      "1bffffffffffffffff", "3bffffffffffffffff", "20", "29", "3863", "3903e7",
      // floats in their shortest exact width
      "f90000", "f98000", "f93c00", "fb3ff199999999999a", "f93e00", "f97bff", "fa47c35000", "fa7f7fffff",
      "fb7e37e43c8800759c", "f90001", "f90400", "f9c400", "fbc010666666666666", "f97c00", "f97e00", "f9fc00",
      // simple values
      "f4", "f5", "f6", "f7",
      // tags: a date string, an epoch (integer and float), base16, embedded CBOR, a URI, bignums
      "c074323031332d30332d32315432303a30343a30305a", "c11a514b67b0", "c1fb41d452d9ec200000", "d74401020304",
      "d818456449455446", "d82076687474703a2f2f7777772e6578616d706c652e636f6d", "c249010000000000000000",
      "c349010000000000000000",
      // strings
      "40", "4401020304", "60", "6161", "6449455446", "62225c", "62c3bc", "63e6b0b4", "64f0908591",
      // arrays and maps
      "80", "83010203", "8301820203820405", "98190102030405060708090a0b0c0d0e0f101112131415161718181819", "a0",
      "a201020304", "a26161016162820203", "826161a161626163", "a56161614161626142616361436164614461656145"};
  for (const char* example : examples) {
    EXPECT_EQ(hex_of(encode(decoded(example))), example);
  }
}

TEST(CborRfc8949, AppendixAValuesAreReadAsTheRfcStates) {
  EXPECT_EQ(uint_of(decoded("1b000000e8d4a51000"), "x").value(), 1000000000000u);
  EXPECT_EQ(uint_of(decoded("1bffffffffffffffff"), "x").value(), std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(int_of(decoded("3903e7"), "x").value(), -1000);
  EXPECT_EQ(int_of(decoded("29"), "x").value(), -10);
  // -18446744073709551616 is a valid CBOR integer but not an int64: refused by the reader, not the decoder.
  const Item smallest = decoded("3bffffffffffffffff");
  EXPECT_EQ(smallest.as<Negative>()->n, std::numeric_limits<std::uint64_t>::max());
  EXPECT_EQ(int_of(smallest, "x").error().message, "x: integer out of range");

  EXPECT_EQ(text_of(decoded("62c3bc"), "x", 8).value(), "\u00fc");
  EXPECT_EQ(text_of(decoded("64f0908591"), "x", 8).value(), "\U00010151");
  EXPECT_EQ(text_of(decoded("62225c"), "x", 8).value(), "\"\\");
  EXPECT_EQ(bytes_of(decoded("4401020304"), "x", 4, 4).value().size(), 4u);

  const Item tagged = decoded("c11a514b67b0");
  ASSERT_NE(tagged.as<Tag>(), nullptr);
  EXPECT_EQ(tagged.as<Tag>()->number, 1u);
  EXPECT_EQ(uint_of(*tagged.as<Tag>()->content, "x").value(), 1363896240u);

  // {"a": 1, "b": [2, 3]}
  const Item a_b[] = {uint(2), uint(3)};
  const std::pair<Item, Item> entries[] = {{text("a"), uint(1)}, {text("b"), array(a_b)}};
  EXPECT_EQ(decoded("a26161016162820203"), map(entries));
  EXPECT_TRUE(bool_of(decoded("f5"), "x").value());
  EXPECT_FALSE(bool_of(decoded("f4"), "x").value());
  EXPECT_TRUE(is_null(decoded("f6")));
  EXPECT_EQ(type_name(decoded("f7")), "undefined");
}

double float_of(std::string_view encoding) {
  const Item item = decoded(encoding);
  EXPECT_NE(item.as<Float>(), nullptr) << encoding;
  return item.as<Float>() ? item.as<Float>()->value : 0;
}

TEST(CborRfc8949, AppendixAFloatsInEveryWidth) {
  EXPECT_EQ(float_of("f93c00"), 1.0);
  EXPECT_EQ(float_of("fb3ff199999999999a"), 1.1);
  EXPECT_EQ(float_of("f97bff"), 65504.0);
  EXPECT_EQ(float_of("fa47c35000"), 100000.0);
  EXPECT_EQ(float_of("fa7f7fffff"), 3.4028234663852886e+38);
  EXPECT_EQ(float_of("fb7e37e43c8800759c"), 1.0e+300);
  EXPECT_EQ(float_of("f90001"), 5.960464477539063e-8);  // the smallest half subnormal
  EXPECT_EQ(float_of("f90400"), 0.00006103515625);      // the smallest half normal
  EXPECT_EQ(float_of("fbc010666666666666"), -4.1);
  EXPECT_TRUE(std::signbit(float_of("f98000")));
  // Infinity and NaN in all three widths; encoding picks the half form (RFC 8949 section 4.2.2).
  for (const char* infinity : {"f97c00", "fa7f800000", "fb7ff0000000000000"}) {
    EXPECT_EQ(float_of(infinity), std::numeric_limits<double>::infinity()) << infinity;
    EXPECT_EQ(hex_of(encode(decoded(infinity))), "f97c00");
  }
  for (const char* minus_infinity : {"f9fc00", "faff800000", "fbfff0000000000000"}) {
    EXPECT_EQ(float_of(minus_infinity), -std::numeric_limits<double>::infinity()) << minus_infinity;
    EXPECT_EQ(hex_of(encode(decoded(minus_infinity))), "f9fc00");
  }
  for (const char* nan : {"f97e00", "fa7fc00000", "fb7ff8000000000000"}) {
    EXPECT_TRUE(std::isnan(float_of(nan))) << nan;
    EXPECT_EQ(hex_of(encode(decoded(nan))), "f97e00");
  }
  // A single that is exactly a half is written as a half.
  EXPECT_EQ(hex_of(encode(decoded("fa3fc00000"))), "f93e00");
  EXPECT_EQ(hex_of(encode(Item(Float{1.5}))), "f93e00");
  EXPECT_EQ(hex_of(encode(Item(Float{-0.0}))), "f98000");
}

// Indefinite-length items decode to the same values as their definite forms and are written
// back definite. Chunked strings are joined, but the readers refuse them.
TEST(CborRfc8949, AppendixAIndefiniteLengthItems) {
  const std::pair<const char*, const char*> examples[] = {
      {"5f42010243030405ff", "450102030405"},
      {"7f657374726561646d696e67ff", "6973747265616d696e67"},
      {"9fff", "80"},
      {"9f018202039f0405ffff", "8301820203820405"},
      {"9f01820203820405ff", "8301820203820405"},
      {"83018202039f0405ff", "8301820203820405"},
      {"83019f0203ff820405", "8301820203820405"},
      {"9f0102030405060708090a0b0c0d0e0f101112131415161718181819ff",
       "98190102030405060708090a0b0c0d0e0f101112131415161718181819"},
      {"bf61610161629f0203ffff", "a26161016162820203"},
      {"826161bf61626163ff", "826161a161626163"},
      {"bf6346756ef563416d7421ff", "a26346756ef563416d7421"},
  };
  for (const auto& [indefinite, definite] : examples) {
    EXPECT_EQ(decoded(indefinite), decoded(definite)) << indefinite;
    EXPECT_EQ(hex_of(encode(decoded(indefinite))), definite) << indefinite;
  }
  EXPECT_EQ(bytes_of(decoded("5f42010243030405ff"), "chunked", 0, 8).error().message,
            "chunked: indefinite-length byte strings are not accepted");
  EXPECT_EQ(text_of(decoded("7f657374726561646d696e67ff"), "chunked", 16).error().message,
            "chunked: indefinite-length text strings are not accepted");
}

// The error for one malformed input, or "" when it decodes.
std::string refusal(std::string_view encoding, std::size_t max_size = 1 << 16) {
  auto item = decode(hex(encoding), max_size, "input");
  if (item) return "";
  EXPECT_EQ(item.error().kind, Error::Kind::invalid_argument);
  return item.error().message;
}

TEST(CborMalformed, TruncatedItemsSayWhereTheyStart) {
  EXPECT_EQ(refusal("1a0001"), "input: truncated CBOR: the item at byte 0 runs past the end of the input");
  EXPECT_EQ(refusal("82011901"), "input: truncated CBOR: the item at byte 2 runs past the end of the input");
  EXPECT_EQ(refusal("82190100"), "input: truncated CBOR: the item at byte 4 runs past the end of the input");
  EXPECT_EQ(refusal("8118"), "input: truncated CBOR: the item at byte 1 runs past the end of the input");
  EXPECT_EQ(refusal("9f01"),
            "input: truncated CBOR: the indefinite-length array at byte 0 runs past the end of the input");
  EXPECT_EQ(refusal("bf6161"), "input: truncated CBOR: the item at byte 3 runs past the end of the input");
  EXPECT_EQ(refusal("bf616101"),
            "input: truncated CBOR: the indefinite-length map at byte 0 runs past the end of the input");
  EXPECT_EQ(refusal("5f4101"),
            "input: truncated CBOR: the indefinite-length byte string at byte 0 runs past the end of the input");
  EXPECT_EQ(refusal("c1"), "input: truncated CBOR: the item at byte 1 runs past the end of the input");
}

TEST(CborMalformed, DeclaredLengthsBeyondTheInput) {
  EXPECT_EQ(refusal("626100"), "");
  EXPECT_EQ(refusal("6261"), "input: truncated CBOR: the item at byte 0 declares 2 bytes but only 1 bytes follow");
  EXPECT_EQ(refusal("9bffffffffffffffff00"),
            "input: truncated CBOR: the item at byte 0 declares 18446744073709551615 items but only 1 bytes follow");
  EXPECT_EQ(refusal("a30102030405"),
            "input: truncated CBOR: the item at byte 0 declares 3 pairs but only 5 bytes follow");
  // Inside a chunked string, each chunk's length is checked too.
  EXPECT_EQ(refusal("5f5b7fffffffffffffffff"),
            "input: truncated CBOR: the item at byte 1 declares 9223372036854775807 bytes but only 1 bytes follow");
}

TEST(CborMalformed, NestingDeeperThanTheLimit) {
  const auto nested = [](std::string_view head, std::size_t depth, std::string_view innermost) {
    std::string out;
    for (std::size_t i = 0; i < depth; ++i) out += head;
    return out + std::string(innermost);
  };
  EXPECT_EQ(refusal(nested("81", kMaxDepth - 1, "80")), "");  // kMaxDepth arrays
  EXPECT_EQ(refusal(nested("81", kMaxDepth, "80")), "input: CBOR nested deeper than 16 levels at byte 16");
  EXPECT_EQ(refusal(nested("a100", kMaxDepth, "a0")), "input: CBOR nested deeper than 16 levels at byte 32");
  EXPECT_EQ(refusal(nested("c1", kMaxDepth, "00")), "");
  EXPECT_EQ(refusal(nested("c1", kMaxDepth + 1, "00")), "input: CBOR nested deeper than 16 levels at byte 16");
  EXPECT_EQ(refusal(nested("9f", kMaxDepth, "9fffff")), "input: CBOR nested deeper than 16 levels at byte 16");
  // Deep input is refused at the limit, not by exhausting the stack.
  EXPECT_NE(refusal(nested("81", 200000, "00"), 1 << 20).find("nested deeper"), std::string::npos);
}

TEST(CborMalformed, TrailingBytesAfterTheItem) {
  EXPECT_EQ(refusal("0000"), "input: 1 trailing bytes after the CBOR item");
  EXPECT_EQ(refusal("80ff"), "input: 1 trailing bytes after the CBOR item");
  EXPECT_EQ(refusal("9fff00ff"), "input: 2 trailing bytes after the CBOR item");
}

TEST(CborMalformed, ReservedAdditionalInformation) {
  for (const char* reserved : {"1c", "3d", "5e", "7c", "9d", "be", "dc", "fd", "fe"}) {
    const std::string info = std::to_string(hex(reserved)[0] & 0x1f);
    EXPECT_EQ(refusal(reserved), "input: malformed CBOR at byte 0: additional information " + info + " is reserved");
  }
  EXPECT_EQ(refusal("821c00"), "input: malformed CBOR at byte 1: additional information 28 is reserved");
}

TEST(CborMalformed, BreaksAndIndefiniteLengthsWhereNotAllowed) {
  EXPECT_EQ(refusal("ff"), "input: malformed CBOR at byte 0: a break (0xff) outside an indefinite-length item");
  EXPECT_EQ(refusal("8201ff"), "input: malformed CBOR at byte 2: a break (0xff) outside an indefinite-length item");
  EXPECT_EQ(refusal("a1ff01"), "input: malformed CBOR at byte 1: a break (0xff) outside an indefinite-length item");
  EXPECT_EQ(refusal("1f"), "input: malformed CBOR at byte 0: an integer cannot have indefinite length");
  EXPECT_EQ(refusal("3f"), "input: malformed CBOR at byte 0: an integer cannot have indefinite length");
  EXPECT_EQ(refusal("df00"), "input: malformed CBOR at byte 0: a tag cannot have indefinite length");
  EXPECT_EQ(refusal("bf6161ff"),
            "input: malformed CBOR at byte 3: the indefinite-length map ends after a key without its value");
  // RFC 8949 section 3.2.3: chunks are definite-length strings of the same major type.
  EXPECT_EQ(refusal("5f6161ff"),
            "input: malformed CBOR at byte 1: a chunk of an indefinite-length byte string must be a definite-length "
            "byte string");
  EXPECT_EQ(refusal("7f7f6161ffff"),
            "input: malformed CBOR at byte 1: a chunk of an indefinite-length text string must be a definite-length "
            "text string");
  EXPECT_EQ(refusal("5f01ff"),
            "input: malformed CBOR at byte 1: a chunk of an indefinite-length byte string must be a definite-length "
            "byte string");
}

TEST(CborMalformed, TextThatIsNotUtf8) {
  for (const char* bad : {"61ff", "61c3", "62c0af", "63eda080", "64f4908080", "62e0a0"}) {
    EXPECT_EQ(refusal(bad), "input: malformed CBOR at byte 0: text string is not valid UTF-8") << bad;
  }
  // Each chunk of a chunked text string must be UTF-8 on its own, even if the joined text would be.
  EXPECT_EQ(refusal("7f61c361bcff"), "input: malformed CBOR at byte 1: text string is not valid UTF-8");
  EXPECT_EQ(refusal("7f62c3bcff"), "");
}

TEST(CborMalformed, SimpleValuesOutsideFalseTrueNullUndefined) {
  // RFC 8949 section 3.3: a two-byte simple value below 32 is not well-formed.
  EXPECT_EQ(refusal("f814"), "input: malformed CBOR at byte 0: simple value 20 must use the one-byte form");
  // Appendix A's simple(16) and simple(255) are well-formed but unassigned; this codec has no use
  // for them and refuses them.
  EXPECT_EQ(refusal("f0"), "input: malformed CBOR at byte 0: unassigned simple value 16");
  EXPECT_EQ(refusal("f8ff"), "input: malformed CBOR at byte 0: unassigned simple value 255");
}

TEST(CborMalformed, EmptyAndOversizedInputsAreRefusedBeforeDecoding) {
  EXPECT_EQ(refusal(""), "input: empty");
  // The size limit is checked first: this would otherwise be a valid 17-byte string.
  EXPECT_EQ(refusal("5000000000000000000000000000000000", 16), "input: 17 bytes, more than the limit of 16");
}

}  // namespace
}  // namespace cc::tee::cbor
