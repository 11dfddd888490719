#include "process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <sstream>
#include <string_view>
#include <thread>

extern char** environ;

namespace cc::test {

Process::Process(std::vector<std::string> argv, std::vector<std::string> env, std::string log_path)
    : log_path_(std::move(log_path)) {
  // The test's own variables replace inherited ones of the same name (getenv() finds the first).
  const auto name_of = [](std::string_view entry) { return entry.substr(0, entry.find('=')); };
  std::vector<std::string> full_env;
  for (char** e = environ; *e != nullptr; ++e) {
    const bool replaced = std::any_of(env.begin(), env.end(), [&](const std::string& mine) {
      return name_of(mine) == name_of(*e);
    });
    if (!replaced) full_env.emplace_back(*e);
  }
  for (auto& e : env) full_env.push_back(e);
  pid_ = fork();
  if (pid_ == 0) {
    int fd = ::open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    std::vector<char*> args, envp;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    for (auto& e : full_env) envp.push_back(e.data());
    envp.push_back(nullptr);
    execve(args[0], args.data(), envp.data());
    _exit(127);
  }
}

Process::~Process() {
  if (running()) {
    ::kill(pid_, SIGKILL);
    wait(std::chrono::seconds(10));
  }
}

std::string Process::log() const {
  std::ifstream in(log_path_);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool Process::running() {
  if (exited_ || pid_ <= 0) return false;
  int st = 0;
  if (waitpid(pid_, &st, WNOHANG) == pid_) {
    exited_ = true;
    status_ = st;
    return false;
  }
  return true;
}

bool Process::wait_for_log(const std::string& needle, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (log().find(needle) != std::string::npos) return true;
    if (!running()) return log().find(needle) != std::string::npos;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return false;
}

void Process::kill(int signal) {
  if (!exited_) ::kill(pid_, signal);
}

int Process::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() > deadline) return -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  if (WIFEXITED(status_)) return WEXITSTATUS(status_);
  if (WIFSIGNALED(status_)) return 128 + WTERMSIG(status_);
  return -1;
}

std::pair<int, std::string> run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env) {
  char tmpl[] = "/tmp/cc-cmd-XXXXXX";
  int fd = mkstemp(tmpl);
  close(fd);
  Process p(argv, env, tmpl);
  int code = p.wait(std::chrono::minutes(5));
  std::string out = p.log();
  unlink(tmpl);
  return {code, out};
}

}  // namespace cc::test
