#pragma once
// LoadProgress reports key-loading progress: an optional callback after every key, and an
// info log line every ~2 s or each further 10% (done/total, keys/s, ETA). It never sees
// secrets. Thread-safe: workers call key_done() concurrently; the callback and logging run
// under an internal mutex, so the callback need not be thread-safe itself.
#include <chrono>
#include <cstddef>
#include <functional>
#include <mutex>

namespace cc::keys {

class LoadProgress {
 public:
  using Callback = std::function<void(std::size_t done, std::size_t total)>;

  LoadProgress(std::size_t total, Callback callback);

  void key_done();

 private:
  void log_line(std::size_t done, double elapsed) const;

  const std::size_t total_;
  const Callback callback_;
  const std::chrono::steady_clock::time_point start_;
  std::mutex mutex_;
  std::size_t done_ = 0;
  std::chrono::steady_clock::time_point last_log_;
  std::size_t last_logged_decile_ = 0;
};

}  // namespace cc::keys
