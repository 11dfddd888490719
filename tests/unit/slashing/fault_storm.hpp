#pragma once
// A signing storm for fault-injection tests: for each key, two threads race the same messages
// with different signing roots (root 1 and root 2), so every decision is a chance to release a
// slashable pair. Even keys propose blocks at slots 1, 2, ...; odd keys attest (target t, source
// t-1). A thread that hears "unavailable" backs off briefly and moves on, like a validator
// client. While the test injects a fault, the storm keeps going; afterwards
//   - no_slashable_pairs() checks that no slot/target was allowed with both roots, and
//   - unrecorded() asks a store (the same one recovered, or a fresh one on the same database) to
//     sign a third root for every allowed message: each must be refused as a double proposal or
//     double vote, i.e. every allowed message was durably recorded before it was answered.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <future>
#include <map>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "store_fixture.hpp"

namespace cc::slashing::test {

struct StormAllowed {
  unsigned key;
  std::uint64_t position;  // slot (even keys) or target epoch (odd keys)
  unsigned root;           // 1 or 2
};

inline SignedMessage storm_message(unsigned key, std::uint64_t position, unsigned root_index) {
  if (key % 2 == 0) return block(key, position, root_index);
  return vote(key, position - 1, position, root_index);
}

class FaultStorm {
 public:
  using Clock = std::chrono::steady_clock;

  // Starts 2 * `keys` threads against `store`. `bound`: an answer slower than this counts as late.
  FaultStorm(SlashingStore& store, unsigned keys, Clock::duration bound = std::chrono::seconds(30))
      : store_(store), bound_(bound) {
    for (unsigned k = 0; k < keys; ++k) {
      for (unsigned r = 1; r <= 2; ++r) threads_.emplace_back([this, k, r] { run(k, r); });
    }
  }
  ~FaultStorm() { stop(); }

  void stop() {
    stop_ = true;
    for (auto& t : threads_) {
      if (t.joinable()) t.join();
    }
  }

  std::uint64_t allowed_count() const { return allowed_count_; }
  std::uint64_t unavailable() const { return unavailable_; }
  std::uint64_t late() const { return late_; }
  std::string first_error() const {
    std::lock_guard lock(mu_);
    return first_error_;
  }
  std::vector<StormAllowed> allowed() const {
    std::lock_guard lock(mu_);
    return allowed_;
  }
  // Waits until at least `n` more requests were allowed than when called; false on timeout.
  bool wait_for_allowed(std::uint64_t n, Clock::duration timeout = std::chrono::seconds(60)) const {
    const auto target = allowed_count_ + n;
    const auto end = Clock::now() + timeout;
    while (allowed_count_ < target) {
      if (Clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }
  // Waits until at least `n` more requests were answered unavailable; false on timeout.
  bool wait_for_unavailable(std::uint64_t n, Clock::duration timeout = std::chrono::seconds(60)) const {
    const auto target = unavailable_ + n;
    const auto end = Clock::now() + timeout;
    while (unavailable_ < target) {
      if (Clock::now() > end) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return true;
  }

 private:
  void run(unsigned key, unsigned root_index) {
    for (std::uint64_t position = 1; !stop_; ++position) {
      const auto start = Clock::now();
      auto r = store_.check_and_record_sync(kGvr, storm_message(key, position, root_index));
      if (Clock::now() - start > bound_) ++late_;
      if (!r) {
        ++unavailable_;
        {
          std::lock_guard lock(mu_);
          if (first_error_.empty()) first_error_ = r.error().message;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      } else if (r->allowed()) {
        std::lock_guard lock(mu_);
        allowed_.push_back({key, position, root_index});
        ++allowed_count_;
      }
    }
  }

  SlashingStore& store_;
  Clock::duration bound_;
  std::atomic<bool> stop_{false};
  std::atomic<std::uint64_t> allowed_count_{0}, unavailable_{0}, late_{0};
  mutable std::mutex mu_;
  std::vector<StormAllowed> allowed_;
  std::string first_error_;
  std::vector<std::thread> threads_;
};

// "" when no message was allowed with both roots; otherwise the first such pair.
inline std::string no_slashable_pairs(const std::vector<StormAllowed>& allowed) {
  std::map<std::pair<unsigned, std::uint64_t>, unsigned> seen;
  for (const auto& a : allowed) {
    auto [it, fresh] = seen.emplace(std::make_pair(a.key, a.position), a.root);
    if (!fresh && it->second != a.root) {
      return "key " + std::to_string(a.key) + " position " + std::to_string(a.position) +
             " was allowed with both signing roots";
    }
  }
  return "";
}

// Asks `store` for a third root of every allowed message (in parallel, through the store's own
// queue); returns a description of those that were not refused as a repeat, "" when none.
inline std::string unrecorded(SlashingStore& store, const std::vector<StormAllowed>& allowed) {
  std::vector<std::promise<Result<Decision>>> answers(allowed.size());
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    store.check_and_record(kGvr, storm_message(allowed[i].key, allowed[i].position, 3),
                           [&answers, i](Result<Decision> r) { answers[i].set_value(std::move(r)); });
  }
  std::ostringstream out;
  unsigned missing = 0;
  for (std::size_t i = 0; i < allowed.size(); ++i) {
    auto r = answers[i].get_future().get();
    const Refusal expected = allowed[i].key % 2 == 0 ? Refusal::double_block_proposal : Refusal::double_vote;
    if (r.ok() && r->refusal == expected) continue;
    if (++missing <= 5) {
      out << "key " << allowed[i].key << " position " << allowed[i].position << ": "
          << (r.ok() ? std::string(refusal_name(r->refusal)) : "error " + r.error().message) << "; ";
    }
  }
  if (missing > 0) out << missing << " of " << allowed.size() << " allowed messages not recorded";
  return out.str();
}

// One line per allowed message ("key position root"), for a child process to report to its parent.
inline std::string serialise(const std::vector<StormAllowed>& allowed) {
  std::string out;
  for (const auto& a : allowed) {
    out += std::to_string(a.key) + " " + std::to_string(a.position) + " " + std::to_string(a.root) + "\n";
  }
  return out;
}
inline std::vector<StormAllowed> deserialise(const std::string& text) {
  std::vector<StormAllowed> out;
  std::istringstream in(text);
  StormAllowed a{};
  while (in >> a.key >> a.position >> a.root) out.push_back(a);
  return out;
}

}  // namespace cc::slashing::test
