#include "http_client.hpp"

namespace cc::test {

namespace beast = boost::beast;
namespace http = beast::http;
using tcp = boost::asio::ip::tcp;

bool HttpClient::connect() {
  stream_.emplace(*io_);
  beast::error_code ec;
  stream_->expires_after(std::chrono::seconds(10));
  stream_->connect(tcp::endpoint(boost::asio::ip::make_address(host_), port_), ec);
  if (ec) {
    stream_.reset();
    return false;
  }
  buffer_.clear();
  return true;
}

HttpResult HttpClient::send(http::request<http::string_body>& req) {
  if (!authorization_.empty()) req.set(http::field::authorization, authorization_);
  for (int attempt = 0; attempt < 2; ++attempt) {
    if (!stream_ && !connect()) return {};
    beast::error_code ec;
    stream_->expires_after(std::chrono::seconds(60));
    http::write(*stream_, req, ec);
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 << 20);
    // Read even when the write failed: the server may have answered early (413) and closed.
    http::read(*stream_, buffer_, parser, ec);
    if (ec) {
      stream_.reset();  // the server closed an idle connection: retry once on a new one
      continue;
    }
    auto res = parser.release();
    HttpResult out{res.result_int(), res.body(), std::string(res[http::field::content_type]),
                   std::string(res[http::field::retry_after])};
    if (!res.keep_alive()) stream_.reset();
    return out;
  }
  return {};
}

HttpResult HttpClient::get(const std::string& target, const std::string& accept) {
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, host_);
  if (!accept.empty()) req.set(http::field::accept, accept);
  return send(req);
}

HttpResult HttpClient::post(const std::string& target, const std::string& body, const std::string& accept,
                            const std::string& content_type) {
  http::request<http::string_body> req{http::verb::post, target, 11};
  req.set(http::field::host, host_);
  if (!accept.empty()) req.set(http::field::accept, accept);
  req.set(http::field::content_type, content_type);
  req.body() = body;
  req.prepare_payload();
  return send(req);
}

HttpResult HttpClient::del(const std::string& target, const std::string& body, const std::string& accept) {
  http::request<http::string_body> req{http::verb::delete_, target, 11};
  req.set(http::field::host, host_);
  if (!accept.empty()) req.set(http::field::accept, accept);
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  return send(req);
}

HttpResult HttpClient::patch(const std::string& target, const std::string& body) {
  http::request<http::string_body> req{http::verb::patch, target, 11};
  req.set(http::field::host, host_);
  req.set(http::field::accept, "application/json");
  req.set(http::field::content_type, "application/json");
  req.body() = body;
  req.prepare_payload();
  return send(req);
}

std::string HttpClient::raw(const std::string& bytes) {
  boost::asio::io_context io;
  beast::tcp_stream s(io);
  beast::error_code ec;
  s.expires_after(std::chrono::seconds(10));
  s.connect(tcp::endpoint(boost::asio::ip::make_address(host_), port_), ec);
  if (ec) return {};
  boost::asio::write(s.socket(), boost::asio::buffer(bytes), ec);
  s.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = s.socket().read_some(boost::asio::buffer(buf), ec);
    out.append(buf, n);
    if (ec) break;
  }
  return out;
}

}  // namespace cc::test
