#include "app/server_metrics.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "api/metrics_endpoint.hpp"
#include "aws/error_counts.hpp"
#include "seal/state_machine.hpp"

namespace cc::app {

namespace {

using metrics::FamilySnapshot;
using metrics::Type;

constexpr seal::State kSealStates[] = {seal::State::uninitialized, seal::State::awaiting_registration,
                                       seal::State::sealed,        seal::State::kms_unsealed,
                                       seal::State::unsealed,      seal::State::awaiting_rotation};

// One series per seal state, 1 for the current one; "not_configured" when nothing is sealed
// (file keystores only), as /api/v1/chamber/status says.
FamilySnapshot signer_state(const seal::Chamber* chamber) {
  FamilySnapshot f{"containment_signer_state",
                   "The chamber's seal state: 1 for the current state, 0 for the others (not_configured without "
                   "the DynamoDB key source)",
                   Type::gauge,
                   {"state"},
                   {},
                   {}};
  const bool configured = chamber != nullptr;
  const seal::State current = configured ? chamber->state() : seal::State::uninitialized;
  for (auto s : kSealStates) f.add({std::string(seal::state_name(s))}, configured && current == s ? 1 : 0);
  f.add({"not_configured"}, configured ? 0 : 1);
  return f;
}

FamilySnapshot aws_errors() {
  FamilySnapshot f{"containment_aws_errors_total",
                   "AWS requests (KMS, DynamoDB, STS) that failed after their retries: no answer, or an error "
                   "answer other than a conditional write's refusal",
                   Type::counter,
                   {"service", "operation"},
                   {},
                   {}};
  for (const auto& e : aws::aws_error_counts()) f.add({e.service, e.operation}, static_cast<double>(e.count));
  return f;
}

// Group commit at work: checks / commits is the number of messages one transaction carried.
std::vector<FamilySnapshot> store_counters(const slashing::SlashingStore& store) {
  const auto stats = store.stats();
  const std::string backend(store.backend_name());
  auto counter = [&](std::string name, std::string help, std::uint64_t value) {
    return FamilySnapshot{std::move(name), std::move(help), Type::counter, {"backend"}, {}, {}}.add(
        {backend}, static_cast<double>(value));
  };
  std::vector<FamilySnapshot> out;
  out.push_back(counter("containment_anti_slashing_checks_total",
                        "Slashable messages (blocks, attestations) the anti-slashing database checked and answered",
                        stats.requests));
  out.push_back(counter("containment_anti_slashing_commits_total",
                        "Transactions committed for those checks: one serves every message waiting (group commit), "
                        "so checks / commits is the batch size",
                        stats.commits));
  out.push_back(counter("containment_anti_slashing_failed_commits_total",
                        "Transactions that failed (every message of one is answered 503 and nothing of it is recorded)",
                        stats.failed_commits));
  return out;
}

}  // namespace

metrics::Registry::Collector chamber_counters_collector(const seal::Chamber& chamber) {
  return [&chamber] {
    const auto c = chamber.counters();
    auto counter = [](std::string name, std::string help, std::vector<std::string> labels = {}) {
      return FamilySnapshot{std::move(name), std::move(help), Type::counter, std::move(labels), {}, {}};
    };
    std::vector<FamilySnapshot> out;
    out.push_back(counter("containment_chamber_init_total", "Chamber initialisations done by this replica")
                      .add({}, static_cast<double>(c.init)));
    out.push_back(counter("containment_chamber_seal_total", "Seals (operator seal, emergency) done by this replica")
                      .add({}, static_cast<double>(c.seal)));
    out.push_back(counter("containment_chamber_unseal_total",
                          "Times this replica came to hold the master key (KMS reconstruction or operator quorum)")
                      .add({}, static_cast<double>(c.unseal)));
    auto shares = counter("containment_chamber_unseal_shares_total",
                          "Operator passphrases accepted towards an unseal, by operator", {"operator"});
    for (const auto& [op, n] : c.unseal_shares) shares.add({op}, static_cast<double>(n));
    out.push_back(std::move(shares));
    auto rotations =
        counter("containment_chamber_rotation_total", "Rotations completed, by type (kms, quorum, unseal, mode)", {"type"});
    for (const auto& [type, n] : c.rotations) rotations.add({type}, static_cast<double>(n));
    out.push_back(std::move(rotations));
    return out;
  };
}

ServerMetrics::ServerMetrics(std::string_view store_backend)
    : api_(registry_, store_backend),
      load_seconds_(registry_.gauge("containment_key_loading_duration_seconds",
                                    "How long the last load of a key source took (filesystem: the start-up "
                                    "load; dynamodb: the last table refresh)",
                                    {"source"})),
      load_failures_(registry_.counter("containment_key_load_failures_total",
                                       "Keys a key source could not load (a DynamoDB item that fails counts at "
                                       "every refresh until fixed)",
                                       {"source"})),
      healthy_(registry_
                   .gauge("containment_healthy",
                          "1 when /healthcheck would answer 200: every key source loaded without failures and "
                          "the anti-slashing database writable")
                   .get()) {}

ServerMetrics::~ServerMetrics() {
  stop();
}

void ServerMetrics::watch(const api::SigningService& signing, api::Router& router, const keys::MemoryKeys& memory_keys,
                          const seal::Chamber* chamber, const slashing::SlashingStore& store) {
  router_ = &router;
  registry_.add_collector([&signing, &router, &memory_keys, chamber, &store] {
    std::vector<FamilySnapshot> out;
    const double limit = signing.max_pending();
    out.push_back(FamilySnapshot{
        "containment_signing_concurrency_limit",
        "Signing requests admitted at once (server.max_pending_requests); more get 503",
        Type::gauge,
        {},
        {},
        {}}.add({}, limit));
    out.push_back(FamilySnapshot{
        "containment_signing_semaphore_available",
        "Signing requests that may still be admitted now (the limit minus those in "
        "flight)",
        Type::gauge,
        {},
        {},
        {}}.add({}, std::max(0.0, limit - signing.pending())));
    FamilySnapshot keys{
        "containment_keys_active", "Keys loaded and able to sign, by key source", Type::gauge, {"source"}, {}, {}};
    for (const auto& s : router.key_sources()) keys.add({s.name}, static_cast<double>(s.loaded));
    keys.add({"memory"}, static_cast<double>(memory_keys.size()));
    out.push_back(std::move(keys));
    out.push_back(signer_state(chamber));
    out.push_back(aws_errors());
    for (auto& f : store_counters(store)) out.push_back(std::move(f));
    return out;
  });
  if (chamber != nullptr) registry_.add_collector(chamber_counters_collector(*chamber));
}

void ServerMetrics::key_source_loaded(std::string_view source, double seconds, std::size_t failures) {
  load_seconds_.with({source}).set(seconds);
  auto& counter = load_failures_.with({source});  // the series exists from the first load on
  if (failures > 0) counter.inc(failures);
  // A source's first load may make the signer healthy: check at once rather than at the next
  // interval. Later loads (a DynamoDB refresh every second) wait for the interval, so the
  // health check's database write stays at one per interval.
  std::lock_guard lock(mu_);
  if (reported_.insert(std::string(source)).second) {
    refresh_now_ = true;
    wake_.notify_all();
  }
}

Status ServerMetrics::start(boost::asio::io_context& io, const MetricsConfig& config) {
  api::HttpServerOptions options;
  options.address = config.listen_address;
  options.port = config.listen_port;
  options.max_body_bytes = 4096;  // a scrape has no body
  options.tls = nullptr;          // always plain HTTP
  try {
    server_ = std::make_unique<api::HttpServer>(io, options, api::metrics_handler(registry_));
  } catch (const std::exception& e) {
    return Error::unavailable(std::string("metrics listener (metrics.listen_address/listen_port): ") + e.what());
  }
  server_->start();
  spdlog::info("metrics listening on http://{}:{}/metrics (Prometheus text format; plain HTTP)", config.listen_address,
               server_->port());
  if (router_ != nullptr) {
    const auto interval = std::chrono::seconds(std::max<std::uint32_t>(1, config.refresh_interval_seconds));
    refresher_ = std::thread([this, interval] { refresh_health_loop(interval); });
  }
  return {};
}

void ServerMetrics::refresh_health_loop(std::chrono::seconds interval) {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    refresh_now_ = false;
    lock.unlock();
    healthy_.set(router_->healthy() ? 1 : 0);
    lock.lock();
    wake_.wait_for(lock, interval, [this] { return stopping_ || refresh_now_; });
  }
}

void ServerMetrics::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
    wake_.notify_all();
  }
  if (refresher_.joinable()) refresher_.join();
  if (server_) {
    server_->stop();
    server_.reset();  // before the io_context it was opened on goes away
  }
}

std::uint16_t ServerMetrics::port() const {
  return server_ ? server_->port() : 0;
}

}  // namespace cc::app
