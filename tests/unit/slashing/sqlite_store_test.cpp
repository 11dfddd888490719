// The SQLite store as files on disk: parent directories and private file modes, errors naming
// the path, the single-writer lock, and health when the file disappears. What every backend
// must do (refusals, watermarks, imports, batching, reopen) is in store_behaviour_test.
#include "slashing/sqlite_store.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <fstream>

#include "store_fixture.hpp"

namespace cc::slashing::test {
namespace {

TEST(SqliteStoreFiles, CreatesParentDirectoriesAndPrivateFiles) {
  TempDir dir;
  const auto path = (dir.path() / "a" / "b" / "slashing.sqlite").string();
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(check(*store, block(1, 1, 1)), Refusal::none);
  for (const auto& file : {path, path + "-wal", path + ".lock"}) {
    struct stat st {};
    ASSERT_EQ(::stat(file.c_str(), &st), 0) << file;
    EXPECT_EQ(st.st_mode & 0777, 0600u) << file;
  }
  EXPECT_FALSE(std::filesystem::exists(path + "-shm")) << "EXCLUSIVE locking keeps the WAL index in memory";
}

TEST(SqliteStoreFiles, ErrorsNameThePath) {
  TempDir dir;
  const auto blocker = dir.file("not-a-dir");
  { std::ofstream(blocker) << "x"; }
  auto r = open_sqlite_store(options_at(blocker + "/slashing.sqlite"));
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find(blocker), std::string::npos) << r.error().message;
}

TEST(SqliteStoreLock, ASecondOpenInTheSameProcessFails) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto first = open_store(path);
  ASSERT_NE(first, nullptr);
  auto second = open_sqlite_store(options_at(path));
  ASSERT_FALSE(second.ok());
  EXPECT_NE(second.error().message.find("already in use by another process"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find(path), std::string::npos) << second.error().message;
  first.reset();
  EXPECT_TRUE(open_sqlite_store(options_at(path)).ok()) << "the lock is released with the store";
}

TEST(SqliteStoreHealth, OkWhenWritableAndDownWhenTheFileIsGone) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(store->health().ok());
  EXPECT_EQ(store->backend_name(), "sqlite");
  std::filesystem::remove(path);
  auto h = store->health();
  ASSERT_FALSE(h.ok());
  EXPECT_EQ(h.error().kind, Error::Kind::unavailable);
  EXPECT_NE(h.error().message.find(path), std::string::npos) << h.error().message;
}

}  // namespace
}  // namespace cc::slashing::test
