#include "keys/keystore_generator.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "crypto/keystore.hpp"
#include "keys/memory_budget.hpp"

namespace cc::keys {
namespace fs = std::filesystem;

namespace {

// Creates `path` with mode 0600 (never following or replacing an existing file) and writes
// `content` to it.
void write_private_file(const fs::path& path, std::string_view content) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) throw std::runtime_error("cannot create " + path.string() + ": " + std::strerror(errno));
  std::size_t written = 0;
  while (written < content.size()) {
    const ssize_t n = ::write(fd, content.data() + written, content.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const int err = errno;
      ::close(fd);
      throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(err));
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    throw std::runtime_error("cannot write " + path.string() + ": " + std::strerror(errno));
  }
}

void create_output_directory(const fs::path& dir) {
  std::error_code ec;
  if (fs::create_directories(dir, ec)) {
    fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  }
  if (ec || !fs::is_directory(dir)) {
    throw std::runtime_error("cannot create directory " + dir.string() + (ec ? ": " + ec.message() : ""));
  }
}

std::string generate_one(const fs::path& dir, std::string_view password, const crypto::KdfParams& params,
                         MemoryBudget& budget) {
  const crypto::SecretKey key = crypto::SecretKey::generate();
  std::string json;
  {
    MemoryBudget::Reservation reservation(budget, crypto::kdf_memory_bytes(params));
    json = crypto::encrypt_keystore(key, password, params);
  }
  const std::string pubkey = to_hex(key.public_key());
  const std::string stem = "keystore-" + pubkey.substr(2);
  write_private_file(dir / (stem + ".json"), json);
  write_private_file(dir / (stem + ".txt"), password);
  return pubkey;
}

}  // namespace

std::vector<std::string> generate_keystores(std::size_t count, const std::string& out_dir, std::string_view password,
                                            crypto::KdfKind kind, bool light) {
  const fs::path dir(out_dir);
  create_output_directory(dir);
  const crypto::KdfParams params = light ? crypto::KdfParams::light(kind) : crypto::KdfParams::standard(kind);

  std::vector<std::string> pubkeys(count);
  MemoryBudget budget(default_kdf_memory_budget());
  std::atomic<std::size_t> next{0};
  std::mutex error_mutex;
  std::exception_ptr first_error;

  auto work = [&] {
    for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
      try {
        pubkeys[i] = generate_one(dir, password, params, budget);
      } catch (...) {
        std::lock_guard lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        next.store(count);  // stop handing out work
      }
    }
  };
  const unsigned threads =
      static_cast<unsigned>(std::min<std::size_t>(std::max(1u, std::thread::hardware_concurrency()), std::max<std::size_t>(count, 1)));
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) workers.emplace_back(work);
  for (auto& w : workers) w.join();
  if (first_error) std::rethrow_exception(first_error);
  return pubkeys;
}

}  // namespace cc::keys
