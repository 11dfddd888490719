#pragma once
// A small blocking HTTP(S) client for the `operator` commands, which talk to a running signer.
// https:// verifies the server certificate (against --ca-cert, else the system store) and its
// host name; http:// is refused unless the caller allows plaintext, because tokens would travel
// in the clear. A signer in a Nitro Enclave (tls.mode: atls) is verified by attestation instead:
// with expected PCRs the certificate must carry an attestation document that chains to the AWS
// Nitro root (pinned by fingerprint; a test root can be given), has those PCR values and is bound
// to the certificate's key; no CA and no host name are consulted then.
#include <boost/beast/http/verb.hpp>
#include <string>

#include "core/result.hpp"
#include "tee/attestation_document.hpp"

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
  tee::PcrMap expected_pcrs;     // non-empty: aTLS
  std::string attestation_root;  // aTLS root certificate file (PEM or DER); empty: AWS's, pinned
};

struct SignerRequest {
  boost::beast::http::verb method = boost::beast::http::verb::get;
  std::string target;  // appended to the URL's path
  std::string body;    // JSON, or empty
};

// One request to the signer. Errors: unreachable, TLS failure, plaintext refused.
Result<SignerResponse> signer_request(const SignerClientOptions& options, const SignerRequest& request);

}  // namespace cc::app
