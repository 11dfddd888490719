#include "slashing/slashing_store.hpp"

#include <atomic>
#include <future>
#include <memory>

namespace cc::slashing {

SlashingStore::~SlashingStore() = default;

namespace {

// The decisions of one batch, filled from whichever store threads answer; the last answer
// delivers them all.
struct BatchDecisions {
  explicit BatchDecisions(std::size_t n, std::function<void(std::vector<Result<Decision>>)> d)
      : results(n, Result<Decision>(Error::internal("not decided"))), remaining(n), done(std::move(d)) {}
  std::vector<Result<Decision>> results;
  std::atomic<std::size_t> remaining;
  std::function<void(std::vector<Result<Decision>>)> done;
};

}  // namespace

std::vector<std::function<void(Result<Decision>)>> batch_callbacks(
    std::size_t n, std::function<void(std::vector<Result<Decision>>)> done) {
  auto state = std::make_shared<BatchDecisions>(n, std::move(done));
  std::vector<std::function<void(Result<Decision>)>> callbacks;
  callbacks.reserve(n);
  for (std::size_t i = 0; i < n; ++i) {
    callbacks.emplace_back([state, i](Result<Decision> r) {
      state->results[i] = std::move(r);
      // acq_rel: the thread delivering the results sees every other thread's write.
      if (state->remaining.fetch_sub(1, std::memory_order_acq_rel) == 1) state->done(std::move(state->results));
    });
  }
  return callbacks;
}

void SlashingStore::check_and_record_batch(const Root& genesis_validators_root, std::vector<SignedMessage> msgs,
                                           std::function<void(std::vector<Result<Decision>>)> done) {
  if (msgs.empty()) return done({});
  auto callbacks = batch_callbacks(msgs.size(), std::move(done));
  for (std::size_t i = 0; i < msgs.size(); ++i) {
    check_and_record(genesis_validators_root, std::move(msgs[i]), std::move(callbacks[i]));
  }
}

Result<Decision> SlashingStore::check_and_record_sync(const Root& genesis_validators_root, SignedMessage msg) {
  std::promise<Result<Decision>> promise;
  auto future = promise.get_future();
  check_and_record(genesis_validators_root, std::move(msg),
                   [&promise](Result<Decision> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace cc::slashing
