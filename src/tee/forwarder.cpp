#include "tee/forwarder.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/write.hpp>
#include <future>
#include <list>
#include <vector>

namespace cc::tee {

namespace asio = boost::asio;
using Protocol = asio::generic::stream_protocol;
using Strand = asio::strand<asio::io_context::executor_type>;

namespace {

int protocol_of(int family) { return family == AF_INET || family == AF_INET6 ? IPPROTO_TCP : 0; }

Protocol::endpoint endpoint_of(const RawAddress& raw) {
  return Protocol::endpoint(&raw.storage, raw.length, protocol_of(raw.family));
}

}  // namespace

struct Pipe;

struct Forwarder::Shared {
  explicit Shared(asio::io_context& io) : strand(asio::make_strand(io)), acceptor(strand) {}
  Strand strand;  // the acceptor's
  asio::basic_socket_acceptor<Protocol> acceptor;
  std::mutex mu;
  bool stopped = false;
  std::list<std::weak_ptr<Pipe>> pipes;
  std::atomic<std::uint64_t> accepted{0}, refused{0}, connect_failures{0}, active{0}, bytes_up{0}, bytes_down{0};
};

// One forwarded connection: client (accepted) and upstream (connected), each direction pumped
// by its own read → write loop, all on one strand.
struct Pipe : std::enable_shared_from_this<Pipe> {
  Pipe(Strand on, Protocol::socket accepted, std::shared_ptr<Forwarder::Shared> state, std::size_t buffer)
      : strand(on),
        client(std::move(accepted)),
        upstream(on),
        timer(on),
        resolver(on),
        shared(std::move(state)),
        up(buffer),
        down(buffer) {}
  ~Pipe() { --shared->active; }

  void connect(const SocketAddress& target, std::chrono::milliseconds timeout) {
    timer.expires_after(timeout);
    timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
      if (!ec && !self->connected) {
        ++self->shared->connect_failures;
        spdlog::warn("forwarder: target did not accept in time; closing the client's connection");
        self->close();
      }
    });
    if (target.kind == SocketAddress::Kind::tcp) {
      resolver.async_resolve(target.host, std::to_string(target.port),
                             [self = shared_from_this(), target](boost::system::error_code ec,
                                                                 const asio::ip::tcp::resolver::results_type& found) {
                               if (ec || found.empty()) return self->failed(target, ec ? ec.message() : "no address");
                               auto pick = *found.begin();
                               for (const auto& e : found) {
                                 if (e.endpoint().address().is_v4()) {
                                   pick = e;
                                   break;
                                 }
                               }
                               const auto ep = pick.endpoint();
                               self->connect_to(target, Protocol::endpoint(ep.data(), ep.size(), IPPROTO_TCP));
                             });
      return;
    }
    auto raw = to_raw(target, false);
    if (!raw) return failed(target, raw.error().message);
    connect_to(target, endpoint_of(*raw));
  }

  void connect_to(const SocketAddress& target, const Protocol::endpoint& ep) {
    upstream.async_connect(ep, [self = shared_from_this(), target](boost::system::error_code ec) {
      if (ec) return self->failed(target, ec.message());
      self->connected = true;
      self->timer.cancel();
      self->pump(self->client, self->upstream, self->up, self->shared->bytes_up);
      self->pump(self->upstream, self->client, self->down, self->shared->bytes_down);
    });
  }

  void failed(const SocketAddress& target, const std::string& why) {
    if (closed) return;
    ++shared->connect_failures;
    spdlog::warn("forwarder: cannot reach {}: {}", target.to_string(), why);
    close();
  }

  void pump(Protocol::socket& from, Protocol::socket& to, std::vector<std::uint8_t>& buffer,
            std::atomic<std::uint64_t>& counter) {
    from.async_read_some(asio::buffer(buffer), [self = shared_from_this(), &from, &to, &buffer, &counter](
                                                   boost::system::error_code ec, std::size_t n) {
      if (ec) {
        if (ec == asio::error::eof && !self->closed) {
          // Pass the half-close on; the other direction may still carry data.
          boost::system::error_code ignored;
          to.shutdown(Protocol::socket::shutdown_send, ignored);
          if (++self->finished == 2) self->close();
        } else {
          self->close();
        }
        return;
      }
      counter += n;
      asio::async_write(to, asio::buffer(buffer.data(), n),
                        [self, &from, &to, &buffer, &counter](boost::system::error_code wec, std::size_t) {
                          if (wec) return self->close();
                          self->pump(from, to, buffer, counter);
                        });
    });
  }

  void close() {
    if (closed) return;
    closed = true;
    boost::system::error_code ec;
    timer.cancel();
    resolver.cancel();
    client.close(ec);
    upstream.close(ec);
  }

  Strand strand;
  Protocol::socket client;
  Protocol::socket upstream;
  asio::steady_timer timer;
  asio::ip::tcp::resolver resolver;
  std::shared_ptr<Forwarder::Shared> shared;
  std::vector<std::uint8_t> up, down;
  bool connected = false;
  bool closed = false;
  int finished = 0;
};

Forwarder::Forwarder(asio::io_context& io, SocketAddress listen, SocketAddress target, ForwarderOptions options)
    : io_(io), listen_(std::move(listen)), target_(std::move(target)), options_(options),
      shared_(std::make_shared<Shared>(io)) {}

Forwarder::~Forwarder() { stop(); }

Status Forwarder::start() {
  auto raw = to_raw(listen_, true);
  if (!raw) return Error{raw.error().kind, "forwarder " + listen_.to_string() + ": " + raw.error().message};
  auto& acceptor = shared_->acceptor;
  boost::system::error_code ec;
  const auto ep = endpoint_of(*raw);
  acceptor.open(ep.protocol(), ec);
  if (!ec && raw->family != AF_UNIX && raw->family != AF_VSOCK) acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(ep, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    std::string hint;
    if (raw->family == AF_VSOCK) hint = " (is this an enclave or a Nitro parent instance with the vsock driver?)";
    return Error::unavailable("forwarder: cannot listen on " + listen_.to_string() + ": " + ec.message() + hint);
  }
  if (raw->family == AF_INET || raw->family == AF_INET6) {
    const auto local = acceptor.local_endpoint(ec);
    if (!ec) {
      const auto* sa = reinterpret_cast<const sockaddr*>(local.data());
      tcp_port_ = ntohs(sa->sa_family == AF_INET ? reinterpret_cast<const sockaddr_in*>(sa)->sin_port
                                                 : reinterpret_cast<const sockaddr_in6*>(sa)->sin6_port);
    }
  }
  if (listen_.kind == SocketAddress::Kind::vsock && vsock_emulation()) {
    spdlog::warn("forwarder: vsock EMULATED over Unix sockets (CC_VSOCK_EMULATION): test harness only");
  }
  spdlog::info("forwarder: {} → {}", listen_.kind == SocketAddress::Kind::tcp && tcp_port_ != 0
                                          ? SocketAddress::tcp(listen_.host, tcp_port_).to_string()
                                          : listen_.to_string(),
               target_.to_string());
  asio::post(shared_->strand, [this] { accept_next(); });
  return {};
}

void Forwarder::accept_next() {
  auto shared = shared_;
  auto strand = asio::make_strand(io_);
  shared->acceptor.async_accept(strand, [this, shared, strand](boost::system::error_code ec, Protocol::socket socket) {
    {
      std::lock_guard lock(shared->mu);
      if (shared->stopped) return;
    }
    if (ec) {
      if (ec != asio::error::operation_aborted) spdlog::warn("forwarder {}: accept: {}", listen_.to_string(), ec.message());
    } else if (shared->active >= options_.max_connections) {
      ++shared->refused;
      boost::system::error_code ignored;
      socket.close(ignored);
      spdlog::warn("forwarder {}: {} connections open, refusing another", listen_.to_string(), options_.max_connections);
    } else {
      ++shared->accepted;
      ++shared->active;
      auto pipe = std::make_shared<Pipe>(strand, std::move(socket), shared, options_.buffer_bytes);
      {
        std::lock_guard lock(shared->mu);
        shared->pipes.remove_if([](const std::weak_ptr<Pipe>& w) { return w.expired(); });
        shared->pipes.push_back(pipe);
      }
      asio::post(strand, [pipe, target = target_, timeout = options_.connect_timeout] { pipe->connect(target, timeout); });
    }
    accept_next();
  });
}

void Forwarder::stop() {
  std::list<std::weak_ptr<Pipe>> pipes;
  {
    std::lock_guard lock(shared_->mu);
    if (shared_->stopped) return;
    shared_->stopped = true;
    pipes.swap(shared_->pipes);
  }
  auto close_acceptor = [shared = shared_] {
    boost::system::error_code ec;
    shared->acceptor.close(ec);
  };
  if (io_.stopped() || shared_->strand.running_in_this_thread()) {
    close_acceptor();
  } else {
    auto done = std::make_shared<std::promise<void>>();
    auto closed = done->get_future();
    asio::post(shared_->strand, [close_acceptor, done] {
      close_acceptor();
      done->set_value();
    });
    // An io_context nobody runs any more would never close it: the acceptor closes with
    // the last reference to the shared state instead.
    closed.wait_for(std::chrono::seconds(5));
  }
  for (auto& w : pipes) {
    if (auto pipe = w.lock()) asio::post(pipe->strand, [pipe] { pipe->close(); });
  }
}

ForwarderStats Forwarder::stats() const {
  return {shared_->accepted.load(), shared_->refused.load(), shared_->connect_failures.load(),
          shared_->active.load(),   shared_->bytes_up.load(), shared_->bytes_down.load()};
}

PipeThread::PipeThread()
    : work_(new asio::executor_work_guard<asio::io_context::executor_type>(io_.get_executor()),
            [](void* p) { delete static_cast<asio::executor_work_guard<asio::io_context::executor_type>*>(p); }),
      thread_([this] { io_.run(); }) {}

PipeThread::~PipeThread() {
  work_.reset();
  io_.stop();
  thread_.join();
}

}  // namespace cc::tee
