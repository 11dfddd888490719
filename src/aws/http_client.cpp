#include "aws/http_client.hpp"

#include <openssl/crypto.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <cerrno>
#include <iterator>
#include <stdexcept>

#include "aws/sigv4.hpp"

namespace cc::aws {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

bool is_ip_literal(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

bool valid_port(std::string_view port) {
  if (port.empty() || port.size() > 5) return false;
  unsigned value = 0;
  for (char c : port) {
    if (c < '0' || c > '9') return false;
    value = value * 10 + static_cast<unsigned>(c - '0');
  }
  return value >= 1 && value <= 65535;
}

}  // namespace

std::string Url::host_header() const {
  const auto name = host.find(':') != std::string::npos ? "[" + host + "]" : host;
  const bool default_port = (tls && port == "443") || (!tls && port == "80");
  return default_port ? name : name + ":" + port;
}

std::string Url::origin() const {
  return (tls ? "https://" : "http://") + host_header();
}

Result<Url> parse_url(std::string_view text) {
  Url url;
  std::string_view rest;
  if (text.starts_with("https://")) {
    rest = text.substr(8);
  } else if (text.starts_with("http://")) {
    url.tls = false;
    rest = text.substr(7);
  } else {
    return Error::invalid("endpoint '" + std::string(text) + "': expected an http:// or https:// URL");
  }
  const auto end = std::min(rest.find_first_of("/?"), rest.size());
  const auto authority = rest.substr(0, end);
  const auto target = rest.substr(end);
  if (authority.find('@') != std::string_view::npos) {
    return Error::invalid("endpoint '" + std::string(text) + "': user information is not supported");
  }
  std::string_view port;
  if (authority.starts_with("[")) {
    const auto close = authority.find(']');
    if (close == std::string_view::npos) return Error::invalid("endpoint '" + std::string(text) + "': unclosed '['");
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size()) {
      if (authority[close + 1] != ':') return Error::invalid("endpoint '" + std::string(text) + "': bad port");
      port = authority.substr(close + 2);
    }
  } else {
    const auto colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (url.host.empty()) return Error::invalid("endpoint '" + std::string(text) + "': no host");
  if (port.empty()) {
    url.port = url.tls ? "443" : "80";
  } else if (valid_port(port)) {
    url.port = port;
  } else {
    return Error::invalid("endpoint '" + std::string(text) + "': port '" + std::string(port) + "' is not 1-65535");
  }
  if (!target.empty()) url.target = target.starts_with("/") ? std::string(target) : "/" + std::string(target);
  return url;
}

struct HttpClient::TlsContext {
  ssl::context context{ssl::context::tls_client};
};

struct HttpClient::Connection {
  asio::io_context io;
  tcp::socket socket{io};
  std::optional<ssl::stream<tcp::socket&>> tls;
  beast::flat_buffer buffer;
  Clock::time_point idle_since;

  // Runs one asynchronous operation, started by `start(done)`, until it completes or the
  // deadline passes. On the deadline `cancel()` ends it (closing the socket makes every pending
  // operation complete) and timed_out is returned. Only this thread runs this io_context.
  template <class Start, class Cancel>
  boost::system::error_code run(Clock::time_point deadline, Start&& start, Cancel&& cancel) {
    std::optional<boost::system::error_code> result;
    start([&result](boost::system::error_code ec) { result = ec; });
    io.restart();
    while (!result && io.run_one_until(deadline) != 0) {
    }
    if (result) return *result;
    cancel();
    io.restart();
    io.run();
    return asio::error::timed_out;
  }
  template <class Start>
  boost::system::error_code run(Clock::time_point deadline, Start&& start) {
    return run(deadline, std::forward<Start>(start), [this] {
      boost::system::error_code ignored;
      socket.close(ignored);
    });
  }

  // Overwrites what earlier answers left in the read buffer's storage (all of it is consumed
  // after a complete answer, so the whole storage is writable without reallocating).
  void scrub_buffer() {
    if (buffer.size() != 0) return;
    auto storage = buffer.prepare(buffer.capacity());
    OPENSSL_cleanse(storage.data(), storage.size());
  }

  // A pooled connection the server has closed (or sent anything unasked on) is not reused:
  // writing a request to it would make its outcome unknown for nothing.
  bool looks_alive() {
    if (!socket.is_open() || buffer.size() != 0) return false;
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
  }
};

HttpClient::HttpClient(HttpClientOptions options) : options_(std::move(options)) {
  if (!options_.url.tls) return;
  tls_ = std::make_unique<TlsContext>();
  auto& ctx = tls_->context;
  SSL_CTX_set_min_proto_version(ctx.native_handle(), TLS1_2_VERSION);
  boost::system::error_code ec;
  if (options_.ca_file.empty()) {
    ctx.set_default_verify_paths(ec);
    if (ec) throw std::runtime_error("TLS for " + options_.url.origin() + ": no system trust store: " + ec.message());
  } else {
    ctx.load_verify_file(options_.ca_file, ec);
    if (ec) {
      throw std::runtime_error("TLS for " + options_.url.origin() + ": CA file " + options_.ca_file + ": " +
                               ec.message());
    }
  }
  ctx.set_verify_mode(ssl::verify_peer);
}

HttpClient::~HttpClient() = default;

std::unique_ptr<HttpClient::Connection> HttpClient::checkout() {
  std::vector<std::unique_ptr<Connection>> stale;  // closed outside the lock
  std::unique_ptr<Connection> found;
  {
    std::lock_guard lock(mutex_);
    const auto now = Clock::now();
    while (!idle_.empty() && !found) {
      auto c = std::move(idle_.back());
      idle_.pop_back();
      if (now - c->idle_since < options_.max_idle_time && c->looks_alive()) {
        found = std::move(c);
      } else {
        stale.push_back(std::move(c));
      }
    }
  }
  return found;
}

void HttpClient::checkin(std::unique_ptr<Connection> connection) {
  const auto now = Clock::now();
  connection->idle_since = now;
  std::vector<std::unique_ptr<Connection>> closing;  // closed outside the lock
  std::lock_guard lock(mutex_);
  // The oldest idle connections sit at the front: close those idle too long, so that a pool
  // shrunk after a burst does not keep sockets the server has long closed.
  auto old = idle_.begin();
  while (old != idle_.end() && now - (*old)->idle_since >= options_.max_idle_time) ++old;
  std::move(idle_.begin(), old, std::back_inserter(closing));
  idle_.erase(idle_.begin(), old);
  if (idle_.size() < options_.max_idle_connections) {
    idle_.push_back(std::move(connection));
  } else {
    closing.push_back(std::move(connection));
  }
}

HttpExchange HttpClient::exchange(const AwsRequest& request, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  const auto& url = options_.url;
  HttpExchange out;
  auto timed_out = [&](const std::string& stage) {
    return "timed out after " + std::to_string(timeout.count()) + " ms " + stage;
  };

  auto c = checkout();
  if (!c) {
    c = std::make_unique<Connection>();
    tcp::resolver resolver(c->io);
    tcp::resolver::results_type endpoints;
    auto ec = c->run(
        deadline,
        [&](auto done) {
          resolver.async_resolve(url.host, url.port, [&endpoints, done](auto error, auto results) {
            endpoints = results;
            done(error);
          });
        },
        // getaddrinfo itself cannot be interrupted: a hung DNS lookup outlives the deadline
        // (endpoints given as IP addresses or in /etc/hosts, as in the enclave, never wait).
        [&] { resolver.cancel(); });
    if (ec) {
      out.failure = ec == asio::error::timed_out ? timed_out("resolving " + url.host)
                                                 : "cannot resolve " + url.host + ": " + ec.message();
      return out;
    }
    ec = c->run(deadline, [&](auto done) {
      asio::async_connect(c->socket, endpoints, [done](auto error, const auto&) { done(error); });
    });
    if (ec) {
      out.failure = ec == asio::error::timed_out ? timed_out("connecting")
                                                 : "cannot connect to " + url.origin() + ": " + ec.message();
      return out;
    }
    ++opened_;
    c->socket.set_option(tcp::no_delay(true), ec);
    if (tls_) {
      c->tls.emplace(c->socket, tls_->context);
      SSL* ssl = c->tls->native_handle();
      // The certificate must name the host we meant (a DNS name or an IP address).
      if (is_ip_literal(url.host)) {
        X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), url.host.c_str());
      } else {
        SSL_set_tlsext_host_name(ssl, url.host.c_str());
        SSL_set1_host(ssl, url.host.c_str());
      }
      ec = c->run(deadline, [&](auto done) {
        c->tls->async_handshake(ssl::stream_base::client, [done](auto error) { done(error); });
      });
      if (ec) {
        out.failure = ec == asio::error::timed_out ? timed_out("in the TLS handshake")
                                                   : "TLS with " + url.origin() + " failed: " + ec.message();
        return out;
      }
    }
  }

  http::request<http::string_body> req;
  // Bodies may carry key material (KMS Encrypt and Decrypt): the copies made here are
  // overwritten once the exchange is over, whatever its outcome.
  struct Scrub {
    http::request<http::string_body>& req;
    ~Scrub() { scrub(req.body()); }
  } scrub_request{req};
  req.version(11);
  req.method_string(request.method);
  req.target(request.query.empty() ? request.path : request.path + "?" + request.query);
  bool has_host = false;
  for (const auto& [name, value] : request.headers) {
    has_host = has_host || beast::iequals(name, "host");
    req.insert(name, value);
  }
  if (!has_host) req.set(http::field::host, url.host_header());
  req.body() = request.body;
  req.prepare_payload();

  http::response_parser<http::string_body> parser;
  parser.body_limit(options_.max_response_bytes);
  parser.header_limit(64 * 1024);
  // From the first byte written, the server may act on the request even if no answer comes.
  out.maybe_delivered = true;
  auto write_then_read = [&](auto& stream) {
    auto ec = c->run(
        deadline, [&](auto done) { http::async_write(stream, req, [done](auto error, std::size_t) { done(error); }); });
    if (ec) {
      out.failure = ec == asio::error::timed_out ? timed_out("sending the request")
                                                 : "sending the request failed: " + ec.message();
      return;
    }
    ec = c->run(deadline, [&](auto done) {
      http::async_read(stream, c->buffer, parser, [done](auto error, std::size_t) { done(error); });
    });
    if (ec) {
      out.failure = ec == asio::error::timed_out ? timed_out("waiting for the answer") : "no answer: " + ec.message();
    }
  };
  if (c->tls) {
    write_then_read(*c->tls);
  } else {
    write_then_read(c->socket);
  }
  if (!out.failure.empty()) return out;

  auto& res = parser.get();
  AwsResponse response;
  response.status = res.result_int();
  for (const auto& field : res) response.headers.emplace_back(field.name_string(), field.value());
  response.body = std::move(res.body());
  c->scrub_buffer();
  if (res.keep_alive()) checkin(std::move(c));
  out.response = std::move(response);
  return out;
}

}  // namespace cc::aws
