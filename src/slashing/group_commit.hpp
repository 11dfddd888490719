#pragma once
// GroupCommitter: the queue and the thread in front of a transactional store. Callers submit
// checks; one committer thread takes every pending check (up to max_batch), hands them to the
// store to run in ONE transaction in arrival order, and only after that transaction committed
// invokes the callbacks. One fsync thus serves a whole batch. If the batch fails, every check of
// it gets that Error.
//
// max_delay (0: never) lets a batch fill while the store is busy: when a check arrives less than
// max_delay after the previous batch ended, the committer waits up to max_delay for more (or
// until max_batch are queued) before it commits. A check arriving at an idle store is committed
// at once, so the delay costs latency only when requests come back to back, where it buys fewer,
// larger commits (measured for SQLite: about a tenth less CPU per request; docs/performance.md).
//
// Thread-safe. The destructor (or stop()) completes every queued check, then joins the thread;
// a check submitted after that is answered at once, on the caller's thread, with unavailable.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include "core/result.hpp"
#include "slashing/refusal.hpp"
#include "slashing/signed_message.hpp"
#include "slashing/slashing_store.hpp"

namespace cc::slashing {

struct PendingCheck {
  Root genesis_validators_root{};
  SignedMessage message;
  std::function<void(Result<Decision>)> done;
  // Set by submit(): lets a store bound the time from arrival to answer (PostgreSQL db_timeout).
  std::chrono::steady_clock::time_point enqueued{};
};

class GroupCommitter {
 public:
  // Runs the batch in one transaction and commits it. Returns one result per check, in order
  // (a check may fail alone, e.g. invalid input), or one Error for the whole batch, in which
  // case the transaction was rolled back and nothing of the batch is recorded.
  using RunBatch = std::function<Result<std::vector<Result<Decision>>>(const std::vector<PendingCheck>&)>;

  GroupCommitter(RunBatch run, std::size_t max_batch, std::chrono::microseconds max_delay);
  ~GroupCommitter();
  GroupCommitter(const GroupCommitter&) = delete;
  GroupCommitter& operator=(const GroupCommitter&) = delete;

  void submit(PendingCheck check);
  // Queues every check at once with one wake-up of the committer, so they join the same batch
  // (as far as max_batch allows), in order.
  void submit_many(std::vector<PendingCheck> checks);
  void stop();

  StoreStats stats() const;

 private:
  void loop();
  void finish(std::vector<PendingCheck>& batch, Result<std::vector<Result<Decision>>> results);

  RunBatch run_;
  const std::size_t max_batch_;
  const std::chrono::microseconds max_delay_;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<PendingCheck> queue_;
  bool stopping_ = false;

  std::atomic<std::uint64_t> requests_{0};
  std::atomic<std::uint64_t> commits_{0};
  std::atomic<std::uint64_t> failed_commits_{0};
  std::chrono::steady_clock::time_point last_batch_end_{};    // committer thread only
  std::chrono::steady_clock::time_point last_failure_log_{};  // committer thread only
  std::uint64_t failures_logged_ = 0;                         // failed_commits_ when last logged

  std::thread thread_;  // last: starts after everything above is initialised
};

}  // namespace cc::slashing
