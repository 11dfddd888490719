#pragma once
// TLS server contexts from PEM files (tls.mode: file): TLS 1.2 or newer with forward-secret AEAD
// ciphers, and optional client authentication (mTLS) by a client CA and/or an allow-list of
// client certificate SHA-256 fingerprints. Errors name the file and OpenSSL's reason.
#include <boost/asio/ssl/context.hpp>
#include <memory>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace cc::api {

struct TlsFileOptions {
  std::string cert_path;                  // PEM certificate chain
  std::string key_path;                   // PEM private key
  std::string client_ca_path;             // PEM CA bundle: clients must present a certificate it signed
  std::vector<std::string> client_fingerprints;  // SHA-256 of allowed client certificates (hex, ':' optional)
};

Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context(const TlsFileOptions& options);

// The same protocol settings with a certificate and key held in memory (aTLS: made in the enclave,
// never written to disk); no client authentication.
Result<std::shared_ptr<boost::asio::ssl::context>> make_tls_context_from_pem(const std::string& cert_pem,
                                                                            const std::string& key_pem);

}  // namespace cc::api
