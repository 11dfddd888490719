#include "app/signer_client.hpp"

#include <openssl/ssl.h>

#include <fstream>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "tee/atls_attestation.hpp"

namespace cc::app {

namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = boost::asio::ssl;
using tcp = boost::asio::ip::tcp;

Result<SignerUrl> parse_signer_url(const std::string& url) {
  SignerUrl out;
  std::string rest;
  if (url.rfind("https://", 0) == 0) {
    rest = url.substr(8);
  } else if (url.rfind("http://", 0) == 0) {
    out.tls = false;
    rest = url.substr(7);
  } else {
    return Error::invalid("--signer-url must start with https:// (or http:// with --allow-plaintext-signer)");
  }
  const auto slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  out.base_path = slash == std::string::npos ? "" : rest.substr(slash);
  while (!out.base_path.empty() && out.base_path.back() == '/') out.base_path.pop_back();
  if (authority.find('@') != std::string::npos) return Error::invalid("--signer-url: put the token in --auth-token");
  auto colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']') == std::string::npos) {
    out.host = authority.substr(0, colon);
    out.port = authority.substr(colon + 1);
  } else {
    out.host = authority;
    out.port = out.tls ? "443" : "80";
  }
  if (out.host.empty() || out.port.empty()) return Error::invalid("--signer-url: no host in '" + url + "'");
  return out;
}

namespace {

// The aTLS check of the signer's certificate: the given root (tests) or AWS's pinned one.
Result<tee::DocumentVerifier> atls_verifier(const SignerClientOptions& options) {
  if (options.attestation_root.empty()) return tee::aws_nitro_document_verifier(options.expected_pcrs);
  std::ifstream in(options.attestation_root, std::ios::binary);
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (!in && text.empty()) return Error::invalid("--attestation-root " + options.attestation_root + ": cannot read it");
  auto verifier = tee::AttestationVerifier::create(
      std::span(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
  if (!verifier) return Error::invalid("--attestation-root " + options.attestation_root + ": " + verifier.error().message);
  return tee::attestation_document_verifier(std::move(*verifier), options.expected_pcrs);
}

template <class Stream>
Result<SignerResponse> exchange(Stream& stream, const SignerUrl& url, const std::string& token,
                                const SignerRequest& request) {
  http::request<http::string_body> req{request.method, url.base_path + request.target, 11};
  req.set(http::field::host, url.host);
  req.set(http::field::accept, "application/json");
  if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
  if (!request.body.empty()) {
    req.set(http::field::content_type, "application/json");
    req.body() = request.body;
  }
  req.prepare_payload();
  beast::error_code ec;
  http::write(stream, req, ec);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  if (!ec) http::read(stream, buffer, res, ec);
  if (ec) return Error::unavailable("request to the signer failed: " + ec.message());
  return SignerResponse{res.result_int(), res.body()};
}

}  // namespace

Result<SignerResponse> signer_request(const SignerClientOptions& options, const SignerRequest& request) {
  auto url = parse_signer_url(options.url);
  if (!url) return url.error();
  if (!url->tls && !options.allow_plaintext) {
    return Error::invalid("refusing plaintext " + options.url +
                          ": the token would travel unencrypted. Use https://, or --allow-plaintext-signer for a "
                          "signer on this machine or a trusted network");
  }
  boost::asio::io_context io;
  beast::error_code ec;
  tcp::resolver resolver(io);
  auto endpoints = resolver.resolve(url->host, url->port, ec);
  if (ec) return Error::unavailable("cannot resolve " + url->host + ": " + ec.message());
  if (!url->tls) {
    beast::tcp_stream stream(io);
    stream.expires_after(std::chrono::seconds(15));
    stream.connect(endpoints, ec);
    if (ec) return Error::unavailable("cannot connect to " + options.url + ": " + ec.message());
    return exchange(stream, *url, options.token, request);
  }
  ssl::context ctx(ssl::context::tls_client);
  auto atls_failure = std::make_shared<std::string>();
  if (!options.expected_pcrs.empty()) {
    auto verify = atls_verifier(options);
    if (!verify) return verify.error();
    tee::require_atls_peer(ctx.native_handle(), std::move(*verify), atls_failure);
  } else if (options.ca_cert.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.load_verify_file(options.ca_cert, ec);
    if (ec) return Error::invalid("--ca-cert " + options.ca_cert + ": " + ec.message());
  }
  if (options.expected_pcrs.empty()) ctx.set_verify_mode(ssl::verify_peer);
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  SSL_set_tlsext_host_name(stream.native_handle(), url->host.c_str());
  if (options.expected_pcrs.empty()) {
    // Host name (or IP address) checked against the certificate.
    X509_VERIFY_PARAM* param = SSL_get0_param(stream.native_handle());
    boost::system::error_code addr_ec;
    boost::asio::ip::make_address(url->host, addr_ec);
    if (addr_ec) {
      X509_VERIFY_PARAM_set1_host(param, url->host.c_str(), 0);
    } else {
      X509_VERIFY_PARAM_set1_ip_asc(param, url->host.c_str());
    }
  }
  beast::get_lowest_layer(stream).expires_after(std::chrono::seconds(15));
  beast::get_lowest_layer(stream).connect(endpoints, ec);
  if (ec) return Error::unavailable("cannot connect to " + options.url + ": " + ec.message());
  stream.handshake(ssl::stream_base::client, ec);
  if (ec && !atls_failure->empty()) {
    return Error::forbidden("the signer at " + options.url + " failed attestation: " + *atls_failure);
  }
  if (ec) return Error::unavailable("TLS with " + options.url + " failed: " + ec.message());
  return exchange(stream, *url, options.token, request);
}

}  // namespace cc::app
