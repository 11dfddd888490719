#pragma once
// Runs a program and collects what it printed: the controller drives nitro-cli this way.
#include <chrono>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace cc::controller {

struct ProgramOutput {
  int exit_code = -1;  // -1: killed at the deadline or by a signal
  std::string out;     // stdout
  std::string err;     // stderr
};

// Starts argv[0] (searched in PATH when it has no '/'), waits up to `timeout` (then kills it),
// returns its exit code and output. unavailable when it cannot be started at all (the message
// names the program and the reason, e.g. "nitro-cli: No such file or directory").
Result<ProgramOutput> run_program(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace cc::controller
