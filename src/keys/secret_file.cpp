#include "keys/secret_file.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace cc::keys {
namespace {

constexpr std::size_t kMaxPasswordFile = 64 * 1024;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

Error io_error(const std::filesystem::path& path, const char* what) {
  return Error::unavailable(std::string(what) + " " + path.string() + ": " + std::strerror(errno));
}

}  // namespace

Result<crypto::SecretBuffer> read_password_file(const std::filesystem::path& path) {
  FileDescriptor fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (fd.get() < 0) return io_error(path, "cannot open password file");
  struct stat st {};
  if (::fstat(fd.get(), &st) != 0) return io_error(path, "cannot stat password file");
  if (!S_ISREG(st.st_mode)) return Error::invalid("password file " + path.string() + " is not a regular file");
  if (static_cast<std::size_t>(st.st_size) > kMaxPasswordFile) {
    return Error::invalid("password file " + path.string() + " is larger than 64 KiB");
  }
  // One byte of headroom detects a file that grew between fstat() and read().
  crypto::SecretBuffer buffer(static_cast<std::size_t>(st.st_size) + 1);
  std::size_t filled = 0;
  while (filled < buffer.size()) {
    const ssize_t n = ::read(fd.get(), buffer.data() + filled, buffer.size() - filled);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return io_error(path, "cannot read password file");
    if (n == 0) break;
    filled += static_cast<std::size_t>(n);
  }
  if (filled > static_cast<std::size_t>(st.st_size)) {
    return Error::unavailable("password file " + path.string() + " changed while being read");
  }
  std::size_t length = filled;
  if (length > 0 && buffer.data()[length - 1] == '\n') {
    --length;
    if (length > 0 && buffer.data()[length - 1] == '\r') --length;
  }
  buffer.truncate(length);
  return buffer;
}

}  // namespace cc::keys
