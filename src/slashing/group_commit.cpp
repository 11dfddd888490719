#include "slashing/group_commit.hpp"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <algorithm>

namespace cc::slashing {

GroupCommitter::GroupCommitter(RunBatch run, std::size_t max_batch, std::chrono::microseconds max_delay)
    : run_(std::move(run)),
      max_batch_(max_batch == 0 ? 1 : max_batch),
      max_delay_(max_delay),
      thread_([this] { loop(); }) {}

GroupCommitter::~GroupCommitter() { stop(); }

void GroupCommitter::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void GroupCommitter::submit(PendingCheck check) {
  check.enqueued = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      // The committer waits either for a first check or, filling a batch, for max_batch of them:
      // waking it for anything in between would only cost it a context switch.
      const bool wake = queue_.empty() || queue_.size() + 1 >= max_batch_;
      queue_.push_back(std::move(check));
      if (wake) cv_.notify_one();
      return;
    }
  }
  check.done(Error::unavailable("the anti-slashing store is closed"));
}

void GroupCommitter::submit_many(std::vector<PendingCheck> checks) {
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard lock(mu_);
    if (!stopping_) {
      for (auto& c : checks) {
        c.enqueued = now;
        queue_.push_back(std::move(c));
      }
      cv_.notify_one();
      return;
    }
  }
  for (auto& c : checks) c.done(Error::unavailable("the anti-slashing store is closed"));
}

StoreStats GroupCommitter::stats() const { return {requests_.load(), commits_.load(), failed_commits_.load()}; }

void GroupCommitter::loop() {
  pthread_setname_np(pthread_self(), "cc-slash-commit");
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, and drained
    if (max_delay_.count() > 0 && queue_.size() < max_batch_ && !stopping_ &&
        std::chrono::steady_clock::now() - last_batch_end_ < max_delay_) {
      // Busy: requests are coming back to back. Trade a little latency for fewer commits by
      // letting more of them join this batch (submit() wakes us early only at max_batch).
      cv_.wait_for(lock, max_delay_, [this] { return stopping_ || queue_.size() >= max_batch_; });
    }
    std::vector<PendingCheck> batch;
    const std::size_t n = std::min(queue_.size(), max_batch_);
    batch.reserve(n);
    for (std::size_t i = 0; i < n; ++i) {
      batch.push_back(std::move(queue_.front()));
      queue_.pop_front();
    }
    lock.unlock();
    Result<std::vector<Result<Decision>>> results = Error::internal("batch not run");
    try {
      results = run_(batch);
    } catch (const std::exception& e) {
      results = Error::internal(std::string("anti-slashing batch failed: ") + e.what());
    }
    finish(batch, std::move(results));
    last_batch_end_ = std::chrono::steady_clock::now();
    lock.lock();
  }
}

void GroupCommitter::finish(std::vector<PendingCheck>& batch, Result<std::vector<Result<Decision>>> results) {
  if (results && results->size() != batch.size()) results = Error::internal("anti-slashing batch lost results");
  if (results) {
    commits_.fetch_add(1);
  } else {
    // An outage fails every batch: say so at most once a second, with how many were not logged.
    const auto now = std::chrono::steady_clock::now();
    if (now - last_failure_log_ >= std::chrono::seconds(1)) {
      const auto unlogged = failed_commits_.load() - failures_logged_;
      spdlog::error("anti-slashing: batch of {} not recorded: {}{}", batch.size(), results.error().message,
                    unlogged > 0 ? " (" + std::to_string(unlogged) + " more failed batches since the last report)"
                                 : std::string());
      last_failure_log_ = now;
      failures_logged_ = failed_commits_.load() + 1;
    }
    failed_commits_.fetch_add(1);
  }
  requests_.fetch_add(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    // Whatever broke the batch, nothing of it is recorded and nobody may sign: unavailable.
    Result<Decision> r =
        results ? std::move((*results)[i]) : Result<Decision>(Error::unavailable(results.error().message));
    try {
      batch[i].done(std::move(r));
    } catch (const std::exception& e) {
      spdlog::error("anti-slashing: a decision callback threw: {}", e.what());
    } catch (...) {
      spdlog::error("anti-slashing: a decision callback threw");
    }
  }
}

}  // namespace cc::slashing
