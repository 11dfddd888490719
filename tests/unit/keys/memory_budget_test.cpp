#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "keys/memory_budget.hpp"

namespace cc::keys {
namespace {

TEST(MemoryBudget, BoundsConcurrentHolders) {
  MemoryBudget budget(300);  // room for three holders of 100 at a time
  std::atomic<int> inside{0};
  std::atomic<int> max_inside{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 20; ++i) {
        MemoryBudget::Reservation r(budget, 100);
        const int now = ++inside;
        int seen = max_inside.load();
        while (now > seen && !max_inside.compare_exchange_weak(seen, now)) {
        }
        std::this_thread::sleep_for(std::chrono::microseconds(200));
        --inside;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_LE(max_inside.load(), 3);
  EXPECT_GE(max_inside.load(), 1);
  EXPECT_LE(budget.peak(), 300u);
}

TEST(MemoryBudget, OversizedRequestRunsAloneInsteadOfDeadlocking) {
  MemoryBudget budget(100);
  { MemoryBudget::Reservation r(budget, 1000); }
  EXPECT_EQ(budget.peak(), 100u);
}

TEST(MemoryBudget, ZeroBytesNeverWaits) {
  MemoryBudget budget(10);
  MemoryBudget::Reservation full(budget, 10);
  MemoryBudget::Reservation free_ride(budget, 0);  // would deadlock if it queued
  EXPECT_EQ(budget.peak(), 10u);
}

TEST(MemoryBudget, DefaultIsPositive) { EXPECT_GT(default_kdf_memory_budget(), 0u); }

}  // namespace
}  // namespace cc::keys
