// load_filesystem_keys() on real files: both Web3Signer conventions, multi-document YAML,
// file-raw, relative paths, bad files among good ones, duplicates and the KDF memory budget.
#include <gtest/gtest.h>

#include <spdlog/fmt/fmt.h>
#include <sys/stat.h>

#include <algorithm>
#include <thread>

#include "crypto/keystore.hpp"
#include "keys/filesystem_source.hpp"
#include "keys/keystore_generator.hpp"
#include "temp_dir.hpp"

namespace cc::keys {
namespace {

using crypto::KdfKind;
using crypto::KdfParams;
using crypto::SecretKey;

// consensus-spec BLS test key and its public key.
constexpr std::string_view kRawSecret = "0x263dbd792f5b1be47ed85f8938c0f29586af0d3ac7b977f21c278fe1462040e3";
constexpr std::string_view kRawPubkey =
    "0xa491d1b0ecd9bb917989f0e74f0dea0422eac4a873e5e2644f368dffb9a6e20fd6e10c1b77654d067c0618f6e5a7f79a";

struct WrittenKey {
  BlsPublicKey pubkey;
  std::filesystem::path json;
};

// A keystore for a fresh key, written to dir/relative (+ optional password file).
WrittenKey write_keystore(const test::TempDir& dir, const std::string& relative, std::string_view password,
                          const KdfParams& params = KdfParams::light(KdfKind::pbkdf2)) {
  const SecretKey key = SecretKey::generate();
  const auto json = dir.write(relative, crypto::encrypt_keystore(key, password, params));
  return {key.public_key(), json};
}

std::string password_path_for(const std::string& json_relative) {
  return json_relative.substr(0, json_relative.size() - 5) + ".txt";
}

LoadReport load(const std::vector<std::string>& paths, KeyRegistry& registry, unsigned threads = 2,
                std::size_t budget = 0) {
  FilesystemLoadOptions options;
  options.paths = paths;
  options.threads = threads;
  options.kdf_memory_budget_bytes = budget;
  return load_filesystem_keys(options, registry);
}

const LoadFailure* failure_for(const LoadReport& report, std::string_view file_suffix) {
  for (const auto& f : report.failures) {
    if (f.file.size() >= file_suffix.size() && f.file.ends_with(file_suffix)) return &f;
  }
  return nullptr;
}

std::string describe(const LoadReport& r) {
  std::string out;
  for (const auto& f : r.failures) out += f.file + ": " + f.reason + "\n";
  return out;
}

TEST(FilesystemSource, BulkKeystoresWithPasswordFiles) {
  test::TempDir dir;
  std::vector<BlsPublicKey> expected;
  for (int i = 0; i < 4; ++i) {
    const std::string name = "validator_" + std::to_string(i) + ".json";
    expected.push_back(write_keystore(dir, name, "pw-" + std::to_string(i)).pubkey);
    dir.write(password_path_for(name), "pw-" + std::to_string(i) + "\n");
  }
  KeyRegistry registry;
  const LoadReport report = load({dir.str()}, registry);
  EXPECT_EQ(report.loaded, 4u) << describe(report);
  EXPECT_TRUE(report.failures.empty()) << describe(report);
  for (const auto& pk : expected) EXPECT_NE(registry.find(pk), nullptr);
}

TEST(FilesystemSource, YamlDescriptorsMultiDocumentRawAndRelativePaths) {
  test::TempDir dir;
  // Keystore and password live in a sibling directory, referenced relatively.
  const WrittenKey ks = write_keystore(dir, "secrets/ks.json", "yaml-pw");
  dir.write("secrets/ks.pass", "yaml-pw");
  // A keystore beside the descriptor, without <stem>.txt: the descriptor owns it, so the bulk
  // convention must not report a missing password file for it.
  const WrittenKey beside = write_keystore(dir, "keys/beside.json", "beside-pw");
  dir.write("keys/beside-password", "beside-pw\n");

  dir.write("keys/validators.yaml",
            "type: file-keystore\n"
            "keystoreFile: ../secrets/ks.json\n"
            "keystorePasswordFile: ../secrets/ks.pass\n"
            "---\n"
            "type: file-raw\n"
            "keyType: BLS\n"
            "privateKey: " + std::string(kRawSecret) + "\n"
            "---\n"
            "type: hashicorp\n"
            "serverHost: vault\n");
  dir.write("keys/beside.yml",
            "type: \"file-keystore\"\n"
            "keystoreFile: \"beside.json\"\n"
            "keystorePasswordFile: \"beside-password\"\n");

  KeyRegistry registry;
  const LoadReport report = load({(dir.path() / "keys").string()}, registry);
  EXPECT_EQ(report.loaded, 3u) << describe(report);
  EXPECT_NE(registry.find(ks.pubkey), nullptr);
  EXPECT_NE(registry.find(beside.pubkey), nullptr);
  EXPECT_NE(registry.find(*from_hex_fixed<48>(kRawPubkey)), nullptr);

  ASSERT_EQ(report.failures.size(), 1u) << describe(report);
  EXPECT_TRUE(report.failures[0].file.ends_with("validators.yaml"));
  EXPECT_NE(report.failures[0].reason.find("document 3"), std::string::npos) << report.failures[0].reason;
  EXPECT_NE(report.failures[0].reason.find("unsupported type 'hashicorp'"), std::string::npos);
}

TEST(FilesystemSource, BadFilesAreReportedAndGoodOnesStillLoad) {
  test::TempDir dir;
  std::vector<BlsPublicKey> good;
  for (int i = 0; i < 3; ++i) {
    const std::string name = "good" + std::to_string(i) + ".json";
    good.push_back(write_keystore(dir, name, "good").pubkey);
    dir.write(password_path_for(name), "good");
  }
  dir.write("corrupt.json", "{\"crypto\": {\"kdf\": ");
  dir.write("corrupt.txt", "whatever");
  write_keystore(dir, "wrongpw.json", "right password");
  dir.write("wrongpw.txt", "wrong password");
  write_keystore(dir, "nopassword.json", "pw");
  {
    // The keystore's pubkey field is changed to another key's.
    const SecretKey key = SecretKey::generate();
    std::string json = crypto::encrypt_keystore(key, "pw", KdfParams::light(KdfKind::pbkdf2));
    const std::string real = to_hex(key.public_key()).substr(2);
    const std::string other = std::string(kRawPubkey).substr(2);
    json.replace(json.find(real), real.size(), other);
    dir.write("mismatch.json", json);
    dir.write("mismatch.txt", "pw");
  }
  dir.write("bad.yaml", "type: file-raw\nprivateKey: 0x1234\n");
  dir.write("broken.yaml", "type: [unterminated\n");
  dir.write("missing-keystore.yaml",
            "type: file-keystore\nkeystoreFile: nowhere.json\nkeystorePasswordFile: nowhere.txt\n");

  KeyRegistry registry;
  const LoadReport report = load({dir.str()}, registry, 3);
  EXPECT_EQ(report.loaded, 3u) << describe(report);
  for (const auto& pk : good) EXPECT_NE(registry.find(pk), nullptr);
  EXPECT_EQ(report.failures.size(), 7u) << describe(report);

  auto expect_failure = [&](std::string_view file, std::string_view reason) {
    const LoadFailure* f = failure_for(report, file);
    ASSERT_NE(f, nullptr) << "no failure for " << file << "\n" << describe(report);
    EXPECT_NE(f->reason.find(reason), std::string::npos) << f->file << ": " << f->reason;
  };
  expect_failure("/corrupt.json", "invalid JSON");
  expect_failure("/wrongpw.json", "wrong password or corrupted keystore");
  expect_failure("/nopassword.json", "missing password file nopassword.txt");
  expect_failure("/mismatch.json", "pubkey mismatch");
  expect_failure("/bad.yaml", "privateKey: expected 32 bytes");
  expect_failure("/broken.yaml", "invalid YAML");
  expect_failure("/missing-keystore.yaml", "nowhere.json");

  for (const auto& f : report.failures) {
    EXPECT_EQ(f.reason.find("right password"), std::string::npos);
    EXPECT_EQ(f.reason.find("wrong password\n"), std::string::npos);
  }
}

TEST(FilesystemSource, DuplicatesAreCounted) {
  test::TempDir dir;
  dir.write("raw-a.yaml", "type: file-raw\nprivateKey: " + std::string(kRawSecret) + "\n");
  dir.write("raw-b.yaml", "type: file-raw\nprivateKey: " + std::string(kRawSecret) + "\n");
  write_keystore(dir, "k.json", "pw");
  dir.write("k.txt", "pw");

  KeyRegistry registry;
  const LoadReport first = load({dir.str()}, registry);
  EXPECT_EQ(first.loaded, 2u) << describe(first);
  EXPECT_EQ(first.duplicates, 1u);
  EXPECT_TRUE(first.failures.empty()) << describe(first);

  const LoadReport again = load({dir.str()}, registry);
  EXPECT_EQ(again.loaded, 0u);
  EXPECT_EQ(again.duplicates, 3u);
  EXPECT_EQ(registry.size(), 2u);
}

// `canary: true` in a descriptor (either type) marks the key; anything but a boolean fails it.
TEST(FilesystemSource, DescriptorCanaryFlag) {
  test::TempDir dir;
  dir.write("raw.yaml", "type: file-raw\nprivateKey: " + std::string(kRawSecret) + "\ncanary: true\n");
  const auto k = write_keystore(dir, "k.json", "pw");
  dir.write("k.txt", "pw");
  dir.write("k.yaml", "type: file-keystore\nkeystoreFile: k.json\nkeystorePasswordFile: k.txt\ncanary: false\n");
  dir.write("odd.yaml", "type: file-raw\nprivateKey: " + std::string(kRawSecret) + "\ncanary: [yes]\n");

  KeyRegistry registry;
  const LoadReport report = load({dir.str()}, registry);
  EXPECT_EQ(report.loaded, 2u) << describe(report);
  const auto raw = from_hex_fixed<48>(kRawPubkey).value();
  EXPECT_TRUE(registry.is_canary(raw));
  EXPECT_FALSE(registry.is_canary(k.pubkey));
  ASSERT_NE(failure_for(report, "odd.yaml"), nullptr) << describe(report);
  EXPECT_NE(failure_for(report, "odd.yaml")->reason.find("field 'canary' must be true or false"), std::string::npos);
}

TEST(FilesystemSource, MemoryBudgetForOneScryptStillLoadsAll) {
  test::TempDir dir;
  KdfParams params = KdfParams::standard(KdfKind::scrypt);
  params.n = 1 << 10;  // 128*8*1024 = 1 MiB per derivation
  const std::size_t per_key = crypto::kdf_memory_bytes(params);
  ASSERT_EQ(per_key, std::size_t{1} << 20);
  std::vector<BlsPublicKey> expected;
  for (int i = 0; i < 6; ++i) {
    const std::string name = "s" + std::to_string(i) + ".json";
    expected.push_back(write_keystore(dir, name, "pw", params).pubkey);
    dir.write(password_path_for(name), "pw");
  }

  KeyRegistry registry;
  const LoadReport report = load({dir.str()}, registry, 4, per_key);
  EXPECT_EQ(report.loaded, 6u) << describe(report);
  EXPECT_LE(report.peak_kdf_memory_bytes, per_key);
  EXPECT_EQ(report.peak_kdf_memory_bytes, per_key);
  for (const auto& pk : expected) EXPECT_NE(registry.find(pk), nullptr);

  // A budget smaller than one derivation still loads (one at a time), never deadlocks.
  KeyRegistry second;
  const LoadReport tiny = load({dir.str()}, second, 4, per_key / 4);
  EXPECT_EQ(tiny.loaded, 6u) << describe(tiny);
  EXPECT_LE(tiny.peak_kdf_memory_bytes, per_key / 4);
}

TEST(FilesystemSource, MissingDirectoryIsAFailureAndOtherPathsLoad) {
  test::TempDir dir;
  write_keystore(dir, "k.json", "pw");
  dir.write("k.txt", "pw");
  const std::string missing = (dir.path() / "does-not-exist").string();
  KeyRegistry registry;
  const LoadReport report = load({missing, dir.str()}, registry);
  EXPECT_EQ(report.loaded, 1u);
  ASSERT_EQ(report.failures.size(), 1u) << describe(report);
  EXPECT_EQ(report.failures[0].file, missing);
  EXPECT_NE(report.failures[0].reason.find("does not exist"), std::string::npos);
}

TEST(FilesystemSource, ProgressReachesTotal) {
  test::TempDir dir;
  for (int i = 0; i < 5; ++i) {
    write_keystore(dir, "p" + std::to_string(i) + ".json", "pw");
    dir.write("p" + std::to_string(i) + ".txt", "pw");
  }
  dir.write("p9.json", "not json");
  dir.write("p9.txt", "pw");
  std::vector<std::size_t> seen;
  std::size_t reported_total = 0;
  KeyRegistry registry;
  FilesystemLoadOptions options;
  options.paths = {dir.str()};
  options.threads = 3;
  load_filesystem_keys(options, registry, [&](std::size_t done, std::size_t total) {
    seen.push_back(done);
    reported_total = total;
  });
  EXPECT_EQ(reported_total, 6u);
  ASSERT_EQ(seen.size(), 7u) << "(0, total) once scanned, then one call per key";
  for (std::size_t i = 0; i < seen.size(); ++i) EXPECT_EQ(seen[i], i);
}

// A source loaded again (a reload) adds new files, removes the keys of deleted ones, does not
// decrypt unchanged ones again, keeps the keys of a directory that vanished, and never removes a
// key another source added.
TEST(FilesystemSource, ReloadAddsRemovesAndKeeps) {
  test::TempDir dir, other;
  const auto a = write_keystore(dir, "a.json", "pw");
  dir.write("a.txt", "pw");
  const auto b = write_keystore(dir, "b.json", "pw");
  dir.write("b.txt", "pw");
  const auto c = write_keystore(other, "c.json", "pw");
  other.write("c.txt", "pw");
  KeyRegistry registry;
  FilesystemLoadOptions options;
  options.paths = {dir.str(), other.str()};
  options.threads = 2;
  FilesystemKeySource source(options, registry);
  auto first = source.load();
  EXPECT_EQ(first.loaded, 3u) << describe(first);
  EXPECT_EQ(source.size(), 3u);

  // Unchanged: nothing decrypted (a keystore now unreadable would fail if it were).
  auto again = source.load();
  EXPECT_EQ(again.unchanged, 3u);
  EXPECT_EQ(again.loaded + again.removed + again.failures.size(), 0u) << describe(again);

  // b deleted, d added, a re-written with the same key under another password.
  std::filesystem::remove(b.json);
  const auto d = write_keystore(dir, "d.json", "pw");
  dir.write("d.txt", "pw");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));  // a later modification time
  dir.write("a.txt", "new-pw");
  auto reloaded = source.load();
  EXPECT_EQ(reloaded.loaded, 1u) << describe(reloaded);
  EXPECT_EQ(reloaded.removed, 2u) << "b deleted, a no longer opening";
  EXPECT_NE(failure_for(reloaded, "a.json"), nullptr) << "a changed and no longer opens: reported";
  EXPECT_FALSE(registry.contains(a.pubkey)) << "a file that no longer gives its key no longer signs";
  EXPECT_FALSE(registry.contains(b.pubkey));
  EXPECT_TRUE(registry.contains(c.pubkey));
  EXPECT_TRUE(registry.contains(d.pubkey));

  // The other directory vanishes: reported, but its key stays.
  std::filesystem::remove_all(other.path());
  auto vanished = source.load();
  EXPECT_NE(failure_for(vanished, other.path().filename().string()), nullptr) << describe(vanished);
  EXPECT_TRUE(registry.contains(c.pubkey));
  EXPECT_EQ(vanished.removed, 0u);

  // A key another source holds is never removed by this one.
  auto foreign = std::make_shared<const SecretKey>(SecretKey::generate());
  ASSERT_TRUE(registry.add(foreign));
  EXPECT_EQ(source.load().removed, 0u);
  EXPECT_TRUE(registry.contains(foreign->public_key()));
}

TEST(FilesystemSource, IgnoresDotFilesAndOtherExtensions) {
  test::TempDir dir;
  dir.write(".hidden.json", "garbage");
  dir.write("README.md", "# keys");
  dir.write("notes.txt", "not a password");
  KeyRegistry registry;
  const LoadReport report = load({dir.str()}, registry);
  EXPECT_EQ(report.loaded, 0u);
  EXPECT_TRUE(report.failures.empty()) << describe(report);
}

}  // namespace
}  // namespace cc::keys

namespace cc::keys {
namespace {

// Key directories are checked at start: a private one (0700) passes silently; any group or
// other bit draws a warning naming the directory, its mode and the fix.
TEST(FilesystemSource, WarnsAboutKeyDirectoriesOtherUsersCanRead) {
  test::TempDir dir;
  ASSERT_EQ(::chmod(dir.str().c_str(), 0700), 0);
  EXPECT_EQ(shared_key_directory_warning(dir.str()), std::nullopt);
  for (mode_t mode : {0750, 0705, 0755, 0711}) {
    ASSERT_EQ(::chmod(dir.str().c_str(), mode), 0);
    const auto warning = shared_key_directory_warning(dir.str());
    ASSERT_TRUE(warning.has_value()) << std::oct << mode;
    EXPECT_NE(warning->find(dir.str()), std::string::npos) << *warning;
    EXPECT_NE(warning->find(fmt::format("mode {:o}", mode)), std::string::npos) << *warning;
    EXPECT_NE(warning->find("chmod 700"), std::string::npos) << *warning;
  }
  EXPECT_EQ(shared_key_directory_warning(dir.str() + "/missing"), std::nullopt);  // reported elsewhere
}

}  // namespace
}  // namespace cc::keys
