#pragma once
// Forwarder: accepts stream connections on one address and carries each one, byte for byte in
// both directions, to one fixed target — the single piece behind every pipe of Nitro mode:
//   enclave egress   127.0.0.x:443 (TCP)  → vsock:3:<vsock_port>        (to the parent)
//   parent proxy     vsock:any:<port>     → <hostname>:<port> (TCP)     (to AWS, PostgreSQL)
//   parent ingress   0.0.0.0:9443 (TCP)   → vsock:<enclave cid>:<port>  (to the enclave)
// It never looks inside the bytes: TLS runs end to end between the signer and the real service
// (or the client), so SNI and certificate checks see the real names. A half-close on one side is
// passed on (shutdown of the write direction), so protocols that end with EOF work; an error on
// either side closes both. The target is fixed per forwarder: a parent proxy cannot be asked to
// connect anywhere else.
//
// Connections beyond `max_connections` are closed at once; a target that does not accept within
// `connect_timeout` closes the client's connection. Runs on the caller's io_context; thread-safe
// to stop from any thread.
#include <atomic>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <thread>

#include "core/result.hpp"
#include "tee/socket_address.hpp"

namespace cc::tee {

struct ForwarderOptions {
  std::size_t max_connections = 1024;
  std::chrono::milliseconds connect_timeout{10'000};
  std::size_t buffer_bytes = 16 * 1024;  // per direction per connection
};

struct ForwarderStats {
  std::uint64_t accepted = 0;
  std::uint64_t refused = 0;         // over max_connections
  std::uint64_t connect_failures = 0;
  std::uint64_t active = 0;
  std::uint64_t bytes_up = 0;        // listener side → target
  std::uint64_t bytes_down = 0;      // target → listener side
};

class Forwarder {
 public:
  Forwarder(boost::asio::io_context& io, SocketAddress listen, SocketAddress target, ForwarderOptions options = {});
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // Binds and starts accepting. Errors name the listen address and the reason (in use, no vsock).
  Status start();
  // Stops accepting and closes every connection.
  void stop();

  // The bound TCP port (useful with port 0); 0 for vsock listeners.
  std::uint16_t tcp_port() const { return tcp_port_; }
  const SocketAddress& listen_address() const { return listen_; }
  const SocketAddress& target() const { return target_; }
  ForwarderStats stats() const;

  struct Shared;  // state the connections share, outliving the Forwarder while they finish

 private:
  void accept_next();

  boost::asio::io_context& io_;
  SocketAddress listen_;
  SocketAddress target_;
  ForwarderOptions options_;
  std::shared_ptr<Shared> shared_;
  std::uint16_t tcp_port_ = 0;
};

}  // namespace cc::tee

namespace cc::tee {

// An io_context run by a thread of its own for the life of the object: the home of a process's
// forwarders, independent of its other event loops (they must carry bytes before those start).
class PipeThread {
 public:
  PipeThread();
  ~PipeThread();
  PipeThread(const PipeThread&) = delete;
  PipeThread& operator=(const PipeThread&) = delete;
  boost::asio::io_context& io() { return io_; }

 private:
  boost::asio::io_context io_;
  std::unique_ptr<void, void (*)(void*)> work_;
  std::thread thread_;
};

}  // namespace cc::tee
