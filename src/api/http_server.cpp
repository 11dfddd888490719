#include "api/http_server.hpp"

#include <sys/socket.h>

#include <boost/asio/dispatch.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/ssl.hpp>
#include <boost/json.hpp>
#include <algorithm>
#include <array>
#include <atomic>
#include <mutex>
#include <set>
#include <spdlog/spdlog.h>

namespace cc::api {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

HttpResponse json_response(unsigned status, std::string body, unsigned version, bool keep_alive) {
  HttpResponse res{static_cast<http::status>(status), version};
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

std::string peer_address(const HttpRequest& request) {
  auto it = request.find(kPeerHeader);
  return it == request.end() ? std::string() : std::string(it->value());
}

HttpResponse error_response(unsigned status, std::string_view message, unsigned version, bool keep_alive) {
  boost::json::object o;
  o["code"] = status;
  o["message"] = message;
  return json_response(status, boost::json::serialize(o), version, keep_alive);
}

namespace {

// What State needs of a connection of either kind.
class ConnectionBase {
 public:
  virtual ~ConnectionBase() = default;
  virtual void close() = 0;
  virtual void close_when_idle() = 0;  // close if idle; else close once the request in progress is answered
  // Closes the connection if it has been waiting for (or reading) a request since before `cutoff`.
  virtual void close_if_idle_since(std::chrono::steady_clock::time_point cutoff) = 0;
};

using Clock = std::chrono::steady_clock;

}  // namespace

struct HttpServer::State : std::enable_shared_from_this<HttpServer::State> {
  asio::io_context& io;
  HttpServerOptions options;
  Handler handler;
  tcp::acceptor acceptor;
  std::mutex mu;
  std::set<std::weak_ptr<ConnectionBase>, std::owner_less<std::weak_ptr<ConnectionBase>>> connections;
  std::shared_ptr<asio::ssl::context> tls;  // guarded by mu
  bool stopped = false;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> in_flight{0};
  std::uint16_t bound_port = 0;  // kept: the acceptor's endpoint is gone once it is closed
  std::atomic<std::uint64_t> refused{0};  // connections refused at max_connections
  asio::steady_timer idle_sweep;            // on the acceptor's strand

  State(asio::io_context& ctx, HttpServerOptions opts, Handler h)
      : io(ctx),
        options(std::move(opts)),
        handler(std::move(h)),
        acceptor(asio::make_strand(ctx)),
        tls(options.tls),
        idle_sweep(acceptor.get_executor()) {}

  void accept();
  // Every sweep period: closes the connections idle longer than options.idle_timeout.
  void sweep_idle();
};

namespace {

// One HTTP/1.1 connection over a plain TCP stream or a TLS stream (Stream).
template <class Stream>
class Connection : public ConnectionBase, public std::enable_shared_from_this<Connection<Stream>> {
 public:
  template <class... Args>
  Connection(std::shared_ptr<HttpServer::State> server, Args&&... args)
      : stream_(std::forward<Args>(args)...), server_(std::move(server)) {}

  void start() {
    beast::error_code endpoint_ec;
    const auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(endpoint_ec);
    if (!endpoint_ec) {
      const auto address = remote.address();
      peer_ = (address.is_v6() ? "[" + address.to_string() + "]" : address.to_string()) + ":" +
              std::to_string(remote.port());
    }
    asio::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(30));
        self->stream_.async_handshake(asio::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return beast::get_lowest_layer(self->stream_).close();  // not TLS, or a refused client cert
          self->read();
        });
      } else {
        self->read();
      }
    });
  }

  // Holds what the stream refers to (the TLS context) for as long as the connection lives.
  void keep(std::shared_ptr<void> owner) { owned_ = std::move(owner); }

  void close() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] { self->close_now(); });
  }

  void close_when_idle() override {
    asio::post(stream_.get_executor(), [self = this->shared_from_this()] {
      if (!self->busy_) self->close_now();  // a busy one closes after its answer (write())
    });
  }

  void close_if_idle_since(Clock::time_point cutoff) override {
    const auto since = cutoff.time_since_epoch().count();
    if (busy_ || idle_since_.load(std::memory_order_relaxed) > since) return;  // the common case: nothing to post
    asio::post(stream_.get_executor(), [self = this->shared_from_this(), since] {
      // Checked again under the lock write_here() holds from answering until the next read is
      // armed, so a connection that has just answered is never taken for an idle one.
      std::lock_guard lock(self->here_mu_);
      if (self->busy_ || self->idle_since_.load(std::memory_order_relaxed) > since) return;
      self->close_locked();
    });
  }

 private:
  static constexpr bool kTls = !std::is_same_v<Stream, beast::tcp_stream>;

  void close_now() {
    std::lock_guard lock(here_mu_);  // not while write_here() uses the socket
    close_locked();
  }

  void close_locked() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

  // Waits for the next request. No timer per read: the server's idle sweep closes a connection
  // that waits (or sends its request) longer than idle_timeout, which spares every request a
  // timer started and cancelled (and the cancelled timer's completion) on the I/O threads.
  void read() {
    parser_.emplace();
    parser_->body_limit(server_->options.max_body_bytes);
    idle_since_.store(Clock::now().time_since_epoch().count(), std::memory_order_relaxed);
    beast::get_lowest_layer(stream_).expires_never();  // a write's timeout must not carry over
    http::async_read(stream_, buffer_, *parser_,
                     [self = this->shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

  void on_read(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
        ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
        ec == asio::ssl::error::stream_truncated) {
      return finish();
    }
    if (ec == http::error::body_limit) {
      return write(error_response(413, "request body exceeds " + std::to_string(server_->options.max_body_bytes) +
                                           " bytes", 11, false));
    }
    if (ec) {
      return write(error_response(400, "malformed HTTP request: " + ec.message(), 11, false));
    }
    // Shutting down: a request not started yet is not started (the client retries elsewhere).
    if (server_->draining) return close_now();
    busy_ = true;  // no timeout while the handler runs: it may queue, and the client has its own
    ++server_->in_flight;
    auto request = parser_->release();
    request.erase(kPeerHeader);  // only ever what this server says
    if (!peer_.empty()) request.set(kPeerHeader, peer_);
    const unsigned version = request.version();
    const bool keep_alive = request.keep_alive();
    auto self = this->shared_from_this();
    auto responded = std::make_shared<std::atomic<bool>>(false);
    Respond respond = [self, version, keep_alive, responded](HttpResponse res) {
      if (responded->exchange(true)) return;  // exactly one response per request
      res.version(version);
      if (!keep_alive) res.keep_alive(false);
      if constexpr (!kTls) {
        if (self->write_here(res)) return;
      }
      asio::post(self->stream_.get_executor(), [self, r = std::move(res)]() mutable { self->write(std::move(r)); });
    };
    try {
      server_->handler(std::move(request), respond);
    } catch (const std::exception& e) {
      // A handler bug must cost one request, never the process.
      spdlog::error("request handler failed: {}", e.what());
      respond(error_response(500, "internal error", version, false));
    }
  }

  // Run to completion (plain HTTP): the thread that answers (usually a signing thread) sends the
  // response itself with one non-blocking send() and starts reading the next request, instead
  // of waking an I/O thread for it. Safe because the connection is idle meanwhile: it reads the
  // next request only after answering, and has no timer armed while the handler runs; close_now()
  // waits on here_mu_. False (nothing sent) when the strand must write it: the connection is
  // closing, shutdown is draining, or the socket cannot take the whole response at once.
  bool write_here(const HttpResponse& res) {
    if (!res.keep_alive() || server_->draining) return false;
    std::unique_lock lock(here_mu_, std::try_to_lock);
    if (!lock) return false;
    auto& socket = stream_.socket();
    if (!socket.is_open()) return false;
    http::response_serializer<http::string_body> serializer(res);
    std::string wire;
    beast::error_code ec;
    serializer.split(false);
    while (!serializer.is_done() && !ec) {
      serializer.next(ec, [&](beast::error_code&, const auto& buffers) {
        std::size_t n = 0;
        for (auto b : beast::buffers_range_ref(buffers)) {
          wire.append(static_cast<const char*>(b.data()), b.size());
          n += b.size();
        }
        serializer.consume(n);
      });
    }
    if (ec) return false;
    const auto sent = ::send(socket.native_handle(), wire.data(), wire.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
    if (sent < 0) return false;  // EAGAIN, or an error the strand will see too: nothing sent
    if (static_cast<std::size_t>(sent) < wire.size()) {
      // Rare (a full send buffer): the strand sends the rest and reads on.
      wire.erase(0, static_cast<std::size_t>(sent));
      asio::post(stream_.get_executor(), [self = this->shared_from_this(), rest = std::move(wire)]() mutable {
        self->write_rest(std::move(rest));
      });
      return true;
    }
    busy_ = false;
    --server_->in_flight;
    read();  // from here on the strand owns the connection again (on_read runs there)
    return true;
  }

  void write_rest(std::string rest) {
    auto buffer = std::make_shared<std::string>(std::move(rest));
    stream_.expires_after(std::chrono::seconds(30));
    asio::async_write(stream_, asio::buffer(*buffer), [self = this->shared_from_this(), buffer](beast::error_code ec, std::size_t) {
      self->busy_ = false;
      --self->server_->in_flight;
      if (ec) return self->finish();
      self->read();
    });
  }

  void write(HttpResponse res) {
    if (server_->draining) res.keep_alive(false);
    response_ = std::make_shared<HttpResponse>(std::move(res));
    beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(30));
    http::async_write(stream_, *response_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
      if (self->busy_) {
        self->busy_ = false;
        --self->server_->in_flight;
      }
      if (ec || !self->response_->keep_alive()) return self->finish();
      self->response_.reset();
      self->read();
    });
  }

  void finish() {
    if constexpr (kTls) {
      beast::get_lowest_layer(stream_).expires_after(std::chrono::seconds(5));
      stream_.async_shutdown([self = this->shared_from_this()](beast::error_code) {
        beast::get_lowest_layer(self->stream_).close();
      });
    } else {
      beast::error_code ec;
      stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
      drain();
    }
  }

  // Reads and discards what the client still sends (bounded in bytes and time) before closing:
  // closing with unread input resets the connection, and the client could lose the response it
  // has not read yet (e.g. a 413 sent while the oversized body was still arriving).
  void drain() {
    stream_.expires_after(std::chrono::seconds(2));
    stream_.async_read_some(asio::buffer(scratch_),
                            [self = this->shared_from_this()](beast::error_code ec, std::size_t n) {
                              self->drained_ += n;
                              if (ec || self->drained_ > (16u << 20)) return self->stream_.close();
                              self->drain();
                            });
  }

  std::shared_ptr<void> owned_;  // declared before stream_, so it is destroyed after it
  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  std::shared_ptr<HttpResponse> response_;
  std::shared_ptr<HttpServer::State> server_;
  std::array<char, 16384> scratch_{};
  std::size_t drained_ = 0;
  std::string peer_;  // the client's address:port
  // A request was handed to the handler and is not answered yet (the strand, or write_here()).
  std::atomic<bool> busy_{false};
  // When the connection began waiting for its next request (steady_clock ticks): from then on
  // the idle sweep may close it, until a request has been read whole (busy_).
  std::atomic<Clock::rep> idle_since_{Clock::now().time_since_epoch().count()};
  std::mutex here_mu_;  // write_here() against closing the socket
};

// Answers a connection beyond max_connections with 503 and closes it, without a Connection:
// one non-blocking write of a small fixed response (a client that does not read loses it).
void refuse_connection(tcp::socket socket, std::size_t limit) {
  const std::string response = [limit] {
    const std::string body = R"({"code":503,"message":"too many open connections (server.max_connections: )" +
                             std::to_string(limit) + R"(); retry later"})";
    return "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 1\r\n"
           "Connection: close\r\nContent-Length: " +
           std::to_string(body.size()) + "\r\n\r\n" + body;
  }();
  beast::error_code ec;
  socket.non_blocking(true, ec);
  socket.write_some(asio::buffer(response), ec);
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

// True when `state` already holds max_connections live connections (forgetting finished ones).
bool at_connection_limit(HttpServer::State& state) {
  std::lock_guard lock(state.mu);
  for (auto it = state.connections.begin(); it != state.connections.end();) {
    it = it->expired() ? state.connections.erase(it) : std::next(it);
  }
  return state.options.max_connections != 0 && state.connections.size() >= state.options.max_connections;
}

template <class Conn>
void track_and_start(HttpServer::State& state, std::shared_ptr<Conn> conn) {
  {
    std::lock_guard lock(state.mu);
    if (state.stopped || state.draining) return;
    for (auto it = state.connections.begin(); it != state.connections.end();) {
      it = it->expired() ? state.connections.erase(it) : std::next(it);
    }
    state.connections.insert(conn);
  }
  conn->start();
}

}  // namespace

void HttpServer::State::accept() {
  acceptor.async_accept(asio::make_strand(io), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (ec == asio::error::operation_aborted) return;
    if (!ec && at_connection_limit(*self)) {
      if (self->refused++ % 1000 == 0) {
        spdlog::warn("refusing connections: {} open (server.max_connections); {} refused so far",
                     self->options.max_connections, self->refused.load());
      }
      refuse_connection(std::move(socket), self->options.max_connections);
    } else if (!ec) {
      socket.set_option(tcp::no_delay(true), ec);
      std::shared_ptr<asio::ssl::context> context;
      {
        std::lock_guard lock(self->mu);
        context = self->tls;
      }
      if (context) {
        using TlsStream = beast::ssl_stream<beast::tcp_stream>;
        // The connection keeps its context alive even if a reload swaps in a new one.
        auto conn = std::make_shared<Connection<TlsStream>>(self, std::move(socket), *context);
        conn->keep(context);
        track_and_start(*self, std::move(conn));
      } else {
        track_and_start(*self, std::make_shared<Connection<beast::tcp_stream>>(self, std::move(socket)));
      }
    } else {
      spdlog::warn("accept failed: {}", ec.message());
    }
    self->accept();
  });
}

void HttpServer::State::sweep_idle() {
  // A tenth of the timeout between sweeps (between 10 ms and 1 s): a connection is closed at
  // most that much later than its timeout.
  const auto period = std::clamp<std::chrono::milliseconds>(
      std::chrono::duration_cast<std::chrono::milliseconds>(options.idle_timeout) / 10, std::chrono::milliseconds(10),
      std::chrono::milliseconds(1000));
  idle_sweep.expires_after(period);
  idle_sweep.async_wait([self = shared_from_this()](beast::error_code ec) {
    if (ec) return;  // stopped
    std::vector<std::shared_ptr<ConnectionBase>> open;
    {
      std::lock_guard lock(self->mu);
      if (self->stopped) return;
      open.reserve(self->connections.size());
      for (auto& w : self->connections) {
        if (auto c = w.lock()) open.push_back(std::move(c));
      }
    }
    const auto cutoff = Clock::now() - self->options.idle_timeout;
    for (auto& c : open) c->close_if_idle_since(cutoff);
    self->sweep_idle();
  });
}

void HttpServer::set_tls_context(std::shared_ptr<asio::ssl::context> tls) {
  std::lock_guard lock(state_->mu);
  state_->tls = std::move(tls);
}

HttpServer::HttpServer(asio::io_context& io, HttpServerOptions options, Handler handler)
    : state_(std::make_shared<State>(io, std::move(options), std::move(handler))) {
  beast::error_code ec;
  const auto where = state_->options.address + ":" + std::to_string(state_->options.port);
  auto address = asio::ip::make_address(state_->options.address, ec);
  if (ec) throw std::runtime_error("invalid listen address '" + state_->options.address + "': " + ec.message());
  tcp::endpoint endpoint{address, state_->options.port};
  auto& acc = state_->acceptor;
  acc.open(endpoint.protocol(), ec);
  if (!ec) acc.set_option(asio::socket_base::reuse_address(true), ec);
  if (!ec) acc.bind(endpoint, ec);
  if (!ec) acc.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) throw std::runtime_error("cannot listen on " + where + ": " + ec.message());
  state_->bound_port = acc.local_endpoint().port();
}

HttpServer::~HttpServer() { stop(); }

void HttpServer::start() {
  asio::dispatch(state_->acceptor.get_executor(), [s = state_] {
    s->accept();
    s->sweep_idle();
  });
}

void HttpServer::stop() {
  std::vector<std::shared_ptr<ConnectionBase>> open;
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopped) return;
    state_->stopped = true;
    for (auto& w : state_->connections) {
      if (auto c = w.lock()) open.push_back(std::move(c));
    }
    state_->connections.clear();
  }
  asio::post(state_->acceptor.get_executor(), [s = state_] {
    beast::error_code ec;
    s->acceptor.close(ec);
    s->idle_sweep.cancel();
  });
  for (auto& c : open) c->close();
}

void HttpServer::stop_accepting() {
  std::vector<std::shared_ptr<ConnectionBase>> open;
  {
    std::lock_guard lock(state_->mu);
    if (state_->stopped || state_->draining.exchange(true)) return;
    for (auto& w : state_->connections) {
      if (auto c = w.lock()) open.push_back(std::move(c));
    }
  }
  asio::post(state_->acceptor.get_executor(), [s = state_] {
    beast::error_code ec;
    s->acceptor.close(ec);
  });
  for (auto& c : open) c->close_when_idle();
}

std::size_t HttpServer::in_flight() const { return state_->in_flight.load(); }

std::uint16_t HttpServer::port() const { return state_->bound_port; }

unsigned http_status_of(const Error& e) {
  switch (e.kind) {
    case Error::Kind::invalid_argument:
      return 400;
    case Error::Kind::unauthenticated:
      return 401;
    case Error::Kind::forbidden:
      return 403;
    case Error::Kind::not_found:
      return 404;
    case Error::Kind::conflict:
      return 409;
    case Error::Kind::refused:
      return 412;
    case Error::Kind::unavailable:
      return 503;
    case Error::Kind::internal:
      break;
  }
  return 500;
}

HttpResponse error_of(const Error& e) {
  auto res = error_response(http_status_of(e), e.message);
  if (e.kind == Error::Kind::unavailable) res.set(boost::beast::http::field::retry_after, "1");
  return res;
}

}  // namespace cc::api
