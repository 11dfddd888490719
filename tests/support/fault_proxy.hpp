#pragma once
// FaultProxy: a TCP relay on 127.0.0.1 (ephemeral port) in front of a real database server, for
// fault-injection tests. Clients connect to port() instead of the server; the proxy forwards
// bytes both ways and can, on the test's command, add latency to every chunk it forwards (a slow
// database or network), cut every open connection at once (a network partition or a server-side
// kill mid-transaction), or refuse new connections (a server that is down).
//
// Thread-safe: the controls may be called from any thread while traffic flows. One thread per
// direction per connection; meant for tests with tens of connections, not for load.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace cc::test {

class FaultProxy {
 public:
  // Forwards to 127.0.0.1:`target_port`. Throws std::runtime_error if it cannot listen.
  explicit FaultProxy(std::uint16_t target_port);
  ~FaultProxy();
  FaultProxy(const FaultProxy&) = delete;
  FaultProxy& operator=(const FaultProxy&) = delete;

  std::uint16_t port() const { return port_; }

  // New connections go to 127.0.0.1:`port` from now on (a server restarted elsewhere).
  void set_target(std::uint16_t port) { target_port_ = port; }
  // Every chunk forwarded from now on (either direction) waits this long first.
  void set_delay(std::chrono::milliseconds delay) { delay_ms_ = delay.count(); }
  // Closes every open connection (both sides, RST-free shutdown); new ones are still accepted.
  void drop_all();
  // While true, new connections are accepted and closed at once (as if the server were gone).
  void set_refusing(bool refusing) { refusing_ = refusing; }

  std::uint64_t connections_accepted() const { return accepted_; }
  std::uint64_t connections_dropped() const { return dropped_; }

 private:
  struct Link;
  void accept_loop();
  void pump(std::shared_ptr<Link> link, bool upstream);

  std::atomic<std::uint16_t> target_port_;
  std::uint16_t port_ = 0;
  int listen_fd_ = -1;
  std::atomic<bool> stopping_{false};
  std::atomic<std::int64_t> delay_ms_{0};
  std::atomic<bool> refusing_{false};
  std::atomic<std::uint64_t> accepted_{0};
  std::atomic<std::uint64_t> dropped_{0};
  std::mutex mu_;
  std::vector<std::shared_ptr<Link>> links_;
  std::vector<std::thread> threads_;
  std::thread acceptor_;
};

}  // namespace cc::test
