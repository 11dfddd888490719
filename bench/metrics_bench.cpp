// Cost of the metrics on the signing path, per request: one counter by (status, operation) and
// one histogram observation by operation, looked up by label values each time as the router
// does, from 1, 2 and 4 threads at once. Next to it, the same counting behind one mutex and a
// map, the design the metrics library avoids.
//   build/release/bench/cc_metrics_bench [--iterations N]
#include <time.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "metrics/registry.hpp"

namespace {

using Clock = std::chrono::steady_clock;

double thread_cpu_ns() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
}

// CPU time per operation, averaged over all threads: on a shared machine wall time mostly
// measures the other tenants, CPU time measures the operation (cache-line transfers and lock
// waits included).
template <class F>
double ns_per_op(unsigned threads, std::uint64_t iterations, F op) {
  std::atomic<bool> go{false};
  std::atomic<double> cpu{0};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      const double start = thread_cpu_ns();
      for (std::uint64_t i = 0; i < iterations; ++i) op(t, i);
      cpu.fetch_add(thread_cpu_ns() - start);
    });
  }
  go = true;
  for (auto& w : workers) w.join();
  return cpu.load() / static_cast<double>(iterations * threads);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint64_t iterations = 2'000'000;
  for (int i = 1; i + 1 < argc; ++i) {
    if (std::strcmp(argv[i], "--iterations") == 0) iterations = std::stoull(argv[i + 1]);
  }
  cc::metrics::Registry registry;
  auto& requests = registry.counter("bench_requests_total", "x", {"status", "operation"});
  auto& duration = registry.histogram("bench_duration_seconds", "x", {"operation"}, cc::metrics::latency_buckets());
  const char* operations[] = {"ATTESTATION", "AGGREGATION_SLOT", "BLOCK_V2", "SYNC_COMMITTEE_MESSAGE"};

  std::mutex mu;
  std::map<std::pair<std::string, std::string>, std::uint64_t> locked_counts;
  std::map<std::string, std::vector<std::uint64_t>> locked_histograms;

  std::printf("CPU ns per request, averaged over the threads\n\n");
  std::printf("| threads | metrics library: counter + histogram | one mutex + map |\n|---|---|---|\n");
  for (unsigned threads : {1u, 2u, 4u}) {
    const double lib = ns_per_op(threads, iterations, [&](unsigned t, std::uint64_t i) {
      const char* op = operations[(t + i) % 4];
      requests.with({"200", op}).inc();
      duration.with({op}).observe(0.0025 + static_cast<double>(i % 7) * 0.001);
    });
    const double locked = ns_per_op(threads, iterations, [&](unsigned t, std::uint64_t i) {
      const char* op = operations[(t + i) % 4];
      std::lock_guard lock(mu);
      ++locked_counts[{"200", op}];
      auto& h = locked_histograms[op];
      h.resize(15);
      ++h[i % 15];
    });
    std::printf("| %u | %.0f ns | %.0f ns |\n", threads, lib, locked);
  }
  return 0;
}
