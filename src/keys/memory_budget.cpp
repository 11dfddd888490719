#include "keys/memory_budget.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <string>

namespace cc::keys {

MemoryBudget::MemoryBudget(std::size_t budget_bytes) : budget_(std::max<std::size_t>(budget_bytes, 1)) {}

MemoryBudget::Reservation::Reservation(MemoryBudget& budget, std::size_t bytes)
    : budget_(budget), bytes_(budget.acquire(bytes)) {}

MemoryBudget::Reservation::~Reservation() { budget_.release(bytes_); }

std::size_t MemoryBudget::acquire(std::size_t bytes) {
  bytes = std::min(bytes, budget_);
  if (bytes == 0) return 0;  // pbkdf2 needs no budget and never queues
  std::unique_lock lock(mutex_);
  const std::uint64_t ticket = next_ticket_++;
  freed_.wait(lock, [&] { return serving_ == ticket && in_use_ + bytes <= budget_; });
  ++serving_;
  in_use_ += bytes;
  peak_ = std::max(peak_, in_use_);
  lock.unlock();
  freed_.notify_all();  // the next ticket may fit as well
  return bytes;
}

void MemoryBudget::release(std::size_t bytes) {
  if (bytes == 0) return;
  {
    std::lock_guard lock(mutex_);
    in_use_ -= bytes;
  }
  freed_.notify_all();
}

std::size_t MemoryBudget::peak() const {
  std::lock_guard lock(mutex_);
  return peak_;
}

namespace {

// A limit file holds a byte count, or "max" when unlimited.
std::size_t read_limit(const char* path) {
  std::ifstream in(path);
  std::string text;
  if (!(in >> text) || text == "max") return std::numeric_limits<std::size_t>::max();
  try {
    return static_cast<std::size_t>(std::stoull(text));
  } catch (...) {
    return std::numeric_limits<std::size_t>::max();
  }
}

}  // namespace

std::size_t default_kdf_memory_budget() {
  const long pages = sysconf(_SC_PHYS_PAGES);
  const long page_size = sysconf(_SC_PAGE_SIZE);
  std::size_t limit = (pages > 0 && page_size > 0)
                          ? static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_size)
                          : std::size_t{1} << 30;
  limit = std::min(limit, read_limit("/sys/fs/cgroup/memory.max"));
  limit = std::min(limit, read_limit("/sys/fs/cgroup/memory/memory.limit_in_bytes"));
  return limit / 2;
}

}  // namespace cc::keys
