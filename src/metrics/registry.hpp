#pragma once
// Registry: the metrics of one process, as GET /metrics shows them.
//
// A family is one metric name with its help, type and label names; its series are created on
// first use of a combination of label values and live as long as the registry. Family::with()
// finds an existing series without taking a lock (an insert-only open-addressing table of
// atomic pointers), so the signing path may call it per request; only the first use of a new
// combination takes the family's mutex. Callers that know their series up front may also keep
// the returned reference. A family without labels has its one series from the start, so it
// is exposed (at 0) before anything happens.
//
// Collectors are the pull side: functions run at each scrape that read values owned elsewhere
// (a lower layer's counters, a queue's length, the seal state) and return them as families.
// Layers below this one need not know about metrics at all.
//
// Declaring a family with an invalid or duplicate name, or using the wrong number of label
// values, is a programming error: std::invalid_argument. Thread-safe.
#include <array>
#include <atomic>
#include <deque>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/exposition.hpp"
#include "metrics/metric.hpp"

namespace cc::metrics {

// The series of one family, by label values. T is Counter, Gauge or Histogram.
template <class T>
class Family {
 public:
  Family(std::string name, std::string help, std::vector<std::string> label_names, Buckets bounds = {});
  Family(const Family&) = delete;
  Family& operator=(const Family&) = delete;

  // The series for these label values (one per label name, in order), created if new.
  T& with(std::span<const std::string_view> values);
  T& with(std::initializer_list<std::string_view> values) {
    return with(std::span<const std::string_view>(values.begin(), values.size()));
  }
  // The series of a family without labels.
  T& get() { return with(std::span<const std::string_view>{}); }

  FamilySnapshot snapshot() const;
  const std::string& name() const { return name_; }

 private:
  struct Node {
    std::size_t hash;
    std::vector<std::string> values;
    T metric;
  };
  static constexpr std::size_t kSlots = 256;  // series found lock-free; more live in overflow_

  static std::size_t hash_of(std::span<const std::string_view> values);
  static bool same(const Node& n, std::size_t hash, std::span<const std::string_view> values);
  T* find(std::size_t hash, std::span<const std::string_view> values) const;

  std::string name_, help_;
  std::vector<std::string> label_names_;
  Buckets bounds_;
  std::array<std::atomic<Node*>, kSlots> slots_{};
  mutable std::mutex mu_;                    // guards inserts, nodes_ and overflow_
  std::deque<std::unique_ptr<Node>> nodes_;  // owns every series, in creation order
  std::vector<Node*> overflow_;              // series beyond the lock-free table
  std::atomic<bool> overflowed_{false};
};

class Registry {
 public:
  using Collector = std::function<std::vector<FamilySnapshot>()>;

  Family<Counter>& counter(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Gauge>& gauge(std::string name, std::string help, std::vector<std::string> label_names = {});
  Family<Histogram>& histogram(std::string name, std::string help, std::vector<std::string> label_names,
                               Buckets bounds);

  // Runs at every scrape, after the registry's own families are read.
  void add_collector(Collector collector);

  // Every family, the registry's own in declaration order, then the collectors'. A collector
  // that throws, or returns a family under a name already taken, loses those families for
  // this scrape (logged), never the scrape.
  std::vector<FamilySnapshot> collect() const;
  // write_text(collect())
  std::string expose() const;

 private:
  void claim(const std::string& name);

  mutable std::mutex mu_;
  std::vector<std::string> names_;
  std::deque<Family<Counter>> counters_;
  std::deque<Family<Gauge>> gauges_;
  std::deque<Family<Histogram>> histograms_;
  std::vector<std::function<FamilySnapshot()>> own_;  // snapshots of the families above, in order
  std::vector<Collector> collectors_;
};

}  // namespace cc::metrics
