#pragma once
// Runs the real containment-chamber binary as a child process for integration tests.
#include <sys/types.h>

#include <chrono>
#include <string>
#include <vector>

namespace cc::test {

class Process {
 public:
  // Starts `argv[0]` with `argv`, extra environment `env` ("K=V"), stdout+stderr to `log_path`.
  Process(std::vector<std::string> argv, std::vector<std::string> env, std::string log_path);
  ~Process();  // SIGKILLs the child if it is still running
  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;

  pid_t pid() const { return pid_; }
  // Waits until the log contains `needle`; false on timeout or when the child exits first.
  bool wait_for_log(const std::string& needle, std::chrono::milliseconds timeout);
  std::string log() const;
  void kill(int signal);
  // Waits for exit and returns the exit code (128+signal when killed); -1 on timeout.
  int wait(std::chrono::milliseconds timeout);
  bool running();

 private:
  pid_t pid_ = -1;
  std::string log_path_;
  int status_ = -1;
  bool exited_ = false;
};

// Runs a command to completion and returns (exit code, combined output).
std::pair<int, std::string> run_command(const std::vector<std::string>& argv, const std::vector<std::string>& env = {});

}  // namespace cc::test
