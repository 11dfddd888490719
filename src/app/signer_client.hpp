#pragma once
// A small blocking HTTP(S) client for the `operator` commands, which talk to a running signer.
// https:// verifies the server certificate (against --ca-cert, else the system store) and its
// host name; http:// is refused unless the caller allows plaintext, because tokens would travel
// in the clear.
#include <boost/beast/http/verb.hpp>
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

struct SignerRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;  // appended to the URL's path
  std::string body;    // JSON, or empty
};

// One request to the signer. Errors: unreachable, TLS failure, plaintext refused.
Result<SignerResponse> signer_request(const SignerClientOptions& options, const SignerRequest& request);

}  // namespace cc::app
