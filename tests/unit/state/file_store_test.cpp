// The file backend of the signer state: versioned compare-and-swap writes, atomic replacement,
// change detection, and several writers (threads with their own store, as replicas would be)
// never losing each other's updates.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <set>
#include <thread>

#include "concurrent_writers.hpp"
#include "state/file_store.hpp"

namespace cc::state {
namespace {

class FileStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cc-state-" + std::to_string(std::random_device{}()));
    auto s = FileDocumentStore::open((dir_ / "nested" / "state").string());
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string path() const { return (dir_ / "nested" / "state").string(); }

  std::filesystem::path dir_;
  std::unique_ptr<FileDocumentStore> store_;
};

TEST_F(FileStoreTest, CreatesAPrivateDirectoryAndReadsAbsentDocumentsAsNothing) {
  struct stat st {};
  ASSERT_EQ(::stat(path().c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0700u);
  auto doc = store_->get("auth");
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->has_value());
}

TEST_F(FileStoreTest, WritesAreVersionedAndOnlyLandOnTheVersionTheyRead) {
  auto first = store_->put("auth", "one", 0);
  ASSERT_TRUE(first.ok());
  EXPECT_TRUE(*first);
  auto again = store_->put("auth", "other", 0);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(*again) << "the document exists: a writer expecting none must not overwrite it";
  auto second = store_->put("auth", "two", 1);
  ASSERT_TRUE(second.ok() && *second);
  auto stale = store_->put("auth", "stale", 1);
  ASSERT_TRUE(stale.ok());
  EXPECT_FALSE(*stale);
  auto doc = store_->get("auth");
  ASSERT_TRUE(doc.ok() && doc->has_value());
  EXPECT_EQ((*doc)->content, "two");
  EXPECT_EQ((*doc)->version, 2u);
  struct stat st {};
  ASSERT_EQ(::stat((path() + "/auth.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
}

TEST_F(FileStoreTest, TheChangeStampMovesWithEveryWrite) {
  const auto absent = store_->change_stamp("auth");
  ASSERT_TRUE(absent.has_value());
  std::set<std::string> seen{*absent};
  for (std::uint64_t v = 0; v < 20; ++v) {
    ASSERT_TRUE(*store_->put("auth", "same size", v));
    const auto stamp = store_->change_stamp("auth");
    ASSERT_TRUE(stamp.has_value());
    EXPECT_TRUE(seen.insert(*stamp).second) << "write " << v << " left the stamp unchanged: " << *stamp;
  }
}

TEST_F(FileStoreTest, ConcurrentWritersLoseNothing) {
  test::expect_concurrent_writers_lose_nothing(
      [&]() -> std::unique_ptr<DocumentStore> {
        auto own = FileDocumentStore::open(path());  // its own store, as another replica would have
        return own ? std::move(*own) : nullptr;
      },
      *store_, 4, 25);
}

TEST_F(FileStoreTest, AnAbortedUpdateWritesNothing) {
  ASSERT_TRUE(*store_->put("auth", "kept", 0));
  auto r = update_document(*store_, "auth", [](const std::optional<Document>&) -> Result<std::string> {
    return Error::conflict("no");
  });
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::conflict);
  EXPECT_EQ((*store_->get("auth"))->content, "kept");
}

TEST_F(FileStoreTest, AForeignFileIsAnErrorNamingIt) {
  std::ofstream(path() + "/auth.json") << "{\"not\": \"ours\"}";
  auto doc = store_->get("auth");
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(doc.error().message.find(path() + "/auth.json"), std::string::npos) << doc.error().message;
  auto bad_name = store_->get("../etc/passwd");
  EXPECT_FALSE(bad_name.ok());
}

TEST(FileStoreOpen, AFileWhereTheDirectoryShouldBeIsAnError) {
  const auto file = std::filesystem::temp_directory_path() / ("cc-state-file-" + std::to_string(std::random_device{}()));
  std::ofstream(file) << "x";
  auto s = FileDocumentStore::open(file.string());
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find(file.string()), std::string::npos) << s.error().message;
  std::filesystem::remove(file);
}

}  // namespace
}  // namespace cc::state
