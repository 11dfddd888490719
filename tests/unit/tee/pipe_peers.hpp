#pragma once
// Blocking socket peers for forwarder tests: a service that answers each connection with
// "<prefix>" + everything it read, after the client half-closes (so half-close must travel through
// every forwarder), and a client that sends, half-closes and reads to EOF.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

namespace cc::tee::test {

inline std::string read_to_eof(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const auto n = ::read(fd, buf, sizeof buf);
    if (n <= 0) return out;
    out.append(buf, static_cast<std::size_t>(n));
  }
}

inline bool write_all(int fd, const std::string& data) {
  std::size_t off = 0;
  while (off < data.size()) {
    const auto n = ::write(fd, data.data() + off, data.size() - off);
    if (n <= 0) return false;
    off += static_cast<std::size_t>(n);
  }
  return true;
}

class ReplyService {
 public:
  // Listens on ip:0 (TCP).
  ReplyService(const std::string& ip, std::string prefix) : prefix_(std::move(prefix)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
    ::bind(fd_, reinterpret_cast<sockaddr*>(&a), sizeof a);
    ::listen(fd_, 64);
    socklen_t len = sizeof a;
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&a), &len);
    port_ = ntohs(a.sin_port);
    thread_ = std::thread([this] {
      for (;;) {
        const int c = ::accept(fd_, nullptr, nullptr);
        if (c < 0) return;
        std::thread([prefix = prefix_, served = served_, c] {
          const auto got = read_to_eof(c);
          write_all(c, prefix + got);
          ::close(c);
          ++*served;
        }).detach();
      }
    });
  }
  ~ReplyService() {
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    thread_.join();
  }
  std::uint16_t port() const { return port_; }
  int served() const { return *served_; }

 private:
  std::string prefix_;
  int fd_ = -1;
  std::uint16_t port_ = 0;
  std::thread thread_;
  std::shared_ptr<std::atomic<int>> served_ = std::make_shared<std::atomic<int>>(0);
};

// Sends `payload` to ip:port over TCP, half-closes, returns what came back (nullopt: no connection).
inline std::optional<std::string> exchange(const std::string& ip, std::uint16_t port, const std::string& payload) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, ip.c_str(), &a.sin_addr);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) {
    ::close(fd);
    return std::nullopt;
  }
  write_all(fd, payload);
  ::shutdown(fd, SHUT_WR);
  auto out = read_to_eof(fd);
  ::close(fd);
  return out;
}

}  // namespace cc::tee::test
