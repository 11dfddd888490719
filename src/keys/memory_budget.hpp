#pragma once
// MemoryBudget: a counting semaphore over bytes that bounds how much KDF working memory
// concurrent keystore decryptions may use (scrypt n=2^18, r=8 needs 256 MiB each).
//
// Thread-safe. acquire() blocks until the bytes are free. A request larger than the whole
// budget is clamped to the budget, so it runs alone instead of waiting forever. Requests
// are served in arrival order (FIFO tickets), so a large request is not starved by a
// stream of small ones. Use the RAII Reservation.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <mutex>

namespace cc::keys {

class MemoryBudget {
 public:
  explicit MemoryBudget(std::size_t budget_bytes);

  class Reservation {
   public:
    Reservation(MemoryBudget& budget, std::size_t bytes);
    Reservation(const Reservation&) = delete;
    Reservation& operator=(const Reservation&) = delete;
    ~Reservation();

   private:
    MemoryBudget& budget_;
    std::size_t bytes_;
  };

  std::size_t budget() const { return budget_; }
  // Highest number of bytes reserved at once so far.
  std::size_t peak() const;

 private:
  std::size_t acquire(std::size_t bytes);  // returns the clamped amount reserved
  void release(std::size_t bytes);

  const std::size_t budget_;
  mutable std::mutex mutex_;
  std::condition_variable freed_;
  std::size_t in_use_ = 0;
  std::size_t peak_ = 0;
  std::uint64_t next_ticket_ = 0;
  std::uint64_t serving_ = 0;
};

// Half of the memory this process may use: physical RAM (sysconf) or, when lower, the
// cgroup memory limit of a container (cgroup v2 memory.max or v1 memory.limit_in_bytes).
std::size_t default_kdf_memory_budget();

}  // namespace cc::keys
