#include "api/signing_log.hpp"

#include <spdlog/spdlog.h>

#include <vector>

#include "core/log.hpp"

namespace cc::api {

SigningLog::SigningLog(std::chrono::seconds interval) : interval_(interval) {
  if (interval_.count() > 0) thread_ = std::thread([this] { loop(); });
}

SigningLog::~SigningLog() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void SigningLog::record(std::string_view pubkey, std::string_view operation, unsigned status, double seconds,
                        std::string_view client) {
  log_event(spdlog::level::debug, "signing request",
            {{"pubkey", pubkey},
             {"operation", operation},
             {"status", status},
             {"duration_ms", seconds * 1000.0},
             {"client", client}});
  if (interval_.count() == 0) return;
  std::string key(operation);
  key += '.';
  key += std::to_string(status);
  std::lock_guard lock(mu_);
  ++counts_[key];
}

void SigningLog::summarize() {
  std::map<std::string, std::uint64_t> counts;
  std::chrono::steady_clock::time_point since;
  {
    std::lock_guard lock(mu_);
    counts.swap(counts_);
    since = since_;
    since_ = std::chrono::steady_clock::now();
  }
  std::uint64_t total = 0;
  for (const auto& [key, n] : counts) total += n;
  std::vector<LogField> fields;
  fields.reserve(counts.size() + 2);
  fields.emplace_back("seconds", std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count());
  fields.emplace_back("requests", total);
  for (const auto& [key, n] : counts) fields.emplace_back(key, n);
  log_event(spdlog::level::info, "signing summary", fields);
}

void SigningLog::loop() {
  std::unique_lock lock(mu_);
  while (!wake_.wait_for(lock, interval_, [this] { return stopping_; })) {
    lock.unlock();
    summarize();
    lock.lock();
  }
}

}  // namespace cc::api
