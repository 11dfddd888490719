#include "tee/nsm_transport.hpp"

#include <fcntl.h>
#include <linux/ioctl.h>
#include <spdlog/spdlog.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace cc::tee {

// The driver's definition, spelled with the kernel's own macro (linux/nsm.h is not in older
// distributions' headers, so the structure is ours and the number is checked here).
static_assert(_IOWR(0x0A, 0, NsmRawMessage) == kNsmIoctlRaw, "NSM_IOCTL_RAW");

namespace {

std::string errno_text(int error) {
  return std::strerror(error);
}

Status check_request_size(std::span<const std::uint8_t> request) {
  if (request.size() > kNsmRequestMaxSize) {
    return Error::invalid("NSM request of " + std::to_string(request.size()) + " bytes exceeds the device limit of " +
                          std::to_string(kNsmRequestMaxSize));
  }
  return {};
}

// Closes a descriptor on every path out of a function.
struct FdGuard {
  int fd;
  ~FdGuard() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

NsmRawMessage nsm_raw_message(std::span<const std::uint8_t> request, std::span<std::uint8_t> response) {
  NsmRawMessage message;
  message.request.addr = reinterpret_cast<std::uintptr_t>(request.data());
  message.request.len = request.size();
  message.response.addr = reinterpret_cast<std::uintptr_t>(response.data());
  message.response.len = response.size();
  return message;
}

Result<std::unique_ptr<NsmDeviceTransport>> NsmDeviceTransport::open(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return Error::unavailable("cannot open the NSM device " + path + ": " + errno_text(errno));
  return std::unique_ptr<NsmDeviceTransport>(new NsmDeviceTransport(fd, path));
}

NsmDeviceTransport::~NsmDeviceTransport() {
  ::close(fd_);
}

Result<ByteVector> NsmDeviceTransport::exchange(std::span<const std::uint8_t> request) {
  if (auto ok = check_request_size(request); !ok) return ok.error();
  ByteVector response(kNsmResponseMaxSize);
  NsmRawMessage message = nsm_raw_message(request, response);
  if (::ioctl(fd_, kNsmIoctlRaw, &message) != 0) {
    const int error = errno;
    if (error == ENOTTY || error == EINVAL) {
      return Error::unavailable(path_ + " is not a Nitro Secure Module (ioctl: " + errno_text(error) + ")");
    }
    if (error == EMSGSIZE) return Error::invalid("the NSM refused the request as too large");
    return Error::unavailable("NSM ioctl on " + path_ + " failed: " + errno_text(error));
  }
  if (message.response.len > response.size()) {
    return Error::internal("the NSM driver reported a response longer than its buffer");
  }
  response.resize(static_cast<std::size_t>(message.response.len));
  return response;
}

std::string NsmDeviceTransport::describe() const {
  return path_ + " (ioctl)";
}

NsmSocketTransport::NsmSocketTransport(std::string socket_path) : path_(std::move(socket_path)) {}

Result<ByteVector> NsmSocketTransport::exchange(std::span<const std::uint8_t> request) {
  if (auto ok = check_request_size(request); !ok) return ok.error();
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (path_.size() >= sizeof address.sun_path) return Error::invalid("NSM socket path too long: " + path_);
  std::memcpy(address.sun_path, path_.c_str(), path_.size() + 1);

  FdGuard socket{::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0)};
  if (socket.fd < 0) return Error::unavailable("NSM simulator socket: " + errno_text(errno));
  // A simulator that stops answering must not hang the enclave's start-up forever.
  timeval timeout{10, 0};
  ::setsockopt(socket.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  ::setsockopt(socket.fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof timeout);
  if (::connect(socket.fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) != 0) {
    return Error::unavailable("cannot reach the NSM simulator at " + path_ + ": " + errno_text(errno));
  }
  const ssize_t sent = ::send(socket.fd, request.data(), request.size(), MSG_NOSIGNAL);
  if (sent != static_cast<ssize_t>(request.size())) {
    return Error::unavailable("NSM simulator at " + path_ + ": send failed: " + errno_text(errno));
  }
  ByteVector response(kNsmResponseMaxSize);
  // MSG_TRUNC: the return value is the message's real length even when it did not fit.
  const ssize_t got = ::recv(socket.fd, response.data(), response.size(), MSG_TRUNC);
  if (got < 0) return Error::unavailable("NSM simulator at " + path_ + ": no response: " + errno_text(errno));
  if (got == 0) return Error::unavailable("NSM simulator at " + path_ + " closed without a response");
  if (static_cast<std::size_t>(got) > response.size()) {
    return Error::invalid("NSM response of " + std::to_string(got) + " bytes exceeds the device limit of " +
                          std::to_string(kNsmResponseMaxSize));
  }
  response.resize(static_cast<std::size_t>(got));
  return response;
}

std::string NsmSocketTransport::describe() const {
  return path_ + " (simulator socket)";
}

Result<std::unique_ptr<NsmTransport>> open_nsm_transport(const std::string& path) {
  struct stat info {};
  if (::stat(path.c_str(), &info) != 0) {
    return Error::unavailable("NSM device " + path + ": " + errno_text(errno) +
                              " (is this process running inside a Nitro Enclave?)");
  }
  if (S_ISCHR(info.st_mode)) {
    auto device = NsmDeviceTransport::open(path);
    if (!device) return device.error();
    return std::unique_ptr<NsmTransport>(std::move(*device));
  }
  if (S_ISSOCK(info.st_mode)) {
    spdlog::warn(
        "nsm: {} is a Unix socket: talking to an NSM SIMULATOR (test harness only; attestation documents "
        "from it are not signed by AWS)",
        path);
    return std::unique_ptr<NsmTransport>(std::make_unique<NsmSocketTransport>(path));
  }
  return Error::invalid("NSM device " + path + " is neither a character device nor a Unix socket");
}

}  // namespace cc::tee
