#include "tee/boot.hpp"

#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <thread>

namespace cc::tee {

namespace {

using Clock = std::chrono::steady_clock;

class Fd {
 public:
  explicit Fd(int fd = -1) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(Fd&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  Fd& operator=(Fd&& o) noexcept {
    std::swap(fd_, o.fd_);
    return *this;
  }
  int get() const { return fd_; }

 private:
  int fd_;
};

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left <= 0 ? 0 : static_cast<int>(std::min<long long>(left, 1'000'000));
}

bool wait_for(int fd, short events, Clock::time_point deadline) {
  pollfd p{fd, events, 0};
  for (;;) {
    const int rc = ::poll(&p, 1, remaining_ms(deadline));
    if (rc > 0) return true;
    if (rc == 0 || errno != EINTR) return false;
  }
}

Status read_exact(int fd, char* out, std::size_t n, Clock::time_point deadline) {
  std::size_t got = 0;
  while (got < n) {
    if (!wait_for(fd, POLLIN, deadline)) return Error::unavailable("timed out reading the boot package");
    const auto r = ::recv(fd, out + got, n - got, 0);
    if (r == 0) return Error::unavailable("the peer closed the connection mid-message");
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::unavailable(std::string("read: ") + std::strerror(errno));
    }
    got += static_cast<std::size_t>(r);
  }
  return {};
}

Status write_all(int fd, std::string_view data, Clock::time_point deadline) {
  std::size_t sent = 0;
  while (sent < data.size()) {
    if (!wait_for(fd, POLLOUT, deadline)) return Error::unavailable("timed out writing the boot package");
    const auto r = ::send(fd, data.data() + sent, data.size() - sent, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      return Error::unavailable(std::string("write: ") + std::strerror(errno));
    }
    sent += static_cast<std::size_t>(r);
  }
  return {};
}

Status send_frame(int fd, std::string_view body, Clock::time_point deadline) {
  const auto n = static_cast<std::uint32_t>(body.size());
  const char header[4] = {static_cast<char>(n >> 24), static_cast<char>(n >> 16), static_cast<char>(n >> 8),
                          static_cast<char>(n)};
  if (auto ok = write_all(fd, std::string_view(header, 4), deadline); !ok) return ok;
  return write_all(fd, body, deadline);
}

Result<std::string> read_frame(int fd, Clock::time_point deadline) {
  unsigned char header[4];
  if (auto ok = read_exact(fd, reinterpret_cast<char*>(header), 4, deadline); !ok) return ok.error();
  const std::size_t n = (std::size_t{header[0]} << 24) | (std::size_t{header[1]} << 16) | (std::size_t{header[2]} << 8) |
                        std::size_t{header[3]};
  if (n > kMaxBootPackageBytes) {
    return Error::invalid("boot message of " + std::to_string(n) + " bytes is larger than the limit of " +
                          std::to_string(kMaxBootPackageBytes));
  }
  std::string body(n, '\0');
  if (auto ok = read_exact(fd, body.data(), n, deadline); !ok) return ok.error();
  return body;
}

Result<Fd> open_socket(const RawAddress& raw) {
  Fd fd(::socket(raw.family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (fd.get() < 0) return Error::unavailable(std::string("socket: ") + std::strerror(errno));
  return fd;
}

}  // namespace

std::string encode_boot_package(const BootPackage& package) {
  boost::json::object env;
  for (const auto& [k, v] : package.environment) env[k] = v;
  boost::json::object o{{"version", 1},
                        {"config_name", package.config_name},
                        {"config", package.config_text},
                        {"environment", std::move(env)}};
  if (!package.web_identity_token.empty()) o["web_identity_token"] = package.web_identity_token;
  return boost::json::serialize(o);
}

Result<BootPackage> decode_boot_package(std::string_view json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec || !v.is_object()) return Error::invalid("boot package: not a JSON object");
  const auto& o = v.as_object();
  const auto* version = o.if_contains("version");
  if (version == nullptr || !version->is_int64() || version->as_int64() != 1) {
    return Error::invalid("boot package: version 1 expected (controller and enclave images of different releases?)");
  }
  BootPackage p;
  const auto* name = o.if_contains("config_name");
  const auto* config = o.if_contains("config");
  const auto* env = o.if_contains("environment");
  if (config == nullptr || !config->is_string()) return Error::invalid("boot package: 'config' must be a string");
  if (name != nullptr && !name->is_string()) return Error::invalid("boot package: 'config_name' must be a string");
  if (env != nullptr && !env->is_object()) return Error::invalid("boot package: 'environment' must be an object");
  if (const auto* token = o.if_contains("web_identity_token"); token != nullptr) {
    if (!token->is_string()) return Error::invalid("boot package: 'web_identity_token' must be a string");
    p.web_identity_token = std::string(token->as_string());
  }
  p.config_text = std::string(config->as_string());
  if (name != nullptr) p.config_name = std::string(name->as_string());
  if (env != nullptr) {
    for (const auto& [k, val] : env->as_object()) {
      if (!val.is_string()) return Error::invalid("boot package: environment." + std::string(k) + " must be a string");
      if (k.empty() || k.find('=') != std::string::npos) {
        return Error::invalid("boot package: '" + std::string(k) + "' is not an environment variable name");
      }
      p.environment[std::string(k)] = std::string(val.as_string());
    }
  }
  return p;
}

Result<BootPackage> receive_boot_package(const SocketAddress& listen, std::chrono::milliseconds timeout,
                                         const std::function<Status(const BootPackage&)>& accept) {
  const auto deadline = Clock::now() + timeout;
  auto raw = to_raw(listen, true);
  if (!raw) return raw.error();
  auto server = open_socket(*raw);
  if (!server) return server.error();
  const int one = 1;
  if (raw->family == AF_INET || raw->family == AF_INET6) ::setsockopt(server->get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(server->get(), reinterpret_cast<const sockaddr*>(&raw->storage), raw->length) != 0 ||
      ::listen(server->get(), 4) != 0) {
    return Error::unavailable("boot: cannot listen on " + listen.to_string() + ": " + std::strerror(errno));
  }
  for (;;) {
    if (!wait_for(server->get(), POLLIN, deadline)) {
      return Error::unavailable("boot: no configuration arrived on " + listen.to_string() + " within " +
                                std::to_string(timeout.count() / 1000) + " s (is the controller running?)");
    }
    Fd conn(::accept4(server->get(), nullptr, nullptr, SOCK_CLOEXEC));
    if (conn.get() < 0) continue;
    const auto message_deadline = std::min(deadline, Clock::now() + std::chrono::seconds(10));
    auto body = read_frame(conn.get(), message_deadline);
    if (!body) continue;  // a probe or a broken peer: keep waiting
    auto package = decode_boot_package(*body);
    Status verdict = package ? accept(*package) : Status(package.error());
    const auto reply = verdict ? std::string(R"({"ok":true})")
                               : boost::json::serialize(boost::json::object{{"ok", false}, {"error", verdict.error().message}});
    (void)send_frame(conn.get(), reply, message_deadline);
    if (verdict) return package;
  }
}

Status send_boot_package(const SocketAddress& target, const BootPackage& package, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto body = encode_boot_package(package);
  if (body.size() > kMaxBootPackageBytes) {
    return Error::invalid("the configuration handed to the enclave is larger than " +
                          std::to_string(kMaxBootPackageBytes) + " bytes");
  }
  std::string last = "nothing tried";
  while (Clock::now() < deadline) {
    auto raw = to_raw(target, false);
    if (!raw) return raw.error();
    auto fd = open_socket(*raw);
    if (!fd) return fd.error();
    if (::connect(fd->get(), reinterpret_cast<const sockaddr*>(&raw->storage), raw->length) != 0) {
      last = std::strerror(errno);
      std::this_thread::sleep_for(std::chrono::milliseconds(200));  // the enclave is still booting
      continue;
    }
    if (auto ok = send_frame(fd->get(), body, deadline); !ok) return ok;
    auto reply = read_frame(fd->get(), deadline);
    if (!reply) return reply.error();
    boost::system::error_code ec;
    auto v = boost::json::parse(*reply, ec);
    if (ec || !v.is_object()) return Error::unavailable("boot: the enclave answered something that is not JSON");
    const auto* ok = v.as_object().if_contains("ok");
    if (ok != nullptr && ok->is_bool() && ok->as_bool()) return {};
    const auto* error = v.as_object().if_contains("error");
    return Error::invalid("the enclave refused its configuration: " +
                          (error != nullptr && error->is_string() ? std::string(error->as_string()) : "no reason given"));
  }
  return Error::unavailable("boot: the enclave did not accept a connection on " + target.to_string() + " within " +
                            std::to_string(timeout.count() / 1000) + " s (last error: " + last + ")");
}

}  // namespace cc::tee
