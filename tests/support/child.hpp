#pragma once
// Forked children for tests that need a second process (a lock holder, a lowered rlimit, a crash):
// the child runs a function and reports a string back through a pipe.
#include <sys/wait.h>
#include <unistd.h>

#include <exception>
#include <functional>
#include <string>
#include <utility>

namespace cc::test {

inline std::string read_all(int fd) {
  std::string out;
  char buf[4096];
  for (ssize_t n; (n = ::read(fd, buf, sizeof buf)) > 0;) out.append(buf, static_cast<std::size_t>(n));
  return out;
}

inline void write_all(int fd, const std::string& s) {
  for (std::size_t done = 0; done < s.size();) {
    const ssize_t n = ::write(fd, s.data() + done, s.size() - done);
    if (n <= 0) return;
    done += static_cast<std::size_t>(n);
  }
}

// Runs `body` in a forked child (call it while the test process is single-threaded); returns what
// the child reported ("" by convention means success; the child exits 0 then, else 1) and its wait
// status. An exception in the child is reported as "exception: <what>".
inline std::pair<std::string, int> in_child(const std::function<std::string()>& body) {
  int fds[2];
  if (::pipe(fds) != 0) return {"pipe failed", -1};
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    std::string report;
    try {
      report = body();
    } catch (const std::exception& e) {
      report = std::string("exception: ") + e.what();
    }
    write_all(fds[1], report);
    ::_exit(report.empty() ? 0 : 1);
  }
  ::close(fds[1]);
  std::string report = read_all(fds[0]);
  ::close(fds[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {report, status};
}

}  // namespace cc::test
