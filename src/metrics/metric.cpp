#include "metrics/metric.hpp"

#include <algorithm>
#include <bit>
#include <stdexcept>

namespace cc::metrics {

std::size_t shard_of_this_thread() {
  static std::atomic<std::size_t> next{0};
  thread_local const std::size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kShards;
  return shard;
}

std::uint64_t Counter::value() const {
  std::uint64_t total = 0;
  for (const auto& c : cells_) total += c.value.load(std::memory_order_relaxed);
  return total;
}

void Gauge::add(double delta) {
  double current = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(current, current + delta, std::memory_order_relaxed)) {
  }
}

const Buckets& latency_buckets() {
  static const Buckets buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
  return buckets;
}

Histogram::Histogram(const Buckets& bounds)
    : bounds_(bounds),
      // bucket counts (bounds + the +Inf bucket), then the sum
      lines_per_shard_((bounds.size() + 2 + 7) / 8),
      lines_(new Line[kShards * lines_per_shard_]) {
  for (std::size_t i = 0; i < kShards * lines_per_shard_; ++i) {
    for (auto& w : lines_[i].word) w.store(0, std::memory_order_relaxed);
  }
}

void Histogram::observe(double v) {
  const std::size_t shard = shard_of_this_thread();
  // The first bucket whose upper bound is >= v ("le"); past the last bound, +Inf. NaN lands in
  // +Inf too (every comparison with it is false).
  const auto bucket = static_cast<std::size_t>(
      std::find_if(bounds_.begin(), bounds_.end(), [v](double b) { return v <= b; }) - bounds_.begin());
  word(shard, bucket).fetch_add(1, std::memory_order_relaxed);
  auto& sum = word(shard, bounds_.size() + 1);
  std::uint64_t bits = sum.load(std::memory_order_relaxed);
  while (!sum.compare_exchange_weak(bits, std::bit_cast<std::uint64_t>(std::bit_cast<double>(bits) + v),
                                    std::memory_order_relaxed)) {
  }
}

HistogramSnapshot Histogram::snapshot() const {
  HistogramSnapshot s;
  s.counts.assign(bounds_.size() + 1, 0);
  for (std::size_t shard = 0; shard < kShards; ++shard) {
    for (std::size_t b = 0; b <= bounds_.size(); ++b) s.counts[b] += word(shard, b).load(std::memory_order_relaxed);
    s.sum += std::bit_cast<double>(word(shard, bounds_.size() + 1).load(std::memory_order_relaxed));
  }
  // The count is the sum of the buckets read, so the +Inf bucket and _count always agree even
  // when observations land during the read.
  for (auto c : s.counts) s.count += c;
  return s;
}

}  // namespace cc::metrics
