#include "keys/filesystem_source.hpp"

#include <spdlog/spdlog.h>
#include <sys/stat.h>

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

// Decrypts jobs on worker threads and hands each key to `on_key` (called concurrently).
class Loader {
 public:
  using OnKey = std::function<void(std::size_t index, crypto::SecretKey&& key)>;
  Loader(const std::vector<KeyJob>& jobs, MemoryBudget& budget, LoadProgress& progress, const std::atomic<bool>* stop,
         OnKey on_key)
      : jobs_(jobs), budget_(budget), progress_(progress), stop_(stop), on_key_(std::move(on_key)) {}

  void run(unsigned threads, LoadReport& report) {
    std::vector<std::thread> workers;
    workers.reserve(threads);
    for (unsigned i = 0; i < threads; ++i) workers.emplace_back([this] { work(); });
    for (auto& w : workers) w.join();
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
      handle(i);
      progress_.key_done();
    }
  }

  void handle(std::size_t index) {
    const KeyJob& job = jobs_[index];
    try {
      auto key = load_job(job, budget_);
      if (!key) return fail(job, key.error().message);
      on_key_(index, std::move(key).value());
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

  const std::vector<KeyJob>& jobs_;
  MemoryBudget& budget_;
  LoadProgress& progress_;
  const std::atomic<bool>* stop_;
  OnKey on_key_;
  std::atomic<std::size_t> next_{0};
  std::atomic<bool> stopped_{false};
  std::mutex failures_mutex_;
  std::vector<LoadFailure> failures_;
};

// Which key a job is: the same descriptor document naming the same keystore is the same job.
std::string job_identity(const KeyJob& job) {
  return job.file + '\x1f' + job.where + '\x1f' + job.keystore_file.string();
}

// Size and modification time of every file a job reads: a change to any means decrypting again.
std::string job_fingerprint(const KeyJob& job) {
  std::string out;
  for (const fs::path& p : {fs::path(job.file), job.keystore_file, job.password_file}) {
    if (p.empty()) continue;
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    const auto time = ec ? fs::file_time_type{} : fs::last_write_time(p, ec);
    out += std::to_string(ec ? 0 : size) + ':' + std::to_string(time.time_since_epoch().count()) + ';';
  }
  return out;
}

}  // namespace

std::optional<std::string> shared_key_directory_warning(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode) || (st.st_mode & 077) == 0) return std::nullopt;
  return fmt::format("key directory {} is accessible to other users (mode {:o}): keystores and their passwords "
                     "should be readable by the signer only (chmod 700 {})",
                     path, st.st_mode & 07777, path);
}

FilesystemKeySource::FilesystemKeySource(FilesystemLoadOptions options, KeyRegistry& registry)
    : options_(std::move(options)), registry_(registry) {}

LoadReport FilesystemKeySource::load(const LoadProgressCallback& progress) {
  const auto start = std::chrono::steady_clock::now();
  LoadReport report;

  // 1. Scan: what every path holds now.
  struct Pending {
    std::string id, fingerprint;
    std::size_t path = 0;
  };
  std::vector<KeyJob> jobs;
  std::vector<Pending> pending;
  std::map<std::string, Entry> next;
  std::vector<bool> listed(options_.paths.size(), true);
  for (std::size_t p = 0; p < options_.paths.size(); ++p) {
    if (auto warning = shared_key_directory_warning(options_.paths[p])) spdlog::warn("{}", *warning);
    DirectoryScan scan = scan_key_directory(options_.paths[p]);
    listed[p] = scan.listed;
    for (const LoadFailure& f : scan.failures) spdlog::warn("key not loaded from {}: {}", f.file, f.reason);
    report.failures.insert(report.failures.end(), scan.failures.begin(), scan.failures.end());
    for (KeyJob& job : scan.jobs) {
      Pending item{job_identity(job), job_fingerprint(job), p};
      auto old = entries_.find(item.id);
      if (old != entries_.end() && old->second.fingerprint == item.fingerprint &&
          owned_.count(old->second.public_key) != 0) {
        next.emplace(item.id, old->second);  // unchanged: no second decryption
        ++report.unchanged;
        continue;
      }
      pending.push_back(std::move(item));
      jobs.push_back(std::move(job));
    }
  }
  // A path that cannot be listed keeps what it gave.
  for (const auto& [id, entry] : entries_) {
    if (entry.path < listed.size() && !listed[entry.path]) next.emplace(id, entry);
  }

  // 2. Decrypt what is new or changed; keys become usable one by one.
  const std::size_t total = jobs.size();
  const unsigned hardware = std::max(1u, std::thread::hardware_concurrency());
  const unsigned threads = static_cast<unsigned>(
      std::min<std::size_t>(options_.threads ? options_.threads : hardware, std::max<std::size_t>(total, 1)));
  MemoryBudget budget(options_.kdf_memory_budget_bytes ? options_.kdf_memory_budget_bytes : default_kdf_memory_budget());
  spdlog::info("loading {} keys from {} path(s) on {} threads, KDF memory budget {} MiB{}", total,
               options_.paths.size(), threads, budget.budget() >> 20,
               report.unchanged ? fmt::format(" ({} unchanged keys kept)", report.unchanged) : std::string());
  std::map<BlsPublicKey, std::size_t> provided;  // public key -> entries giving it
  for (const auto& [id, entry] : next) ++provided[entry.public_key];
  std::mutex mu;
  if (progress) progress(0, total);  // the total is known before the first key is done
  LoadProgress tracker(total, progress);
  Loader(jobs, budget, tracker, options_.stop, [&](std::size_t i, crypto::SecretKey&& secret) {
    auto key = std::make_shared<const crypto::SecretKey>(std::move(secret));
    const BlsPublicKey pk = key->public_key();
    std::lock_guard lock(mu);
    const bool again = provided[pk]++ != 0;  // another file of this source gives it too
    next[pending[i].id] = Entry{pending[i].path, pending[i].fingerprint, pk, jobs[i].canary};
    if (again) {
      ++report.duplicates;
    } else if (registry_.add(key, jobs[i].canary)) {
      owned_.insert(pk);
      ++report.loaded;
    } else if (owned_.count(pk) == 0) {
      ++report.duplicates;  // another source has this key
    }
  }).run(threads, report);

  // 3. Take out what is gone, and follow canary flags that changed.
  if (report.stopped) {
    for (auto& [id, entry] : entries_) next.emplace(id, entry);  // nothing is removed
  } else {
    std::map<BlsPublicKey, bool> wanted;  // public key -> canary
    for (const auto& [id, entry] : next) wanted[entry.public_key] = wanted[entry.public_key] || entry.canary;
    for (auto it = owned_.begin(); it != owned_.end();) {
      auto w = wanted.find(*it);
      if (w == wanted.end()) {
        registry_.remove(*it);
        ++report.removed;
        it = owned_.erase(it);
      } else {
        registry_.set_canary(*it, w->second);
        ++it;
      }
    }
  }
  entries_ = std::move(next);

  report.peak_kdf_memory_bytes = budget.peak();
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  spdlog::info("key loading finished in {:.1f} s: {} loaded, {} unchanged, {} removed, {} duplicates, {} failures",
               report.seconds, report.loaded, report.unchanged, report.removed, report.duplicates,
               report.failures.size());
  return report;
}

LoadReport load_filesystem_keys(const FilesystemLoadOptions& options, KeyRegistry& registry,
                                LoadProgressCallback progress) {
  return FilesystemKeySource(options, registry).load(progress);
}

}  // namespace cc::keys
