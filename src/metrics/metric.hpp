#pragma once
// The three kinds of series a signer exposes: Counter (only grows), Gauge (set, up or down) and
// Histogram (observations counted in fixed buckets, with their sum). Each is one series, that
// is one combination of label values of a family (family.hpp).
//
// Updates are lock-free and spread over kShards cache-line-sized cells: a thread always writes
// the same cell (chosen once per thread), so signing threads updating one counter do not
// bounce one cache line between cores. Reads (scrapes) add the cells up; a read racing with
// updates may miss the updates still in flight, never see a torn value. Thread-safe.
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace cc::metrics {

inline constexpr std::size_t kShards = 8;

// The cell index of the calling thread, in [0, kShards).
std::size_t shard_of_this_thread();

class Counter {
 public:
  void inc(std::uint64_t n = 1) { cells_[shard_of_this_thread()].value.fetch_add(n, std::memory_order_relaxed); }
  std::uint64_t value() const;

 private:
  struct alignas(64) Cell {
    std::atomic<std::uint64_t> value{0};
  };
  std::array<Cell, kShards> cells_;
};

// A gauge is one value written by whoever knows it (a scrape-time collector, a loader): no
// sharding, since a set() from several threads must leave one of the values, not a sum.
class Gauge {
 public:
  void set(double v) { value_.store(v, std::memory_order_relaxed); }
  void add(double delta);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0};
};

// Bucket upper bounds, strictly increasing and finite; +Inf is implicit.
using Buckets = std::vector<double>;

// 0.5 ms .. 10 s, for request and database latencies.
const Buckets& latency_buckets();

struct HistogramSnapshot {
  std::vector<std::uint64_t> counts;  // per bucket (not cumulative), the last one for +Inf
  double sum = 0;
  std::uint64_t count = 0;
};

class Histogram {
 public:
  // `bounds` must be strictly increasing and finite (Family checks it).
  explicit Histogram(const Buckets& bounds);
  void observe(double v);
  HistogramSnapshot snapshot() const;
  std::span<const double> bounds() const { return bounds_; }

 private:
  // Each shard owns whole cache lines: its bucket counts (+Inf last), then the sum (a double's
  // bits, added with compare-exchange). The count is the sum of the buckets.
  struct alignas(64) Line {
    std::atomic<std::uint64_t> word[8];
  };
  std::atomic<std::uint64_t>& word(std::size_t shard, std::size_t i) const {
    return lines_[shard * lines_per_shard_ + i / 8].word[i % 8];
  }

  std::vector<double> bounds_;
  std::size_t lines_per_shard_;
  std::unique_ptr<Line[]> lines_;
};

}  // namespace cc::metrics
