#include "https_client.hpp"

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace cc::test {

HttpsResult https_get(std::uint16_t port, const std::string& target, const std::string& ca_file,
                      const std::string& client_cert, const std::string& client_key) {
  namespace beast = boost::beast;
  namespace http = beast::http;
  namespace ssl = boost::asio::ssl;
  HttpsResult out;
  boost::asio::io_context io;
  ssl::context ctx(ssl::context::tls_client);
  beast::error_code ec;
  ctx.load_verify_file(ca_file, ec);
  if (!client_cert.empty()) {
    ctx.use_certificate_chain_file(client_cert, ec);
    ctx.use_private_key_file(client_key, ssl::context::pem, ec);
  }
  ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(10));
  beast::get_lowest_layer(stream).connect({boost::asio::ip::make_address("127.0.0.1"), port}, ec);
  if (ec) return out.error = "connect: " + ec.message(), out;
  stream.handshake(ssl::stream_base::client, ec);
  if (ec) return out.error = "handshake: " + ec.message(), out;
  http::request<http::string_body> req{http::verb::get, target, 11};
  req.set(http::field::host, "127.0.0.1");
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec) return out.error = "request: " + ec.message(), out;
  out.status = res.result_int();
  out.body = res.body();
  return out;
}

}  // namespace cc::test
