#include <gtest/gtest.h>
#include <sys/stat.h>

#include "keys/filesystem_source.hpp"
#include "keys/keystore_generator.hpp"
#include "temp_dir.hpp"

namespace cc::keys {
namespace {

unsigned mode_of(const std::filesystem::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

void generate_and_load(crypto::KdfKind kind) {
  test::TempDir dir;
  const auto out = dir.path() / "new" / "keys";
  const auto pubkeys = generate_keystores(3, out.string(), "generated pw", kind, true);
  ASSERT_EQ(pubkeys.size(), 3u);
  EXPECT_EQ(mode_of(out), 0700u);
  for (const auto& pk : pubkeys) {
    ASSERT_EQ(pk.size(), 98u);
    const auto stem = out / ("keystore-" + pk.substr(2));
    EXPECT_EQ(mode_of(stem.string() + ".json"), 0600u);
    EXPECT_EQ(mode_of(stem.string() + ".txt"), 0600u);
  }

  KeyRegistry registry;
  FilesystemLoadOptions options;
  options.paths = {out.string()};
  const LoadReport report = load_filesystem_keys(options, registry);
  EXPECT_EQ(report.loaded, 3u);
  EXPECT_TRUE(report.failures.empty());
  for (const auto& pk : pubkeys) EXPECT_NE(registry.find(*from_hex_fixed<48>(pk)), nullptr) << pk;
}

TEST(KeystoreGenerator, ScryptKeystoresLoadBack) { generate_and_load(crypto::KdfKind::scrypt); }
TEST(KeystoreGenerator, Pbkdf2KeystoresLoadBack) { generate_and_load(crypto::KdfKind::pbkdf2); }

TEST(KeystoreGenerator, UnwritableDirectoryThrowsNamingIt) {
  test::TempDir dir;
  dir.write("file", "x");
  const std::string bad = (dir.path() / "file" / "sub").string();
  try {
    generate_keystores(1, bad, "pw", crypto::KdfKind::pbkdf2, true);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(bad), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace cc::keys
