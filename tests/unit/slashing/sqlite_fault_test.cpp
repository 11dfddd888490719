// Fault injection under the SQLite store while a signing storm races conflicting messages
// (fault_storm.hpp): fsync and write errors (a VFS shim, failing_vfs.hpp), a disk that fills up
// (RLIMIT_FSIZE in a child process; a size-limited tmpfs when running as root), and a read-only
// database file or directory. After each fault: no slashable pair was released, every allowed
// message is in the database (read back by a fresh store), the store answered "unavailable"
// with the path and the cause while the fault lasted, and the same store signs again once the
// fault is gone (or, for what cannot heal, opening fails with an error naming the problem).
#include <fcntl.h>
#include <grp.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "../../support/child.hpp"
#include "failing_vfs.hpp"
#include "fault_storm.hpp"
#include "slashing/sqlite_handle.hpp"

namespace cc::slashing::test {
namespace {

using std::chrono::milliseconds;
constexpr unsigned kKeys = 4;

std::string integrity(const std::string& path) {
  SqliteConnection db(path);
  return db.pragma_text("PRAGMA integrity_check");
}

// Reads back a storm's allowed messages through a freshly opened store on `path`.
void expect_recorded_after_reopen(const std::string& path, const std::vector<StormAllowed>& allowed) {
  EXPECT_EQ(no_slashable_pairs(allowed), "");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(unrecorded(*store, allowed), "");
  store.reset();
  EXPECT_EQ(integrity(path), "ok");
}

// The storm, a fault switched on until the store has answered unavailable, health() while it
// lasts, then the fault switched off and the same store signing again.
struct FaultRun {
  std::vector<StormAllowed> allowed;
  std::string first_error;
  std::string health_during;
};

FaultRun storm_through(SlashingStore& store, const std::function<void()>& fault_on,
                       const std::function<void()>& fault_off) {
  FaultStorm storm(store, kKeys);
  EXPECT_TRUE(storm.wait_for_allowed(200)) << "the storm did not start";
  fault_on();
  EXPECT_TRUE(storm.wait_for_unavailable(20)) << "the fault was not noticed";
  FaultRun run;
  auto h = store.health();
  run.health_during = h.ok() ? "ok" : h.error().message;
  std::this_thread::sleep_for(milliseconds(200));
  fault_off();
  EXPECT_TRUE(storm.wait_for_allowed(200)) << "the same store did not sign again after the fault";
  EXPECT_TRUE(store.health().ok()) << "health still down after the fault";
  storm.stop();
  EXPECT_EQ(storm.late(), 0u);
  run.allowed = storm.allowed();
  run.first_error = storm.first_error();
  return run;
}

TEST(SqliteFaults, FsyncFailureMidStormReleasesNothingUnrecorded) {
  FailingVfs::install();
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  const unsigned failed_before = FailingVfs::syncs_failed;
  auto run = storm_through(
      *store, [] { FailingVfs::fail_sync = true; }, [] { FailingVfs::fail_sync = false; });
  EXPECT_GT(FailingVfs::syncs_failed.load(), failed_before);
  EXPECT_NE(run.first_error.find(path), std::string::npos) << run.first_error;
  EXPECT_NE(run.first_error.find("disk I/O error"), std::string::npos) << run.first_error;
  EXPECT_NE(run.health_during.find("not writable"), std::string::npos) << run.health_during;
  EXPECT_GT(store->stats().failed_commits, 0u);
  store.reset();
  expect_recorded_after_reopen(path, run.allowed);
}

TEST(SqliteFaults, WriteErrorsMidStormReleaseNothingUnrecorded) {
  FailingVfs::install();
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  auto run = storm_through(
      *store, [] { FailingVfs::fail_write = true; }, [] { FailingVfs::fail_write = false; });
  EXPECT_NE(run.first_error.find(path), std::string::npos) << run.first_error;
  EXPECT_NE(run.health_during, "ok");
  store.reset();
  expect_recorded_after_reopen(path, run.allowed);
}

// ---- a full disk ----------------------------------------------------------------------------

using cc::test::in_child;

std::uintmax_t size_of(const std::string& file) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(file, ec);
  return ec ? 0 : n;
}

// The child's report: "error: <first error>\nhealth: <health during>\n---\n" + serialised allowed,
// or "problem: ..." lines.
struct ChildReport {
  std::string problems;
  std::string first_error;
  std::string health;
  std::vector<StormAllowed> allowed;
};
ChildReport parse_report(const std::string& text) {
  ChildReport r;
  const auto split = text.find("---\n");
  std::istringstream head(text.substr(0, split));
  for (std::string line; std::getline(head, line);) {
    if (line.rfind("error: ", 0) == 0)
      r.first_error = line.substr(7);
    else if (line.rfind("health: ", 0) == 0)
      r.health = line.substr(8);
    else
      r.problems += line + "\n";
  }
  if (split != std::string::npos) r.allowed = deserialise(text.substr(split + 4));
  return r;
}

// The disk fills up part-way through the storm: writes past RLIMIT_FSIZE fail with EFBIG (the
// child ignores SIGXFSZ). Raising the limit again is the operator freeing space.
TEST(SqliteFaults, DiskFullMidStormUnderAFileSizeLimit) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto [text, status] = in_child([&]() -> std::string {
    ::signal(SIGXFSZ, SIG_IGN);
    auto opened = open_sqlite_store(options_at(path));
    if (!opened) return "problem: open: " + opened.error().message + "\n";
    auto& store = **opened;
    std::ostringstream out;
    std::vector<StormAllowed> allowed;
    {
      FaultStorm storm(store, kKeys);
      if (!storm.wait_for_allowed(200)) out << "problem: the storm did not start\n";
      const rlim_t room = std::max(size_of(path), size_of(path + "-wal")) + 64 * 1024;
      struct rlimit full {
        room, RLIM_INFINITY
      };
      ::setrlimit(RLIMIT_FSIZE, &full);
      if (!storm.wait_for_unavailable(20)) out << "problem: the full disk was not noticed\n";
      auto h = store.health();
      out << "health: " << (h.ok() ? "ok" : h.error().message) << "\n";
      struct rlimit unlimited {
        RLIM_INFINITY, RLIM_INFINITY
      };
      ::setrlimit(RLIMIT_FSIZE, &unlimited);
      if (!storm.wait_for_allowed(200)) out << "problem: no signing after space came back\n";
      storm.stop();
      if (storm.late() != 0) out << "problem: " << storm.late() << " late answers\n";
      out << "error: " << storm.first_error() << "\n";
      allowed = storm.allowed();
    }
    if (auto h = store.health(); !h.ok()) out << "problem: health after recovery: " << h.error().message << "\n";
    out << "---\n" << serialise(allowed);
    return out.str();
  });
  ASSERT_TRUE(WIFEXITED(status)) << "child status " << status;
  const auto report = parse_report(text);
  EXPECT_EQ(report.problems, "");
  EXPECT_NE(report.first_error.find(path), std::string::npos) << report.first_error;
  // SQLite names the failure ("disk I/O error", with the OS reason when it still has it).
  EXPECT_NE(report.first_error.find("disk I/O error"), std::string::npos) << report.first_error;
  // health() is a one-row write: on a nearly full disk it may still fit in pages the WAL already
  // owns, so it is shown, not required to fail (the signing requests above did fail, loudly).
  std::printf("[ disk full ] health during the fault: %s\n", report.health.c_str());
  ASSERT_GE(report.allowed.size(), 400u);
  expect_recorded_after_reopen(path, report.allowed);
}

// A real ENOSPC: the database on a small tmpfs that another writer fills up mid-storm (a filler
// file written until the kernel says "No space left on device"); deleting the filler is the
// operator freeing space. Needs CAP_SYS_ADMIN (mount); skipped with the reason otherwise.
class SmallFilesystem : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "size=16m,mode=0700") != 0) {
      GTEST_SKIP() << "cannot mount a size-limited tmpfs (" << std::strerror(errno)
                   << "): needs root/CAP_SYS_ADMIN; DiskFullMidStormUnderAFileSizeLimit covers a full disk without it";
    }
    mounted_ = true;
  }
  void TearDown() override {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }
  // Writes the filler until the filesystem is full; true when ENOSPC was reached.
  bool fill() {
    const int fd = ::open(dir_.file("filler").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return false;
    const std::string chunk(64 * 1024, 'x');
    bool full = false;
    for (;;) {
      const ssize_t n = ::write(fd, chunk.data(), chunk.size());
      if (n < 0 && errno == ENOSPC) {
        full = true;
        break;
      }
      if (n <= 0) break;
    }
    ::close(fd);
    return full;
  }
  void free_space() { ::unlink(dir_.file("filler").c_str()); }
  TempDir dir_;
  bool mounted_ = false;
};

TEST_F(SmallFilesystem, DiskFullMidStormOnARealFilesystem) {
  const auto path = dir_.file("slashing.sqlite");
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  bool filled = false;
  auto run = storm_through(
      *store, [&] { filled = fill(); }, [&] { free_space(); });
  ASSERT_TRUE(filled) << "the filesystem never reported ENOSPC";
  EXPECT_NE(run.first_error.find(path), std::string::npos) << run.first_error;
  EXPECT_NE(run.first_error.find("full"), std::string::npos) << run.first_error;
  std::printf("[ disk full ] health during the fault: %s\n", run.health_during.c_str());  // see above
  store.reset();
  expect_recorded_after_reopen(path, run.allowed);
}

// ---- read-only database ---------------------------------------------------------------------

// Runs `body` in a child that cannot bypass file permissions: as root it first becomes nobody
// (the directory is given to nobody so that only the mode bits decide).
std::string as_unprivileged(const TempDir& dir, const std::function<std::string()>& body) {
  constexpr uid_t kNobody = 65534;
  const bool root = ::geteuid() == 0;
  if (root) {
    for (const auto& e : std::filesystem::recursive_directory_iterator(dir.path())) {
      if (::lchown(e.path().c_str(), kNobody, kNobody) != 0) return "chown failed";
    }
    if (::chown(dir.path().c_str(), kNobody, kNobody) != 0) return "chown failed";
  }
  auto [text, status] = in_child([&]() -> std::string {
    if (root && (::setgroups(0, nullptr) != 0 || ::setresgid(kNobody, kNobody, kNobody) != 0 ||
                 ::setresuid(kNobody, kNobody, kNobody) != 0)) {
      return "cannot become nobody";
    }
    return body();
  });
  return WIFEXITED(status) ? text : "child died with status " + std::to_string(status);
}

// A database that exists with history, closed.
void make_database(const std::string& path) {
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  ASSERT_EQ(check(*store, block(1, 10, 1)), Refusal::none);
}

std::string open_and_sign(const std::string& path) {
  auto opened = open_sqlite_store(options_at(path));
  if (!opened) return "refused: " + opened.error().message;
  auto r = (*opened)->check_and_record_sync(kGvr, block(1, 11, 1));
  if (r && r->allowed()) return "signed";
  return r ? "refused by rule" : "unavailable: " + r.error().message;
}

TEST(SqliteFaults, ReadOnlyDatabaseFileFailsToOpenNamingTheFile) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  make_database(path);
  ASSERT_EQ(::chmod(path.c_str(), 0400), 0);
  const auto outcome = as_unprivileged(dir, [&] { return open_and_sign(path); });
  EXPECT_EQ(outcome.rfind("refused: ", 0), 0u) << outcome;
  EXPECT_NE(outcome.find(path + ": cannot open: Permission denied"), std::string::npos) << outcome;
  // Writable again: the history is intact and enforced.
  ASSERT_EQ(::chmod(path.c_str(), 0600), 0);
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(check(*store, block(1, 10, 2)), Refusal::double_block_proposal);
}

TEST(SqliteFaults, ReadOnlyDirectoryFailsToOpenOrSignsNothing) {
  TempDir dir;
  const auto path = dir.file("data/slashing.sqlite");
  make_database(path);
  const auto data = dir.path() / "data";
  ASSERT_EQ(::chmod(data.c_str(), 0500), 0);
  const auto outcome = as_unprivileged(dir, [&] { return open_and_sign(path); });
  // SQLite cannot create its -wal file there: opening must fail loudly, never sign unrecorded.
  EXPECT_EQ(outcome.rfind("refused: ", 0), 0u) << outcome;
  EXPECT_NE(outcome.find(path), std::string::npos) << outcome;
  ASSERT_EQ(::chmod(data.c_str(), 0700), 0);
  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(check(*store, block(1, 10, 2)), Refusal::double_block_proposal);
  EXPECT_EQ(check(*store, block(1, 11, 2)), Refusal::none) << "the child's attempt recorded something";
}

}  // namespace
}  // namespace cc::slashing::test
