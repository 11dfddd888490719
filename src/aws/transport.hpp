#pragma once
// Transport: one signed request to one AWS service endpoint. The production implementation
// (HttpsTransport, https_transport.hpp) signs with SigV4 using the credential chain and sends
// over pooled keep-alive HTTPS with timeouts and retries; service clients (DynamoDB, KMS, STS)
// only build requests and read responses, so the same client code runs against AWS, against a
// local stand-in (dynalite in tests) or through the enclave's loopback egress.
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"

namespace cc::aws {

using Headers = std::vector<std::pair<std::string, std::string>>;

struct AwsRequest {
  std::string method = "POST";
  std::string path = "/";
  std::string query;  // already encoded, without '?'
  Headers headers;    // e.g. X-Amz-Target, Content-Type; Host, X-Amz-Date and Authorization are added
  std::string body;
};

struct AwsResponse {
  unsigned status = 0;
  Headers headers;
  std::string body;
};

// Whether a request may be sent again when no answer came back: reads, and writes whose effect
// is the same when applied twice (conditional writes a caller re-checks). Throttling (429,
// ThrottlingException, ProvisionedThroughputExceeded) and 5xx answers are retried for both,
// since AWS did not apply those requests.
enum class Retry { idempotent, not_idempotent };

class Transport {
 public:
  virtual ~Transport() = default;
  // Sends `request` to the service endpoint. Any HTTP answer is returned as such (4xx included,
  // after retries for throttling and 5xx are used up); Error::unavailable when no answer came
  // (connection, TLS, timeout), naming the endpoint.
  virtual Result<AwsResponse> send(const AwsRequest& request, Retry retry) = 0;
  // "dynamodb eu-west-1 (https://dynamodb.eu-west-1.amazonaws.com)", for errors and logs.
  virtual std::string describe() const = 0;
};

}  // namespace cc::aws
