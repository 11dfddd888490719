// GroupCommitter's batching rule: an idle store commits a check at once, whatever max_delay; checks
// arriving back to back after a commit wait (up to max_delay) and share one batch; max_batch
// checks end the wait early.
#include "slashing/group_commit.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

namespace cc::slashing {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

struct Recorder {
  std::mutex mu;
  std::vector<std::size_t> batch_sizes;
  GroupCommitter::RunBatch run() {
    return [this](const std::vector<PendingCheck>& batch) -> Result<std::vector<Result<Decision>>> {
      std::lock_guard lock(mu);
      batch_sizes.push_back(batch.size());
      return std::vector<Result<Decision>>(batch.size(), Result<Decision>(Decision{}));
    };
  }
  std::vector<std::size_t> sizes() {
    std::lock_guard lock(mu);
    return batch_sizes;
  }
};

PendingCheck check(std::promise<void>& answered) {
  PendingCheck c;
  c.done = [&answered](Result<Decision>) { answered.set_value(); };
  return c;
}

// Commits one check (at once: the store is idle) and returns when it is answered; the store has
// then just committed, so the next checks arrive "back to back".
void commit_one(GroupCommitter& committer) {
  std::promise<void> first;
  committer.submit(check(first));
  first.get_future().wait();
}

bool all_answered(std::vector<std::promise<void>>& answered) {
  for (auto& a : answered) {
    if (a.get_future().wait_for(10s) != std::future_status::ready) return false;
  }
  return true;
}

TEST(GroupCommitter, AnIdleStoreCommitsAtOnceWhateverTheDelay) {
  Recorder rec;
  GroupCommitter committer(rec.run(), 1024, std::chrono::microseconds(1s));
  for (int round = 0; round < 2; ++round) {  // never committed yet; then idle for longer than the delay
    if (round == 1) std::this_thread::sleep_for(1200ms);
    std::promise<void> answered;
    const auto start = Clock::now();
    committer.submit(check(answered));
    ASSERT_EQ(answered.get_future().wait_for(5s), std::future_status::ready);
    EXPECT_LT(Clock::now() - start, 700ms) << "a lone check at an idle store must not wait for a batch to fill";
  }
  EXPECT_EQ(rec.sizes(), (std::vector<std::size_t>{1, 1}));
}

TEST(GroupCommitter, ChecksArrivingBackToBackShareOneBatch) {
  Recorder rec;
  GroupCommitter committer(rec.run(), 1024, std::chrono::microseconds(500ms));
  commit_one(committer);
  std::vector<std::promise<void>> answered(5);
  for (auto& a : answered) {
    committer.submit(check(a));
    std::this_thread::sleep_for(2ms);
  }
  ASSERT_TRUE(all_answered(answered));
  EXPECT_EQ(rec.sizes(), (std::vector<std::size_t>{1, 5}));
}

TEST(GroupCommitter, MaxBatchChecksEndTheWaitEarly) {
  Recorder rec;
  GroupCommitter committer(rec.run(), 4, std::chrono::microseconds(30s));
  commit_one(committer);
  std::vector<std::promise<void>> answered(4);
  const auto start = Clock::now();
  for (auto& a : answered) committer.submit(check(a));
  ASSERT_TRUE(all_answered(answered));
  EXPECT_LT(Clock::now() - start, 5s) << "a full batch must not wait out max_delay";
  EXPECT_EQ(rec.sizes(), (std::vector<std::size_t>{1, 4}));
}

TEST(GroupCommitter, WithoutADelayNothingWaits) {
  Recorder rec;
  GroupCommitter committer(rec.run(), 1024, std::chrono::microseconds(0));
  for (int i = 0; i < 3; ++i) {
    std::promise<void> answered;
    committer.submit(check(answered));
    ASSERT_EQ(answered.get_future().wait_for(2s), std::future_status::ready);
  }
  EXPECT_EQ(rec.sizes(), (std::vector<std::size_t>{1, 1, 1}));
}

}  // namespace
}  // namespace cc::slashing
