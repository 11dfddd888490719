#pragma once
// HttpServer accepts HTTP/1.1 connections (keep-alive, one request at a time per connection)
// and hands each parsed request to a Handler. The handler answers through Respond, exactly
// once, from any thread, so handlers may finish their work on other pools. On a plain HTTP
// connection the answering thread (usually a signing thread) sends the response itself with one
// non-blocking send() and re-arms the read for the next request: no I/O thread is woken for it
// (about three context switches fewer per request). TLS connections, a response the socket
// cannot take at once, and closing connections are written on the connection's own strand. Oversized bodies get 413 and malformed requests 400
// without reaching the handler; connections beyond max_connections get 503 and are closed.
// Thread-safe; stop() closes the listener and open connections.
//
// Graceful shutdown: stop_accepting() closes the listener (new connections are refused) and the
// connections waiting for a request, and lets every request already read run to its answer,
// sent with Connection: close; in_flight() counts those not answered yet.
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/result.hpp"

namespace cc::api {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;
using HttpResponse = boost::beast::http::response<boost::beast::http::string_body>;
using Respond = std::function<void(HttpResponse)>;
using Handler = std::function<void(HttpRequest&&, Respond)>;

struct HttpServerOptions {
  std::string address = "0.0.0.0";
  std::uint16_t port = 9000;  // 0 picks a free port (tests)
  std::uint64_t max_body_bytes = 1 << 20;
  // A connection waiting for its next request, or sending one, longer than this is closed
  // (checked by a sweep every tenth of it, 10 ms to 1 s). A request being answered never times out.
  std::chrono::milliseconds idle_timeout{std::chrono::seconds(300)};
  // Open connections at most (0: no limit). One more is accepted and answered at once with 503
  // and closed, so that idle or slow clients cannot exhaust file descriptors or memory.
  std::size_t max_connections = 1000;
  // When set, connections speak TLS with this context (read anew for each connection, so a
  // context swapped in by set_tls_context() serves new connections while old ones keep theirs).
  std::shared_ptr<boost::asio::ssl::context> tls;
};

class HttpServer {
 public:
  // Binds and listens at once; throws std::runtime_error naming the address on failure.
  HttpServer(boost::asio::io_context& io, HttpServerOptions options, Handler handler);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  void start();
  void stop();
  void stop_accepting();
  // Requests handed to the handler and not answered (written) yet.
  std::size_t in_flight() const;
  std::uint16_t port() const;
  // Replaces the TLS context for connections accepted from now on (certificate reload).
  void set_tls_context(std::shared_ptr<boost::asio::ssl::context> tls);

  struct State;  // opaque; shared with the connections it accepted

 private:
  std::shared_ptr<State> state_;
};

// The address of the client that sent `request` ("203.0.113.7:53412", "[::1]:40000"), for logs.
// HttpServer records it in a header of its own on every request it hands to a handler (a client
// that sends that header itself has it replaced); "" for a request that did not come through it.
std::string peer_address(const HttpRequest& request);
inline constexpr std::string_view kPeerHeader = "X-Containment-Peer";

// A JSON response with the given status. `body` must already be JSON text.
HttpResponse json_response(unsigned status, std::string body, unsigned version = 11, bool keep_alive = true);
// {"code": status, "message": message}
HttpResponse error_response(unsigned status, std::string_view message, unsigned version = 11, bool keep_alive = true);
// The HTTP status of an Error (core/result.hpp: invalid 400, unauthenticated 401, forbidden 403,
// not_found 404, conflict 409, refused 412, unavailable 503, internal 500), and its JSON answer
// (unavailable with Retry-After: 1).
unsigned http_status_of(const Error& e);
HttpResponse error_of(const Error& e);

}  // namespace cc::api
