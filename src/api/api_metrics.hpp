#pragma once
// ApiMetrics: what the request paths of this layer count and time, in the process's metrics
// registry (metrics/registry.hpp). The router counts every signing request once, with the HTTP
// status it answered and the operation (the request's "type", "unknown" when the body could not
// be decoded) — in a batch, each key's answer counts as one — and every auth rejection (401/403); the signing service times the anti-slashing
// database and counts its refusals by rule.
//
// Every method is safe from any thread and takes no lock once a label combination has been
// seen (Family::with()). A component given no ApiMetrics (nullptr) counts nothing.
#include <cstddef>
#include <string_view>

#include "metrics/registry.hpp"

namespace cc::api {

class ApiMetrics {
 public:
  // `store_backend` ("sqlite", "postgres", "dynamodb") labels the database latency.
  ApiMetrics(metrics::Registry& registry, std::string_view store_backend);

  // One signing request answered with `status` after `seconds`.
  void signing_request(unsigned status, std::string_view operation, double seconds);
  // One batch signing request answered with `status` for `keys` public keys (each key's own
  // answer is counted by signing_request() too).
  void signing_batch(unsigned status, std::string_view operation, std::size_t keys);
  // The anti-slashing database refused a message (refusal_name(), e.g. "double_vote").
  void slashing_refusal(std::string_view rule);
  // One check_and_record() round trip, queueing and group commit included.
  void slashing_database(double seconds);
  // A request refused for its credentials (401) or its policy (403).
  void auth_rejection();
  // A canary key was asked to sign (the signing service refused it: keys/registry.hpp).
  void canary_signing();

 private:
  metrics::Family<metrics::Counter>& requests_;
  metrics::Family<metrics::Histogram>& duration_;
  metrics::Family<metrics::Counter>& batches_;
  metrics::Histogram& batch_keys_;
  metrics::Family<metrics::Counter>& refusals_;
  metrics::Histogram& database_;
  metrics::Counter& auth_rejections_;
  metrics::Counter& canary_;
};

}  // namespace cc::api
