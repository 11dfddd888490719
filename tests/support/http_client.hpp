#pragma once
// A small blocking HTTP/1.1 client for tests: one keep-alive connection, reconnects on demand.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <memory>
#include <optional>
#include <string>

namespace cc::test {

struct HttpResult {
  unsigned status = 0;  // 0: no response (connection failed or closed)
  std::string body;
  std::string content_type;
  std::string retry_after;
};

class HttpClient {
 public:
  HttpClient(std::string host, std::uint16_t port) : host_(std::move(host)), port_(port) {}
  HttpResult get(const std::string& target, const std::string& accept = "");
  HttpResult post(const std::string& target, const std::string& body, const std::string& accept = "application/json",
                  const std::string& content_type = "application/json");
  HttpResult del(const std::string& target, const std::string& body, const std::string& accept = "application/json");
  HttpResult patch(const std::string& target, const std::string& body);
  // Sent as the Authorization header of every later request (empty: none).
  void set_authorization(std::string value) { authorization_ = std::move(value); }
  // Sends raw bytes and returns whatever comes back (for malformed-request tests).
  std::string raw(const std::string& bytes);

 private:
  HttpResult send(boost::beast::http::request<boost::beast::http::string_body>& req);
  bool connect();

  std::string host_;
  std::uint16_t port_;
  std::string authorization_;
  std::unique_ptr<boost::asio::io_context> io_ = std::make_unique<boost::asio::io_context>();  // movable client
  std::optional<boost::beast::tcp_stream> stream_;
  boost::beast::flat_buffer buffer_;
};

}  // namespace cc::test
