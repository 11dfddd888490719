#include "api/api_metrics.hpp"

#include <charconv>
#include <string>

#include "slashing/refusal.hpp"

namespace cc::api {

ApiMetrics::ApiMetrics(metrics::Registry& registry, std::string_view store_backend)
    : requests_(registry.counter("containment_signing_requests_total",
                                 "Signing requests answered, by HTTP status and operation (the request type)",
                                 {"status", "operation"})),
      duration_(registry.histogram("containment_signing_duration_seconds",
                                   "Time from receiving a signing request to answering it, by operation", {"operation"},
                                   metrics::latency_buckets())),
      batches_(registry.counter("containment_signing_batches_total",
                                "Batch signing requests (POST /api/v1/eth2/sign) answered, by HTTP status and "
                                "operation",
                                {"status", "operation"})),
      batch_keys_(registry
                      .histogram("containment_signing_batch_keys", "Public keys per batch signing request", {},
                                 {1, 4, 16, 64, 256, 1024, 4096})
                      .get()),
      refusals_(registry.counter("containment_slashing_rejections_total",
                                 "Messages refused by the anti-slashing database, by rule", {"rule"})),
      database_(registry
                    .histogram("containment_anti_slashing_duration_seconds",
                               "Anti-slashing check and durable record of one message (queueing and group "
                               "commit included), by backend",
                               {"backend"}, metrics::latency_buckets())
                    .with({store_backend})),
      auth_rejections_(registry
                           .counter("containment_auth_rejections_total",
                                    "Requests refused for missing or invalid credentials (401) or by policy (403)")
                           .get()),
      canary_(registry.counter("containment_canary_signing_total", "Signing requests for a canary key").get()) {
  // Every slashing rule from the start, so that increase() sees the first refusal.
  for (auto r = static_cast<int>(slashing::Refusal::genesis_validators_root_mismatch);
       r < static_cast<int>(slashing::Refusal::key_disabled); ++r) {
    refusals_.with({slashing::refusal_name(static_cast<slashing::Refusal>(r))});
  }
}

void ApiMetrics::signing_request(unsigned status, std::string_view operation, double seconds) {
  char buf[12];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, status);
  const std::string_view status_text(buf, static_cast<std::size_t>(end - buf));
  requests_.with({status_text, operation}).inc();
  duration_.with({operation}).observe(seconds);
}

void ApiMetrics::signing_batch(unsigned status, std::string_view operation, std::size_t keys) {
  char buf[12];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, status);
  batches_.with({std::string_view(buf, static_cast<std::size_t>(end - buf)), operation}).inc();
  batch_keys_.observe(static_cast<double>(keys));
}

void ApiMetrics::slashing_refusal(std::string_view rule) {
  refusals_.with({rule}).inc();
}

void ApiMetrics::slashing_database(double seconds) {
  database_.observe(seconds);
}

void ApiMetrics::auth_rejection() {
  auth_rejections_.inc();
}

void ApiMetrics::canary_signing() {
  canary_.inc();
}

}  // namespace cc::api
