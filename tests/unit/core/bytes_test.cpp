#include <gtest/gtest.h>

#include "core/bytes.hpp"
#include "core/json.hpp"

namespace cc {
namespace {

TEST(Hex, RoundTripAndPrefix) {
  auto v = from_hex("0x00ff10");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(*v, (ByteVector{0x00, 0xff, 0x10}));
  EXPECT_EQ(to_hex(*v), "0x00ff10");
  EXPECT_TRUE(from_hex("ABcd").ok());
  EXPECT_TRUE(from_hex("0x").ok());
}

TEST(Hex, RejectsOddLengthBadDigitsAndWrongSize) {
  EXPECT_FALSE(from_hex("0x123").ok());
  EXPECT_FALSE(from_hex("0xgg").ok());
  auto r = from_hex_fixed<4>("0x0102");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("expected 4 bytes"), std::string::npos);
  EXPECT_TRUE(from_hex_fixed<2>("0x0102").ok());
}

TEST(Uint64, StrictDecimal) {
  EXPECT_EQ(*parse_uint64("0"), 0u);
  EXPECT_EQ(*parse_uint64("18446744073709551615"), 18446744073709551615ull);
  EXPECT_FALSE(parse_uint64("18446744073709551616").ok());
  EXPECT_FALSE(parse_uint64("-1").ok());
  EXPECT_FALSE(parse_uint64("+1").ok());
  EXPECT_FALSE(parse_uint64(" 1").ok());
  EXPECT_FALSE(parse_uint64("").ok());
  EXPECT_FALSE(parse_uint64("1e3").ok());
}

TEST(Json, ErrorsNameTheFieldPath) {
  auto v = json::parse(R"({"a":{"b":{"epoch":"99999999999999999999"},"h":"0x01"}})");
  json::Object root(v, "");
  try {
    (void)root.object("a").object("b").u64("epoch");
    FAIL() << "no error";
  } catch (const json::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a.b.epoch"), std::string::npos) << e.what();
  }
  try {
    (void)root.object("a").bytes<32>("h");
    FAIL() << "no error";
  } catch (const json::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a.h"), std::string::npos) << e.what();
  }
  try {
    (void)root.object("a").string("missing");
    FAIL() << "no error";
  } catch (const json::InputError& e) {
    EXPECT_NE(std::string(e.what()).find("a.missing: missing field"), std::string::npos) << e.what();
  }
  EXPECT_THROW(json::parse("{\"a\":"), json::InputError);
  EXPECT_THROW(json::Object(json::parse("[1]"), ""), json::InputError);
}

TEST(Json, DepthLimited) {
  std::string deep(200, '[');
  deep += std::string(200, ']');
  EXPECT_THROW(json::parse(deep), json::InputError);
}

TEST(SecretBytes, ZeroisedOnDestruction) {
  alignas(SecretBytes<32>) unsigned char storage[sizeof(SecretBytes<32>)];
  auto* s = new (storage) SecretBytes<32>(Bytes<32>{1, 2, 3});
  s->~SecretBytes<32>();
  for (unsigned char c : storage) EXPECT_EQ(c, 0);
}

}  // namespace
}  // namespace cc

namespace cc {
namespace {

// RFC 4648 section 10 test vectors.
TEST(Base64, Rfc4648VectorsRoundTrip) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"}};
  for (const auto& [plain, encoded] : cases) {
    const ByteVector bytes(plain.begin(), plain.end());
    EXPECT_EQ(to_base64(bytes), encoded);
    auto back = from_base64(encoded);
    ASSERT_TRUE(back.ok()) << encoded;
    EXPECT_EQ(*back, bytes);
  }
}

TEST(Base64, StrictDecoding) {
  for (const char* bad : {"Zg=", "Zg=a", "Z===", "Zm9v!A==", "Zg==Zm9v", "=Zg="}) {
    EXPECT_FALSE(from_base64(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace cc
