// Password files: one trailing newline is the file's line ending, not part of the password.
#include <gtest/gtest.h>

#include "keys/secret_file.hpp"
#include "temp_dir.hpp"

namespace cc::keys {
namespace {

std::string read(const test::TempDir& dir, std::string_view content) {
  const auto path = dir.write("pw.txt", content);
  auto r = read_password_file(path);
  EXPECT_TRUE(r.ok()) << (r ? "" : r.error().message);
  return r ? std::string(reinterpret_cast<const char*>(r->data()), r->size()) : "<error>";
}

TEST(PasswordFile, TrimsOnlyOneTrailingNewline) {
  test::TempDir dir;
  EXPECT_EQ(read(dir, "secret\n"), "secret");
  EXPECT_EQ(read(dir, "secret\r\n"), "secret");
  EXPECT_EQ(read(dir, "secret"), "secret");
  EXPECT_EQ(read(dir, " sec ret \n"), " sec ret ");
  EXPECT_EQ(read(dir, "secret\n\n"), "secret\n");
  EXPECT_EQ(read(dir, ""), "");
}

TEST(PasswordFile, MissingFileNamesThePath) {
  test::TempDir dir;
  auto r = read_password_file(dir.path() / "absent.txt");
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("absent.txt"), std::string::npos);
}

}  // namespace
}  // namespace cc::keys
