#include "api/tls_context.hpp"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <algorithm>

#include "core/bytes.hpp"

namespace cc::api {

namespace ssl = boost::asio::ssl;

namespace {

std::string openssl_reason(const boost::system::error_code& ec) {
  std::string out = ec.message();
  if (unsigned long e = ERR_peek_last_error(); e != 0) {
    char buf[256];
    ERR_error_string_n(e, buf, sizeof buf);
    out += " (";
    out += buf;
    out += ")";
  }
  ERR_clear_error();
  return out;
}

// Lower-case hex without separators.
std::string normalise_fingerprint(std::string text) {
  text.erase(std::remove(text.begin(), text.end(), ':'), text.end());
  if (text.rfind("0x", 0) == 0) text.erase(0, 2);
  std::transform(text.begin(), text.end(), text.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return text;
}

std::string certificate_fingerprint(X509* cert) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  X509_digest(cert, EVP_sha256(), md, &len);
  return to_hex(std::span<const std::uint8_t>(md, len)).substr(2);
}

// A server context with the project's protocol floor and ciphers, no certificate yet.
std::shared_ptr<ssl::context> base_server_context() {
  auto ctx = std::make_shared<ssl::context>(ssl::context::tls_server);
  boost::system::error_code ec;
  ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                       ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                   ec);
  SSL_CTX_set_min_proto_version(ctx->native_handle(), TLS1_2_VERSION);
  SSL_CTX_set_cipher_list(ctx->native_handle(), "ECDHE+AESGCM:ECDHE+CHACHA20");
  return ctx;
}

}  // namespace

Result<std::shared_ptr<ssl::context>> make_tls_context_from_pem(const std::string& cert_pem, const std::string& key_pem) {
  auto ctx = base_server_context();
  boost::system::error_code ec;
  ctx->use_certificate_chain(boost::asio::buffer(cert_pem), ec);
  if (ec) return Error::invalid("TLS certificate: " + openssl_reason(ec));
  ctx->use_private_key(boost::asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) return Error::invalid("TLS private key: " + openssl_reason(ec));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return Error::invalid("TLS private key does not match the certificate");
  }
  return ctx;
}

Result<std::shared_ptr<ssl::context>> make_tls_context(const TlsFileOptions& options) {
  auto ctx = base_server_context();
  boost::system::error_code ec;
  ctx->use_certificate_chain_file(options.cert_path, ec);
  if (ec) return Error::invalid("tls.file.cert_path " + options.cert_path + ": " + openssl_reason(ec));
  ctx->use_private_key_file(options.key_path, ssl::context::pem, ec);
  if (ec) return Error::invalid("tls.file.key_path " + options.key_path + ": " + openssl_reason(ec));
  if (SSL_CTX_check_private_key(ctx->native_handle()) != 1) {
    ERR_clear_error();
    return Error::invalid("tls.file.key_path " + options.key_path + ": does not match the certificate");
  }
  const bool by_ca = !options.client_ca_path.empty();
  std::vector<std::string> allowed;
  for (const auto& f : options.client_fingerprints) allowed.push_back(normalise_fingerprint(f));
  if (!by_ca && allowed.empty()) return ctx;

  if (by_ca) {
    ctx->load_verify_file(options.client_ca_path, ec);
    if (ec) return Error::invalid("tls.file.client_ca_path " + options.client_ca_path + ": " + openssl_reason(ec));
  }
  ctx->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  ctx->set_verify_callback([by_ca, allowed](bool preverified, ssl::verify_context& vc) {
    X509_STORE_CTX* store = vc.native_handle();
    const int depth = X509_STORE_CTX_get_error_depth(store);
    if (by_ca && !preverified) return false;       // the chain must lead to the client CA
    if (allowed.empty()) return preverified;
    if (depth != 0) return by_ca ? preverified : true;  // fingerprints pin the leaf; chain errors don't matter then
    X509* leaf = X509_STORE_CTX_get_current_cert(store);
    const auto fp = certificate_fingerprint(leaf);
    return std::find(allowed.begin(), allowed.end(), fp) != allowed.end();
  });
  return ctx;
}

}  // namespace cc::api
