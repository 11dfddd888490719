#include "stand_in_server.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <mutex>
#include <optional>
#include <thread>

namespace cc::aws::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

std::string StandInRequest::header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (beast::iequals(n, name)) return v;
  }
  return "";
}

StandInReply StandInReply::json(unsigned status, std::string body) {
  StandInReply r;
  r.status = status;
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"}};
  r.body = std::move(body);
  return r;
}

StandInReply StandInReply::hang_up() {
  StandInReply r;
  r.close_without_answer = true;
  return r;
}

// Destroyed in reverse order: the thread is joined first, then the io_context (and with it the
// suspended sessions) goes before the TLS context and the handler they use.
struct StandInServer::State {
  std::optional<asio::ssl::context> tls;
  Handler handler;
  mutable std::mutex mutex;
  std::vector<StandInRequest> requests;
  std::size_t connections = 0;
  std::size_t closed = 0;
  asio::io_context io;
  tcp::acceptor acceptor{io};
  std::thread thread;
};

namespace {

template <class Stream>
asio::awaitable<void> serve(StandInServer::Handler& handler, std::mutex& mutex, std::vector<StandInRequest>& log,
                            Stream& stream, std::size_t connection) {
  beast::flat_buffer buffer;
  for (;;) {
    http::request<http::string_body> req;
    auto [read_error, read] = co_await http::async_read(stream, buffer, req, kAwait);
    if (read_error) co_return;
    StandInRequest request;
    request.method = std::string(req.method_string());
    request.target = std::string(req.target());
    for (const auto& field : req) request.headers.emplace_back(field.name_string(), field.value());
    request.body = req.body();
    request.connection = connection;
    {
      std::lock_guard lock(mutex);
      log.push_back(request);
    }
    const auto reply = handler(request);
    if (reply.delay.count() > 0) {
      asio::steady_timer timer(co_await asio::this_coro::executor, reply.delay);
      co_await timer.async_wait(kAwait);
    }
    if (reply.close_without_answer) co_return;  // session() closes the connection
    http::response<http::string_body> res{static_cast<http::status>(reply.status), 11};
    for (const auto& [name, value] : reply.headers) res.insert(name, value);
    res.body() = reply.body;
    res.keep_alive(req.keep_alive());
    res.prepare_payload();
    auto [write_error, written] = co_await http::async_write(stream, res, kAwait);
    if (write_error || !req.keep_alive() || reply.close_after_answer) co_return;
  }
}

asio::awaitable<void> session(StandInServer::State& s, tcp::socket socket, std::size_t connection) {
  if (!s.tls) {
    co_await serve(s.handler, s.mutex, s.requests, socket, connection);
  } else {
    asio::ssl::stream<tcp::socket&> stream(socket, *s.tls);
    auto [error] = co_await stream.async_handshake(asio::ssl::stream_base::server, kAwait);
    if (!error) co_await serve(s.handler, s.mutex, s.requests, stream, connection);
  }
  // Closed here rather than with the coroutine frame, so closed_connections() is exact.
  boost::system::error_code ignored;
  socket.close(ignored);
  std::lock_guard lock(s.mutex);
  ++s.closed;
}

}  // namespace

StandInServer::StandInServer(Handler handler, TlsFiles tls) : state_(std::make_unique<State>()) {
  auto& s = *state_;
  s.handler = std::move(handler);
  if (!tls.cert_file.empty()) {
    s.tls.emplace(asio::ssl::context::tls_server);
    s.tls->use_certificate_chain_file(tls.cert_file);
    s.tls->use_private_key_file(tls.key_file, asio::ssl::context::pem);
  }
  const tcp::endpoint endpoint(asio::ip::make_address("127.0.0.1"), 0);
  s.acceptor.open(endpoint.protocol());
  s.acceptor.set_option(tcp::acceptor::reuse_address(true));
  s.acceptor.bind(endpoint);
  s.acceptor.listen();
  asio::co_spawn(
      s.io,
      [&s]() -> asio::awaitable<void> {
        for (;;) {
          auto [error, socket] = co_await s.acceptor.async_accept(kAwait);
          if (error) co_return;
          std::size_t id = 0;
          {
            std::lock_guard lock(s.mutex);
            id = ++s.connections;
          }
          asio::co_spawn(s.io, session(s, std::move(socket), id), asio::detached);
        }
      },
      asio::detached);
  s.thread = std::thread([&s] { s.io.run(); });
}

StandInServer::~StandInServer() {
  state_->io.stop();
  state_->thread.join();
}

std::uint16_t StandInServer::port() const {
  return state_->acceptor.local_endpoint().port();
}

std::string StandInServer::url() const {
  return "http://127.0.0.1:" + std::to_string(port());
}

std::size_t StandInServer::connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->connections;
}

std::size_t StandInServer::closed_connections() const {
  std::lock_guard lock(state_->mutex);
  return state_->closed;
}

std::vector<StandInRequest> StandInServer::requests() const {
  std::lock_guard lock(state_->mutex);
  return state_->requests;
}

std::uint16_t closed_port() {
  asio::io_context io;
  tcp::acceptor acceptor(io, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0));
  return acceptor.local_endpoint().port();  // closed again when `acceptor` goes
}

}  // namespace cc::aws::test
