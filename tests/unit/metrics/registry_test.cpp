// Counters, gauges and histograms under concurrent updates, the lock-free series table of a
// family (concurrent first use, more series than its lock-free part holds), and the checks on
// declarations.
#include "metrics/registry.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

namespace cc::metrics {
namespace {

constexpr int kThreads = 8;
constexpr int kPerThread = 20000;

template <class F>
void on_threads(F f) {
  std::vector<std::thread> threads;
  std::atomic<bool> go{false};
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      while (!go.load()) std::this_thread::yield();
      f(t);
    });
  }
  go = true;
  for (auto& th : threads) th.join();
}

TEST(Counter, ConcurrentIncrementsAreAllCounted) {
  Counter c;
  on_threads([&](int) {
    for (int i = 0; i < kPerThread; ++i) c.inc();
  });
  c.inc(5);
  EXPECT_EQ(c.value(), static_cast<std::uint64_t>(kThreads) * kPerThread + 5);
}

TEST(Gauge, SetAndAdd) {
  Gauge g;
  g.set(3.5);
  EXPECT_EQ(g.value(), 3.5);
  on_threads([&](int) {
    for (int i = 0; i < 1000; ++i) g.add(1);
  });
  EXPECT_EQ(g.value(), 3.5 + kThreads * 1000);
  g.add(-10);
  EXPECT_EQ(g.value(), 3.5 + kThreads * 1000 - 10);
}

TEST(Histogram, ConcurrentObservationsLandInTheirBuckets) {
  Histogram h({1, 2, 4});
  on_threads([&](int t) {
    for (int i = 0; i < kPerThread; ++i) h.observe(t % 2 == 0 ? 1.0 : 3.0);  // bounds are inclusive
  });
  h.observe(-1);     // below every bound: first bucket
  h.observe(1e300);  // above every bound: +Inf
  const auto s = h.snapshot();
  ASSERT_EQ(s.counts.size(), 4u);
  const std::uint64_t half = kThreads / 2 * kPerThread;
  EXPECT_EQ(s.counts[0], half + 1);
  EXPECT_EQ(s.counts[1], 0u);
  EXPECT_EQ(s.counts[2], half);
  EXPECT_EQ(s.counts[3], 1u);
  EXPECT_EQ(s.count, 2 * half + 2);
  EXPECT_EQ(s.sum, static_cast<double>(half) * 1 + static_cast<double>(half) * 3 - 1 + 1e300);
}

TEST(Family, ConcurrentFirstUseCreatesOneSeries) {
  Registry r;
  auto& f = r.counter("demo_total", "Demo", {"status", "operation"});
  on_threads([&](int t) {
    for (int i = 0; i < kPerThread; ++i) {
      f.with({i % 2 == 0 ? "200" : "412", t % 2 == 0 ? "ATTESTATION" : "BLOCK_V2"}).inc();
    }
  });
  const auto snap = f.snapshot();
  ASSERT_EQ(snap.series.size(), 4u);
  double total = 0;
  for (const auto& s : snap.series) {
    EXPECT_EQ(s.value, kThreads / 2 * kPerThread / 2);
    total += s.value;
  }
  EXPECT_EQ(total, kThreads * kPerThread);
  // The same values find the same series.
  EXPECT_EQ(&f.with({"200", "ATTESTATION"}), &f.with({"200", "ATTESTATION"}));
  EXPECT_NE(&f.with({"200", "ATTESTATION"}), &f.with({"ATTESTATION", "200"}));
}

TEST(Family, MoreSeriesThanTheLockFreeTableHoldsStayDistinct) {
  Registry r;
  auto& f = r.counter("demo_total", "Demo", {"n"});
  std::vector<Counter*> seen;
  for (int i = 0; i < 1000; ++i) {
    const auto v = std::to_string(i);
    auto& c = f.with({v});
    c.inc(static_cast<std::uint64_t>(i));
    seen.push_back(&c);
  }
  EXPECT_EQ(std::set<Counter*>(seen.begin(), seen.end()).size(), 1000u);
  for (int i = 0; i < 1000; ++i) {
    const auto v = std::to_string(i);
    ASSERT_EQ(&f.with({v}), seen[static_cast<std::size_t>(i)]) << i;
    EXPECT_EQ(f.with({v}).value(), static_cast<std::uint64_t>(i));
  }
  EXPECT_EQ(f.snapshot().series.size(), 1000u);
}

TEST(Family, HistogramSeriesShareTheFamilyBuckets) {
  Registry r;
  auto& f = r.histogram("demo_seconds", "Demo", {"backend"}, {0.01, 0.1});
  f.with({"sqlite"}).observe(0.05);
  f.with({"postgres"}).observe(1);
  const auto snap = f.snapshot();
  ASSERT_EQ(snap.series.size(), 2u);
  EXPECT_EQ(snap.bounds, (std::vector<double>{0.01, 0.1}));
  EXPECT_EQ(snap.series[0].histogram.counts, (std::vector<std::uint64_t>{0, 1, 0}));
  EXPECT_EQ(snap.series[1].histogram.counts, (std::vector<std::uint64_t>{0, 0, 1}));
}

TEST(Registry, BadDeclarationsAreProgrammingErrors) {
  Registry r;
  r.counter("demo_total", "Demo");
  EXPECT_THROW(r.counter("demo_total", "again"), std::invalid_argument);
  EXPECT_THROW(r.gauge("demo_total", "again as a gauge"), std::invalid_argument);
  EXPECT_THROW(r.gauge("bad-name", "x"), std::invalid_argument);
  EXPECT_THROW(r.gauge("demo_a", "x", {"__reserved"}), std::invalid_argument);
  EXPECT_THROW(r.gauge("demo_b", "x", {"a", "a"}), std::invalid_argument);
  EXPECT_THROW(r.histogram("demo_c", "x", {"le"}, {1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("demo_d", "x", {}, {2, 1}), std::invalid_argument);
  EXPECT_THROW(r.histogram("demo_e", "x", {}, {}), std::invalid_argument);
  auto& f = r.counter("demo_labelled_total", "x", {"a", "b"});
  EXPECT_THROW(f.with({"only one"}), std::invalid_argument);
}

TEST(Registry, UnlabelledFamiliesAreExposedAtZeroFromTheStart) {
  Registry r;
  r.counter("demo_total", "Demo");
  r.gauge("demo_gauge", "Demo");
  const auto families = r.collect();
  ASSERT_EQ(families.size(), 2u);
  ASSERT_EQ(families[0].series.size(), 1u);
  EXPECT_EQ(families[0].series[0].value, 0);
  ASSERT_EQ(families[1].series.size(), 1u);
}

TEST(Registry, CollectorsRunAtEachScrapeAndABadOneCostsOnlyItsFamilies) {
  Registry r;
  r.counter("demo_total", "Demo");
  std::atomic<int> calls{0};
  r.add_collector([&] {
    FamilySnapshot f{"demo_live", "Read at scrape time", Type::gauge, {}, {}, {}};
    f.add({}, ++calls);
    return std::vector<FamilySnapshot>{f};
  });
  r.add_collector([]() -> std::vector<FamilySnapshot> { throw std::runtime_error("source unavailable"); });
  r.add_collector([] {
    FamilySnapshot dup{"demo_total", "duplicate of an owned family", Type::gauge, {}, {}, {}};
    dup.add({}, 7);
    return std::vector<FamilySnapshot>{dup};
  });
  EXPECT_EQ(r.collect().size(), 2u);
  const auto families = r.collect();
  ASSERT_EQ(families.size(), 2u);
  EXPECT_EQ(families[1].name, "demo_live");
  EXPECT_EQ(families[1].series[0].value, 2);
  EXPECT_EQ(families[0].series[0].value, 0) << "the duplicate did not replace the owned family";
}

}  // namespace
}  // namespace cc::metrics
