#include "keys/filesystem_source.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <fstream>
#include <mutex>
#include <sstream>
#include <thread>

#include "crypto/keystore.hpp"
#include "keys/key_directory.hpp"
#include "keys/load_progress.hpp"
#include "keys/memory_budget.hpp"
#include "keys/secret_file.hpp"

namespace cc::keys {
namespace fs = std::filesystem;

namespace {

constexpr std::uintmax_t kMaxKeystoreFile = 1 << 20;  // real keystores are ~1 KiB

Result<std::string> read_keystore_file(const fs::path& path) {
  std::error_code ec;
  const std::uintmax_t size = fs::file_size(path, ec);
  if (ec) return Error::unavailable("cannot read keystore: " + ec.message());
  if (size > kMaxKeystoreFile) return Error::invalid("keystore file is larger than 1 MiB");
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  if (!(text << in.rdbuf())) return Error::unavailable("cannot read keystore");
  return text.str();
}

std::string_view as_text(const crypto::SecretBuffer& b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

// The key one job yields, or why it failed (messages leave the keystore path to the caller,
// which names it once). Runs on a worker thread.
Result<crypto::SecretKey> load_job(const KeyJob& job, MemoryBudget& budget) {
  if (job.kind == KeyJob::Kind::raw) return crypto::SecretKey::from_bytes(job.raw_secret.span());

  auto text = read_keystore_file(job.keystore_file);
  if (!text) return text.error();
  auto keystore = crypto::parse_keystore(*text);
  if (!keystore) return keystore.error();
  auto password = read_password_file(job.password_file);
  if (!password) return password.error();
  MemoryBudget::Reservation reservation(budget, crypto::kdf_memory_bytes(*keystore));
  return crypto::decrypt_keystore(*keystore, as_text(*password));
}

std::string failure_reason(const KeyJob& job, const std::string& message) {
  std::string reason;
  if (!job.where.empty()) reason += job.where + ": ";
  // Through a descriptor, say which keystore the message is about.
  if (job.kind == KeyJob::Kind::keystore && job.file != job.keystore_file.string()) {
    reason += "keystore " + job.keystore_file.string() + ": ";
  }
  return reason + message;
}

class Loader {
 public:
  Loader(std::vector<KeyJob> jobs, KeyRegistry& registry, MemoryBudget& budget, LoadProgress& progress,
         const std::atomic<bool>* stop)
      : jobs_(std::move(jobs)), registry_(registry), budget_(budget), progress_(progress), stop_(stop) {}

  void run(unsigned threads, LoadReport& report) {
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) workers.emplace_back([this] { work(); });
    for (auto& w : workers) w.join();
    report.loaded += loaded_.load();
    report.duplicates += duplicates_.load();
    std::sort(failures_.begin(), failures_.end(), [](const LoadFailure& a, const LoadFailure& b) {
      return a.file < b.file;
    });
    report.failures.insert(report.failures.end(), failures_.begin(), failures_.end());
    report.stopped = stopped_.load();
  }

 private:
  void work() {
    for (std::size_t i = next_.fetch_add(1); i < jobs_.size(); i = next_.fetch_add(1)) {
      if (stop_ != nullptr && stop_->load()) {
        stopped_ = true;
        return;
      }
      handle(jobs_[i]);
      progress_.key_done();
    }
  }

  void handle(const KeyJob& job) {
    try {
      auto key = load_job(job, budget_);
      if (!key) return fail(job, key.error().message);
      if (registry_.add(std::make_shared<const crypto::SecretKey>(std::move(key).value()))) {
        ++loaded_;
      } else {
        ++duplicates_;
      }
    } catch (const std::exception& e) {  // e.g. std::bad_alloc: this key fails, the rest load
      fail(job, std::string("unexpected error: ") + e.what());
    }
  }

  void fail(const KeyJob& job, const std::string& message) {
    LoadFailure failure{job.file, failure_reason(job, message)};
    spdlog::warn("key not loaded from {}: {}", failure.file, failure.reason);
    std::lock_guard lock(failures_mutex_);
    failures_.push_back(std::move(failure));
  }

  const std::vector<KeyJob> jobs_;
  KeyRegistry& registry_;
  MemoryBudget& budget_;
  LoadProgress& progress_;
  std::atomic<std::size_t> next_{0};
  std::atomic<std::size_t> loaded_{0};
  std::atomic<std::size_t> duplicates_{0};
  const std::atomic<bool>* stop_;
  std::atomic<bool> stopped_{false};
  std::mutex failures_mutex_;
  std::vector<LoadFailure> failures_;
};

}  // namespace

LoadReport load_filesystem_keys(const FilesystemLoadOptions& options, KeyRegistry& registry,
                                std::function<void(std::size_t done, std::size_t total)> progress) {
  const auto start = std::chrono::steady_clock::now();
  LoadReport report;

  std::vector<KeyJob> jobs;
  for (const std::string& path : options.paths) {
    DirectoryScan scan = scan_key_directory(path);
    for (const LoadFailure& f : scan.failures) spdlog::warn("key not loaded from {}: {}", f.file, f.reason);
    report.failures.insert(report.failures.end(), scan.failures.begin(), scan.failures.end());
    std::move(scan.jobs.begin(), scan.jobs.end(), std::back_inserter(jobs));
  }

  const std::size_t total = jobs.size();
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads =
      static_cast<unsigned>(std::min<std::size_t>(options.threads ? options.threads : hardware, std::max<std::size_t>(total, 1)));
  MemoryBudget budget(options.kdf_memory_budget_bytes ? options.kdf_memory_budget_bytes : default_kdf_memory_budget());
  spdlog::info("loading {} keys from {} path(s) on {} threads, KDF memory budget {} MiB", total, options.paths.size(),
               threads, budget.budget() >> 20);

  LoadProgress tracker(total, std::move(progress));
  Loader(std::move(jobs), registry, budget, tracker, options.stop).run(threads, report);

  report.peak_kdf_memory_bytes = budget.peak();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("key loading finished in {:.1f} s: {} loaded, {} duplicates, {} failures", report.seconds,
               report.loaded, report.duplicates, report.failures.size());
  return report;
}

}  // namespace cc::keys
