#pragma once
// A small blocking HTTP(S) client for the `operator` commands, which talk to a running signer.
// https:// verifies the server certificate (against --ca-cert, else the system store) and its
// host name; http:// is refused unless the caller allows plaintext, because tokens would travel
// in the clear.
#include <string>

#include "core/result.hpp"

namespace cc::app {

struct SignerUrl {
  bool tls = true;
  std::string host;
  std::string port;
  std::string base_path;  // without trailing '/'
};

// Parses http(s)://host[:port][/path]; the error says what is wrong.
Result<SignerUrl> parse_signer_url(const std::string& url);

struct SignerResponse {
  unsigned status = 0;
  std::string body;
};

struct SignerClientOptions {
  std::string url;
  std::string token;    // sent as Bearer
  std::string ca_cert;  // PEM file; empty: system trust store
  bool allow_plaintext = false;
};

// GET base_path + target. Errors: unreachable, TLS failure, plaintext refused.
Result<SignerResponse> signer_get(const SignerClientOptions& options, const std::string& target);

}  // namespace cc::app
