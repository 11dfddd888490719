#pragma once
// What the benchmarks share: the raw-blst reference every ratio is read against, a running
// signer started from the real binary, memory and CPU readings, and cached key fixtures.
//
// Every benchmark prints a Markdown table on stdout; with `--summary FILE` it also appends
// its headline rows (measure | value | target) to FILE, which scripts/bench.sh gathers into
// one table. Benchmarks run on the same cores as the signer, so each reports the load
// generator's own CPU share and the load average it started under.
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../tests/support/process.hpp"

namespace cc::bench {

using Clock = std::chrono::steady_clock;

// Signatures per second of raw blst (one secret key per thread, distinct roots) on `threads`
// threads for about `seconds`.
double raw_blst_rate(unsigned threads, double seconds);
// Wall time for `count` signatures shared by `threads` threads (a counter hands them out),
// in seconds: the raw-blst reference for a burst of `count` requests.
double raw_blst_time(std::size_t count, unsigned threads);

// CPU time of one signature (thread CPU clock, so other tenants' load does not inflate it), in
// microseconds: the yardstick for the signer's CPU time per request.
double raw_blst_cpu_us();

unsigned cores();
// "load average: 1.02, 0.87, 0.60", for the record beside each figure.
std::string load_average();
std::string machine();  // "2 cores, AMD EPYC"
std::string today();    // YYYY-MM-DD

// CPU seconds (user + system) this process used so far, and another process (all its threads).
double cpu_seconds_self();
double cpu_seconds_of(pid_t pid);
// Context switches (voluntary + involuntary) of every thread of `pid` so far.
double context_switches_of(pid_t pid);
// CPU seconds and context switches of `pid` so far, summed by the role of each thread, named
// after the thread names the signer gives: "I/O" (the main thread and cc-io), "signing"
// (cc-sign), "committer" (cc-slash-commit), "other".
struct ThreadUsage {
  double cpu_seconds = 0;
  double switches = 0;
};
std::map<std::string, ThreadUsage> usage_by_role(pid_t pid);
// CPU seconds so far of every process whose command name is one of `names` (e.g. the database
// server a benchmark started on the same cores: "postgres", "node" for dynalite).
double cpu_seconds_of_processes(const std::vector<std::string>& names);
// Resident memory of `pid` now (VmRSS) and its peak so far (VmHWM), in MiB; 0 if unknown.
double rss_mib(pid_t pid);
double peak_rss_mib(pid_t pid);

// The load generator: `connections` keep-alive HTTP/1.1 connections to 127.0.0.1:`port`, all
// driven by the calling thread (one event loop, as a validator client's connection pool would be),
// so the generator itself costs little CPU and few wake-ups on the cores it shares with the
// signer. Each connection asks next(c) for its next POST (nullopt: that connection is done) and
// hands each answer to done(c, status, body, milliseconds). Returns when every connection is
// done or `until` has passed (requests in flight then are awaited, not cut off).
struct LoadRequest {
  std::string target;
  std::string body;
};
void drive_connections(std::uint16_t port, int connections, Clock::time_point until,
                       const std::function<std::optional<LoadRequest>(int)>& next,
                       const std::function<void(int, unsigned, const std::string&, double)>& done);
// The same load generator with its connections kept open from one run() to the next (a burst
// benchmark sends several bursts over the same keep-alive connections, as a validator client's
// pool would). A connection lost in one run fails its first request in every later run.
class LoadClient {
 public:
  LoadClient(std::uint16_t port, int connections);  // connects them all
  ~LoadClient();
  void run(Clock::time_point until, const std::function<std::optional<LoadRequest>(int)>& next,
           const std::function<void(int, unsigned, const std::string&, double)>& done);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

double median(std::vector<double> v);
double percentile(std::vector<double> sorted, double p);

// A `containment-chamber server` on 127.0.0.1, a free port, its own state and SQLite file in
// `dir` (unless `extra_args` choose another backend).
class Signer {
 public:
  Signer(const std::filesystem::path& dir, const std::string& label, const std::vector<std::string>& key_paths,
         const std::vector<std::string>& extra_args, const std::vector<std::string>& env = {});
  ~Signer();
  // Waits until the listener is open; false (with the log on stderr) if it is not within `timeout`.
  bool wait_listening(std::chrono::seconds timeout);
  // Polls /healthcheck until 200; false on timeout or exit.
  bool wait_healthy(std::chrono::seconds timeout);
  std::uint16_t port() const { return port_; }
  pid_t pid() const { return process_->pid(); }
  std::string log() const { return process_->log(); }
  // The public keys /api/v1/eth2/publicKeys lists.
  std::vector<std::string> public_keys();
  void stop();

 private:
  std::unique_ptr<test::Process> process_;
  std::uint16_t port_ = 0;
};

// A directory of EIP-2335 keystores (keystore-*.json + keystore-*.txt), generated once and kept
// under `cache_root` (a build directory, never in git) for later runs. `kdf` is "scrypt" or
// "pbkdf2" with the standard work factors (n=2^18 / c=2^18), or "light" (tiny work factors, for
// runs that measure signing, not loading). Standard fixtures share one salt and password, so
// generating N costs one KDF; the signer still runs the KDF for each keystore it loads.
std::filesystem::path keystore_fixtures(const std::filesystem::path& cache_root, const std::string& kdf,
                                        std::size_t count);

// Appends "| measure | value | target |" rows to the summary file (no-op when `path` is empty).
void append_summary(const std::string& path, const std::vector<std::vector<std::string>>& rows);

// "--name value" from argv, or `fallback`.
std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback);
bool flag(int argc, char** argv, const std::string& name);

}  // namespace cc::bench
