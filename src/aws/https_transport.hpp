#pragma once
// HttpsTransport: the production Transport. Each attempt is signed afresh with SigV4 (a new
// X-Amz-Date, the chain's current credentials) and sent over a pool of keep-alive connections to
// one service endpoint, TLS-verified against the system trust store (or a given CA file) and the
// endpoint's host name. Throttling and 5xx answers are retried with full-jitter exponential
// backoff; a request that got no answer is retried only when it is Retry::idempotent. A request
// that fails in the end (no answer, or an error answer other than a conditional write's "no")
// is counted by service and operation (aws/error_counts.hpp).
// Thread-safe: any number of threads may call send() at once.
#include <chrono>
#include <memory>
#include <string>

#include "aws/credentials.hpp"
#include "aws/transport.hpp"

namespace cc::aws {

class HttpClient;

struct HttpsTransportOptions {
  std::string service;   // endpoint prefix and signing name: "dynamodb", "kms", "sts"
  std::string region;    // "eu-west-1"
  std::string endpoint;  // empty: https://<service>.<region>.amazonaws.com; http://127.0.0.1:8000 for a local stand-in
  std::shared_ptr<CredentialChain> credentials;
  std::chrono::milliseconds attempt_timeout{5000};  // one attempt: connect, TLS, send and answer
  unsigned max_attempts = 4;                        // all attempts, the first included
  std::chrono::milliseconds backoff_base{50};       // attempt n waits a random time in [0, min(cap, base * 2^(n-1))]
  std::chrono::milliseconds backoff_cap{2000};
  std::size_t max_idle_connections = 32;
  std::string ca_file;  // empty: the system trust store
};

class HttpsTransport final : public Transport {
 public:
  // Error::invalid when the options cannot work (no service, region or credentials, a bad
  // endpoint URL, an unreadable CA file), naming what is wrong.
  static Result<std::unique_ptr<HttpsTransport>> create(HttpsTransportOptions options);
  ~HttpsTransport() override;

  Result<AwsResponse> send(const AwsRequest& request, Retry retry) override;
  std::string describe() const override;

  // Connections opened so far; with keep-alive working this stays near the peak concurrency.
  std::uint64_t connections_opened() const;

 private:
  HttpsTransport(HttpsTransportOptions options, std::string endpoint, std::unique_ptr<HttpClient> client);

  HttpsTransportOptions options_;
  std::string endpoint_;
  std::unique_ptr<HttpClient> client_;
};

// Whether an answer says "slow down": HTTP 429, or 400 whose error type (x-amzn-ErrorType, JSON
// "__type"/"code", XML <Code>) ends in ThrottlingException, ProvisionedThroughputExceededException,
// RequestLimitExceeded or is Throttling. AWS did not apply such a request.
bool is_throttling(const AwsResponse& response);

}  // namespace cc::aws
