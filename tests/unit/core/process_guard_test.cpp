// keep_secrets_out_of_dumps(): checked from inside (prctl/getrlimit) and from outside, the way
// an operator or the kernel sees it (/proc/<pid>/limits), in a forked child so the test process
// itself stays debuggable.
#include "core/process_guard.hpp"

#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

namespace cc {
namespace {

std::string core_limit_line(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/limits");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("Max core file size", 0) == 0) return line;
  }
  return "";
}

TEST(ProcessGuard, MakesTheProcessNonDumpableWithAZeroCoreLimit) {
  int ready[2], done[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(done), 0);
  const pid_t pid = ::fork();
  if (pid == 0) {
    const bool before = secrets_kept_out_of_dumps();
    const bool ok = keep_secrets_out_of_dumps().ok() && keep_secrets_out_of_dumps().ok();  // idempotent
    const rlimit raise{RLIM_INFINITY, RLIM_INFINITY};
    const bool cannot_raise = ::setrlimit(RLIMIT_CORE, &raise) != 0 || ::geteuid() == 0;  // root may raise it
    const char report[4] = {before ? 'y' : 'n', ok ? 'y' : 'n', secrets_kept_out_of_dumps() ? 'y' : 'n',
                            ::prctl(PR_GET_DUMPABLE, 0, 0, 0, 0) == 0 && cannot_raise ? 'y' : 'n'};
    (void)::write(ready[1], report, sizeof report);
    char c;
    (void)::read(done[0], &c, 1);  // stay alive while the parent looks at /proc
    ::_exit(0);
  }
  char report[4] = {};
  ASSERT_EQ(::read(ready[0], report, sizeof report), 4);
  EXPECT_EQ(report[0], 'n') << "a fresh process was already non-dumpable: the test proves nothing";
  EXPECT_EQ(report[1], 'y') << "keep_secrets_out_of_dumps() failed";
  EXPECT_EQ(report[2], 'y') << "not non-dumpable with core limit 0 afterwards";
  EXPECT_EQ(report[3], 'y') << "PR_GET_DUMPABLE is not 0, or the hard limit could be raised again";
  const auto line = core_limit_line(pid);
  std::istringstream fields(line.substr(std::string("Max core file size").size()));
  std::string soft, hard;
  fields >> soft >> hard;
  EXPECT_EQ(soft, "0") << line;
  EXPECT_EQ(hard, "0") << line;
  (void)::write(done[1], "x", 1);
  int status = 0;
  ::waitpid(pid, &status, 0);
  EXPECT_TRUE(WIFEXITED(status));
}

}  // namespace
}  // namespace cc
