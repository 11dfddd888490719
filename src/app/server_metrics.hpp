#pragma once
// ServerMetrics: the Prometheus metrics of `containment-chamber server` and their listener.
//
// Three ways values get in:
//   - pushed on the request paths: ApiMetrics (api/api_metrics.hpp) counts signing requests,
//     auth and slashing rejections, and times requests and the anti-slashing database;
//   - reported by key loading: key_source_loaded();
//   - pulled at each scrape by collectors (Registry::add_collector): the signing admission
//     limit and what is left of it, keys active per source, the seal state, AWS errors by
//     service and operation (aws/error_counts.hpp), the chamber's operation counters
//     (chamber_counters_collector()), and whatever a later component adds with registry().add_collector().
// containment_healthy is what /healthcheck would answer; that check writes to the
// anti-slashing database, so a thread of its own refreshes it every
// metrics.refresh_interval_seconds (and at once after key loading), never a scrape.
//
// The listener is plain HTTP on metrics.listen_address:listen_port whatever tls.mode says, on
// the signer's io_context (api/http_server.hpp); port 0 picks a free port, and the bound address
// is logged as "metrics listening on http://ADDR:PORT/metrics". Thread-safe.
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>

#include "api/api_metrics.hpp"
#include "api/http_server.hpp"
#include "api/router.hpp"
#include "api/signing_service.hpp"
#include "core/config.hpp"
#include "keys/memory_keys.hpp"
#include "metrics/registry.hpp"
#include "seal/chamber.hpp"

namespace cc::app {

class ServerMetrics {
 public:
  // `store_backend` labels the anti-slashing latency ("sqlite", "postgres", "dynamodb").
  explicit ServerMetrics(std::string_view store_backend);
  ~ServerMetrics();
  ServerMetrics(const ServerMetrics&) = delete;
  ServerMetrics& operator=(const ServerMetrics&) = delete;

  metrics::Registry& registry() { return registry_; }
  // For SigningService::Options::metrics (the router finds it there).
  api::ApiMetrics* api() { return &api_; }

  // The parts of the server the collectors read; all must outlive this object's listener.
  // `chamber` is null without the DynamoDB key source (then the signer state is reported as
  // "not_configured"). From `store`: containment_anti_slashing_{checks,commits,failed_commits}_total.
  void watch(const api::SigningService& signing, api::Router& router, const keys::MemoryKeys& memory_keys,
             const seal::Chamber* chamber, const slashing::SlashingStore& store);

  // A load of key source `source` finished (filesystem: the start-up load; dynamodb: a refresh)
  // in `seconds` with `failures` keys not loaded.
  void key_source_loaded(std::string_view source, double seconds, std::size_t failures);

  // Opens the listener and starts the health refresher. Error naming the address when it cannot
  // listen.
  Status start(boost::asio::io_context& io, const MetricsConfig& config);
  void stop();
  std::uint16_t port() const;

 private:
  void refresh_health_loop(std::chrono::seconds interval);

  metrics::Registry registry_;
  api::ApiMetrics api_;
  metrics::Family<metrics::Gauge>& load_seconds_;
  metrics::Family<metrics::Counter>& load_failures_;
  metrics::Gauge& healthy_;
  api::Router* router_ = nullptr;
  std::unique_ptr<api::HttpServer> server_;
  std::thread refresher_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool refresh_now_ = false;
  std::set<std::string> reported_;  // key sources whose first load was reported
  bool stopping_ = false;
};

// The chamber's operation counters (Chamber::counters(), counted by this replica since it
// started): containment_chamber_{init,seal,unseal}_total, _unseal_shares_total{operator} and
// _rotation_total{type}. Registered by watch() when there is a chamber.
metrics::Registry::Collector chamber_counters_collector(const seal::Chamber& chamber);

}  // namespace cc::app
