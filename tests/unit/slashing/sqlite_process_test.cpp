// What can really break around the SQLite store, with real processes: another process holding
// the database, a disk that refuses writes in the middle of a batch, and kill -9 in the middle
// of a signing storm. Children are forked from a single-threaded test process, report through
// a pipe, and leave with _exit so they never run the parent's test machinery.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <future>
#include <sstream>
#include <thread>

#include "../../support/child.hpp"
#include "store_fixture.hpp"

namespace cc::slashing::test {
namespace {

using cc::test::in_child;
using cc::test::read_all;
using cc::test::write_all;

TEST(SqliteStoreProcesses, AnotherProcessHoldingTheDatabaseBlocksOpen) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  int ready[2], release[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(release), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {  // holds the database until told to let go
    ::close(ready[0]);
    ::close(release[1]);
    auto store = open_sqlite_store(options_at(path));
    const char ok = store.ok() && (*store)->check_and_record_sync(kGvr, block(1, 1, 1)).ok() ? 'y' : 'n';
    write_all(ready[1], std::string(1, ok));
    char c;
    (void)::read(release[0], &c, 1);
    store = Error::internal("closed");
    ::_exit(0);
  }
  ::close(ready[1]);
  ::close(release[0]);
  char ok = 0;
  ASSERT_EQ(::read(ready[0], &ok, 1), 1);
  ASSERT_EQ(ok, 'y') << "the child could not open the database";

  auto second = open_sqlite_store(options_at(path));
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().kind, Error::Kind::unavailable);
  EXPECT_NE(second.error().message.find("already in use by another process"), std::string::npos)
      << second.error().message;
  EXPECT_NE(second.error().message.find(path), std::string::npos) << second.error().message;

  write_all(release[1], "x");
  int status = 0;
  ::waitpid(pid, &status, 0);
  ::close(ready[0]);
  ::close(release[1]);
  auto third = open_store(path);
  ASSERT_NE(third, nullptr) << "the lock dies with its holder";
  EXPECT_EQ(check(*third, block(1, 1, 2)), Refusal::double_block_proposal) << "the child's record is there";
}

std::uintmax_t size_of(const std::string& file) {
  std::error_code ec;
  const auto n = std::filesystem::file_size(file, ec);
  return ec ? 0 : n;
}

// RLIMIT_FSIZE stands in for a full disk: writes past the limit fail with EFBIG. The batch
// that cannot be written must be answered "unavailable" as a whole, and none of it recorded.
TEST(SqliteStoreProcesses, AFailedCommitAnswersUnavailableAndRecordsNothing) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  auto [report, status] = in_child([&]() -> std::string {
    std::ostringstream problems;
    SqliteOptions options;
    options.path = path;
    options.max_batch_delay = std::chrono::milliseconds(20);
    auto opened = open_sqlite_store(options);
    if (!opened) return "open: " + opened.error().message;
    auto& store = **opened;
    if (!store.check_and_record_sync(kGvr, block(0, 1, 1)).ok()) return "first signing failed";

    ::signal(SIGXFSZ, SIG_IGN);
    const rlim_t limit = std::max(size_of(path), size_of(path + "-wal"));
    struct rlimit full {
      limit, RLIM_INFINITY
    };
    if (::setrlimit(RLIMIT_FSIZE, &full) != 0) return "setrlimit failed";

    constexpr unsigned kBatch = 200;
    std::vector<std::promise<Result<Decision>>> answers(kBatch);
    for (unsigned i = 0; i < kBatch; ++i) {
      store.check_and_record(kGvr, vote(100 + i, 1, 2, 1),
                             [&answers, i](Result<Decision> r) { answers[i].set_value(std::move(r)); });
    }
    for (unsigned i = 0; i < kBatch; ++i) {
      auto r = answers[i].get_future().get();
      if (r.ok())
        problems << "request " << i << " answered " << refusal_name(r->refusal) << " on a full disk; ";
      else if (r.error().kind != Error::Kind::unavailable)
        problems << "request " << i << " not 'unavailable'; ";
    }
    if (store.stats().failed_commits == 0) problems << "no failed commit counted; ";
    if (store.health().ok()) problems << "health ok on a full disk; ";

    struct rlimit unlimited {
      RLIM_INFINITY, RLIM_INFINITY
    };
    ::setrlimit(RLIMIT_FSIZE, &unlimited);
    if (auto h = store.health(); !h.ok()) problems << "health still down after recovery: " << h.error().message << "; ";
    // Nothing of the failed batch was recorded: a conflicting vote for each key is allowed now.
    for (unsigned i = 0; i < kBatch; i += 17) {
      auto r = store.check_and_record_sync(kGvr, vote(100 + i, 1, 2, 2));
      if (!r.ok() || !r->allowed()) problems << "key " << i << " was recorded by the failed batch; ";
    }
    return problems.str();
  });
  EXPECT_EQ(report, "");
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "child status " << status;
}

// kill -9 while batches are being committed: every decision the child reported as allowed
// (callbacks run only after COMMIT) must be in the database afterwards.
TEST(SqliteStoreProcesses, EveryReportedSignatureSurvivesKillNine) {
  TempDir dir;
  const auto path = dir.file("slashing.sqlite");
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    auto opened = open_sqlite_store(options_at(path));
    if (!opened) ::_exit(2);
    auto& store = **opened;
    std::vector<std::thread> threads;
    for (unsigned k = 0; k < 4; ++k) {
      threads.emplace_back([&store, k, fd = fds[1]] {
        for (std::uint64_t t = 1;; ++t) {
          auto r = store.check_and_record_sync(kGvr, vote(k, t - 1, t, static_cast<unsigned>(t)));
          if (r.ok() && r->allowed()) {
            const std::string line = std::to_string(k) + " " + std::to_string(t) + "\n";
            (void)::write(fd, line.data(), line.size());  // < PIPE_BUF: atomic
          }
        }
      });
    }
    for (auto& t : threads) t.join();
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string received;
  std::size_t lines = 0;
  char buf[4096];
  while (lines < 400) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    ASSERT_GT(n, 0) << "the child stopped early";
    received.append(buf, static_cast<std::size_t>(n));
    lines = static_cast<std::size_t>(std::count(received.begin(), received.end(), '\n'));
  }
  ::kill(pid, SIGKILL);
  received += read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));

  auto store = open_store(path);
  ASSERT_NE(store, nullptr);
  std::istringstream in(received);
  unsigned k = 0;
  std::uint64_t t = 0;
  std::size_t checked = 0;
  while (in >> k >> t) {
    ASSERT_EQ(check(*store, vote(k, t - 1, t, 0xffff)), Refusal::double_vote) << "key " << k << " target " << t;
    ASSERT_EQ(check(*store, vote(k, t - 1, t, static_cast<unsigned>(t))), Refusal::none);
    ++checked;
  }
  EXPECT_GE(checked, 400u);
}

}  // namespace
}  // namespace cc::slashing::test
