#include "keys/load_progress.hpp"

#include <spdlog/spdlog.h>

namespace cc::keys {

namespace {
constexpr std::chrono::seconds kLogInterval{2};
}  // namespace

LoadProgress::LoadProgress(std::size_t total, Callback callback)
    : total_(total), callback_(std::move(callback)), start_(std::chrono::steady_clock::now()), last_log_(start_) {}

void LoadProgress::key_done() {
  std::lock_guard lock(mutex_);
  ++done_;
  if (callback_) callback_(done_, total_);

  const auto now = std::chrono::steady_clock::now();
  const std::size_t decile = total_ ? done_ * 10 / total_ : 10;
  if (done_ == total_ || decile > last_logged_decile_ || now - last_log_ >= kLogInterval) {
    last_log_ = now;
    last_logged_decile_ = decile;
    log_line(done_, std::chrono::duration<double>(now - start_).count());
  }
}

void LoadProgress::log_line(std::size_t done, double elapsed) const {
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = rate > 0 ? static_cast<double>(total_ - done) / rate : 0.0;
  const double percent = total_ ? 100.0 * static_cast<double>(done) / static_cast<double>(total_) : 100.0;
  spdlog::info("loading keys: {}/{} ({:.0f}%), {:.1f} keys/s, ETA {:.0f} s", done, total_, percent, rate, eta);
}

}  // namespace cc::keys
