#include "slashing/slashing_store.hpp"

#include <future>

namespace cc::slashing {

SlashingStore::~SlashingStore() = default;

Result<Decision> SlashingStore::check_and_record_sync(const Root& genesis_validators_root, SignedMessage msg) {
  std::promise<Result<Decision>> promise;
  auto future = promise.get_future();
  check_and_record(genesis_validators_root, std::move(msg),
                   [&promise](Result<Decision> r) { promise.set_value(std::move(r)); });
  return future.get();
}

}  // namespace cc::slashing
