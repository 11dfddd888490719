#pragma once
// Process-wide counts of failed AWS requests, by service ("dynamodb", "kms", "sts") and
// operation ("PutItem", "Decrypt"), for the metrics endpoint, which reads them at each scrape
// (this layer knows nothing of metrics). HttpsTransport counts a request once, after its
// retries, when it got no answer, or an answer that is an error other than a condition the
// caller asked for (ConditionalCheckFailedException and TransactionCanceledException are how
// conditional writes say "no"; they are outcomes, not failures).
//
// Thread-safe. Failures are rare, so one mutex guards the table; successful requests never
// touch it.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "aws/transport.hpp"

namespace cc::aws {

struct AwsErrorCount {
  std::string service;
  std::string operation;
  std::uint64_t count = 0;
};

void count_aws_error(std::string_view service, std::string_view operation);
// Every (service, operation) that failed at least once, in order.
std::vector<AwsErrorCount> aws_error_counts();

// The operation a request names: the X-Amz-Target suffix ("DynamoDB_20120810.PutItem" →
// "PutItem"), else the Query protocol's Action parameter, else "unknown".
std::string operation_of(const AwsRequest& request);

}  // namespace cc::aws
