// EIP-2335 "Password requirements": NFKD, then C0/C1/Delete control codes stripped.
#include <gtest/gtest.h>

#include "crypto/password.hpp"

namespace cc::crypto {
namespace {

std::string processed(std::string_view password) {
  auto r = normalize_password(password);
  EXPECT_TRUE(r.ok());
  if (!r) return "<error>";
  return std::string(reinterpret_cast<const char*>(r->data()), r->size());
}

TEST(Password, Eip2335TestVectorNeedsNfkd) {
  // EIP-2335 test vectors: password "𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑", encoded 0x7465737470617373776f7264f09f9491.
  const std::string out = processed("𝔱𝔢𝔰𝔱𝔭𝔞𝔰𝔰𝔴𝔬𝔯𝔡🔑");
  EXPECT_EQ(to_hex(std::span(reinterpret_cast<const std::uint8_t*>(out.data()), out.size())),
            "0x7465737470617373776f7264f09f9491");
}

TEST(Password, StripsC0DeleteAndC1ButKeepsSpace) {
  // \x01 and \x1f (C0), \x7f (Delete), U+0080 and U+009F (C1, UTF-8 C2 80 / C2 9F), \n.
  const std::string input = std::string("a\x01") + "b\x1f" + "c\x7f" + "d\xc2\x80" + "e\xc2\x9f" + "f g\n";
  EXPECT_EQ(processed(input), "abcdef g");
}

TEST(Password, StripsEmbeddedNul) {
  const std::string input("pa\0ss", 5);
  EXPECT_EQ(processed(input), "pass");
}

TEST(Password, KeepsCharactersJustOutsideControlRanges) {
  // U+00A0 (no-break space) is not a control code but NFKD maps it to U+0020.
  EXPECT_EQ(processed("x\xc2\xa0y"), "x y");
  // U+00E9 decomposes to e + U+0301 under NFKD.
  EXPECT_EQ(processed("\xc3\xa9"), "e\xcc\x81");
}

TEST(Password, EmptyPasswordIsEmpty) { EXPECT_EQ(processed(""), ""); }

TEST(Password, RejectsInvalidUtf8WithoutEchoingIt) {
  auto r = normalize_password("secret\xff\xfe");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().message.find("secret"), std::string::npos);
}

}  // namespace
}  // namespace cc::crypto
