#include "state/document_store.hpp"

#include <chrono>
#include <random>
#include <thread>

namespace cc::state {

Result<Document> update_document(DocumentStore& store, std::string_view name,
                                 const std::function<Result<std::string>(const std::optional<Document>&)>& change) {
  // Writers that lost the race wait a random while before reading again (full jitter, growing to
  // 100 ms), so replicas hammering one document take turns instead of colliding again at once.
  thread_local std::minstd_rand random{std::random_device{}()};
  for (int attempt = 0; attempt < 30; ++attempt) {
    if (attempt > 0) {
      const int cap_ms = std::min(100, 2 << std::min(attempt, 6));
      std::this_thread::sleep_for(std::chrono::microseconds(random() % (static_cast<unsigned>(cap_ms) * 1000u)));
    }
    auto current = store.get(name);
    if (!current) return current.error();
    auto next = change(*current);
    if (!next) return next.error();
    const std::uint64_t expected = *current ? (*current)->version : 0;
    auto written = store.put(name, *next, expected);
    if (!written) return written.error();
    if (*written) return Document{std::move(*next), expected + 1};
  }
  return Error::unavailable("signer state: " + std::string(name) + " keeps changing under this write (" +
                            store.describe() + "); try again");
}

}  // namespace cc::state
