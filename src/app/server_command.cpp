#include "app/server_command.hpp"

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <mutex>
#include <spdlog/spdlog.h>
#include <pthread.h>

#include <thread>

#include "api/http_server.hpp"
#include "api/key_reload.hpp"
#include "api/signing_log.hpp"
#include "api/router.hpp"
#include "api/signing_service.hpp"
#include "app/auth_factory.hpp"
#include "app/server_metrics.hpp"
#include "app/aws_factory.hpp"
#include "app/enclave_recipient.hpp"
#include "app/store_factory.hpp"
#include "tee/atls_attestation.hpp"
#include "tee/egress.hpp"
#include "tee/nsm_client.hpp"
#include "app/tls_listener.hpp"
#include "auth/access_control.hpp"
#include "core/log.hpp"
#include "keys/dynamodb_source.hpp"
#include "keys/filesystem_source.hpp"
#include "keys/memory_keys.hpp"
#include "keys/registry.hpp"
#include "seal/kms_wrapper.hpp"
#include "ssz/network.hpp"

namespace cc::app {

namespace {

bool is_loopback(const std::string& address) {
  return address.rfind("127.", 0) == 0 || address == "::1" || address == "localhost";
}

unsigned io_threads(const Config& config) {
  if (config.server.io_threads != 0) return config.server.io_threads;
  return std::clamp(std::thread::hardware_concurrency(), 1u, 4u);
}

// Loads (or, with `reload`, rescans) the filesystem key source, reporting progress to the router.
keys::LoadReport load_filesystem(keys::FilesystemKeySource& source, const Config& config, api::Router& router,
                                 ServerMetrics& metrics, bool reload) {
  api::KeySourceHealth health;
  for (const auto& s : router.key_sources()) {
    if (s.name == "filesystem") health = s;
  }
  health.name = "filesystem";
  health.loading = !reload;
  health.reloading = reload;
  router.update_key_source(health);
  auto report = source.load([&](std::size_t done, std::size_t total) {
    if (reload) {
      health.reload_done = done;
      health.reload_total = total;
    } else {
      health.loaded = done;
      health.total = total;
    }
    router.update_key_source(health);
  });
  if (report.stopped && !reload) {
    spdlog::info("key loading stopped early for shutdown: {} keys were loaded", report.loaded);
    return report;
  }
  health.loading = false;
  health.reloading = false;
  health.loaded = source.size();
  health.total = source.size() + report.duplicates + report.failures.size();
  health.failures.clear();
  for (const auto& f : report.failures) {
    spdlog::error("key not loaded: {}: {}", f.file, f.reason);
    health.failures.emplace_back(f.file, f.reason);
  }
  router.update_key_source(health);
  metrics.key_source_loaded("filesystem", report.seconds, report.failures.size());
  spdlog::info("filesystem keys: {} loaded, {} unchanged, {} removed, {} duplicates, {} failed in {:.1f} s",
               report.loaded, report.unchanged, report.removed, report.duplicates, report.failures.size(),
               report.seconds);
  if (!reload && source.size() == 0) {
    spdlog::warn(
        "0 keys loaded from {}: add EIP-2335 keystores (<name>.json + <name>.txt) or Web3Signer YAML descriptors "
        "there and send SIGHUP (or POST /reload). Demo keystores: containment-chamber keys generate --count 4 --out DIR",
        fmt::join(config.filesystem_keys.paths, ", "));
  }
  return report;
}

void warn_no_key_source(api::Router& router) {
  router.update_key_source({"filesystem", false, 0, 0, {}, false, 0, 0});
  spdlog::warn(
      "No key source configured: the signer is running with 0 keys. To add keys, put EIP-2335 keystores "
      "(<name>.json with a <name>.txt password file) or Web3Signer YAML descriptors in a directory and pass it "
      "with --key-sources-filesystem-paths DIR (or key_sources.filesystem.paths in the config file). Demo "
      "keystores: containment-chamber keys generate --count 4 --out ./keys");
}

}  // namespace

namespace {
// /upcheck and /healthcheck, with or without a query.
bool is_probe(std::string_view target) {
  const auto path = target.substr(0, target.find('?'));
  return path == "/upcheck" || path == "/healthcheck";
}
}  // namespace

int run_server(const Config& config) {
  const ssz::Network* network = ssz::find_network(config.network);
  if (network == nullptr) {
    spdlog::error("unknown network '{}'", config.network);
    return 2;
  }
  if (auto egress = tee::validate_egress(config.tee.egress); !egress) {
    spdlog::error("configuration error: {}", egress.error().message);
    return 2;
  }
  // Nitro mode: the NSM, then the way out (hosts file and egress forwarders) before anything
  // reaches AWS or PostgreSQL; the way in (vsock → the listeners) once they listen.
  std::shared_ptr<tee::NsmClient> nsm;
  std::unique_ptr<tee::PipeThread> pipes;
  std::vector<std::unique_ptr<tee::Forwarder>> egress_forwarders, ingress_forwarders;
  if (config.tee.platform == "nitro") {
    auto client = tee::NsmClient::open(config.tee.nsm_device);
    if (!client) {
      spdlog::error("tee.platform nitro: cannot open the Nitro Secure Module at {} (is this an enclave?): {}",
                    config.tee.nsm_device, client.error().message);
      return 1;
    }
    nsm = std::make_shared<tee::NsmClient>(std::move(*client));
    if (auto ok = tee::write_hosts_file(config.tee.hosts_file, config.tee.egress); !ok) {
      spdlog::error("tee.platform nitro: {}", ok.error().message);
      return 1;
    }
    pipes = std::make_unique<tee::PipeThread>();
    auto started = tee::start_egress_forwarders(pipes->io(), config.tee.egress);
    if (!started) {
      spdlog::error("tee.platform nitro: egress: {}", started.error().message);
      return 1;
    }
    egress_forwarders = std::move(*started);
    spdlog::info("tee: {} egress endpoint(s) mapped in {}", config.tee.egress.size(), config.tee.hosts_file);
  }

  auto store = open_slashing_store(config);
  if (!store) {
    spdlog::error("cannot open the anti-slashing database: {}", store.error().message);
    return 1;
  }
  if (config.anti_slashing.backend == "postgres") {
    spdlog::info("anti-slashing: postgres {}", describe_conninfo(config.anti_slashing.url));
  } else if (config.anti_slashing.backend == "dynamodb") {
    spdlog::info("anti-slashing: dynamodb table {}", config.anti_slashing.table);
  } else {
    spdlog::info("anti-slashing: sqlite database {}", std::filesystem::absolute(config.anti_slashing.path).string());
  }

  auto authenticator = build_authenticator(config.auth);
  if (!authenticator) {
    spdlog::error("configuration error: {}", authenticator.error().message);
    return 2;
  }
  auto state_store = open_signer_state(config);
  if (!state_store) {
    spdlog::error("cannot open the signer state: {}", state_store.error().message);
    return 1;
  }
  auth::TokenService tokens(**state_store, known_operation, {},
                            std::chrono::seconds(config.signer_state.refresh_interval_seconds));
  if (auto opened = tokens.open(); !opened) {
    spdlog::error("cannot read the signer state: {}", opened.error().message);
    return 1;
  }
  spdlog::info("signer state: {}", (*state_store)->describe());
  auth::AccessControl access(*authenticator, &tokens);
  if (access.enforcing()) {
    spdlog::info("auth: enforced ({} configured token policies{}{})", config.auth.policies.size(),
                 config.auth.has_unauthenticated_policy ? ", an unauthenticated policy" : "",
                 tokens.has_tokens() ? ", runtime tokens in the signer state" : "");
  } else {
    spdlog::warn("auth: no policies or tokens: every endpoint but the Auth API is open to anyone who can reach the "
                 "signer (configure auth.policies, create tokens through the Auth API, or keep it on a private network)");
  }
  if (auto setup = tokens.make_setup_token()) {
    // The one token that is ever logged: it only buys the first management token, once.
    spdlog::warn("Setup token generated (save securely, one-time use) setup_token={} — exchange it with "
                 "`containment-chamber operator generate-root-token --setup-token …`",
                 *setup);
  }
  api::AuthApi auth_api(tokens);

  // The DynamoDB key source and the chamber whose master key opens its keys.
  keys::KeyRegistry registry;
  if (!config.canary_keys.public_keys.empty()) {
    std::vector<BlsPublicKey> canaries;
    for (const auto& hex : config.canary_keys.public_keys) canaries.push_back(from_hex_fixed<48>(hex).value());
    registry.set_canary_list(canaries);
    spdlog::info("canary keys: {} listed (key_sources.canary_keys); any signing request for one is refused and "
                 "logged at error", canaries.size());
  }
  std::unique_ptr<seal::Chamber> chamber;
  std::shared_ptr<aws::Transport> key_table_transport;
  std::unique_ptr<keys::DynamoDbKeySource> dynamo_keys;
  std::unique_ptr<api::ChamberApi> chamber_api;
  if (!config.dynamodb_keys.table.empty()) {
    seal::ChamberOptions chamber_options;
    chamber_options.unseal_timeout = std::chrono::minutes(config.signer_state.unseal_timeout_minutes);
    // In an enclave every share comes back encrypted to an attested key (enclave_recipient.hpp).
    std::shared_ptr<seal::KmsRecipient> recipient;
    if (nsm) {
      auto made = NsmKmsRecipient::create(nsm);
      if (!made) {
        spdlog::error("tee.platform nitro: cannot make the KMS recipient key: {}", made.error().message);
        return 1;
      }
      recipient = std::move(*made);
      spdlog::info("seal: KMS shares are decrypted for this enclave's attested key only");
    }
    chamber = std::make_unique<seal::Chamber>(
        **state_store,
        seal::kms_wrapper_factory([&config](const std::string& region) { return kms_transport(config, region); },
                                  std::move(recipient)),
        std::move(chamber_options));
    if (auto ok = chamber->open(); !ok) spdlog::error("seal: the chamber stays sealed: {}", ok.error().message);
    spdlog::info("seal: chamber {}", seal::state_name(chamber->state()));
    auto transport = dynamodb_transport(config);
    if (!transport) {
      spdlog::error("key source dynamodb: {}", transport.error().message);
      return 2;
    }
    key_table_transport = std::move(*transport);
    auto* c = chamber.get();
    dynamo_keys = std::make_unique<keys::DynamoDbKeySource>(*key_table_transport, config.dynamodb_keys.table, registry,
                                                            [c] {
                                                              // Each refresh first follows the seal state
                                                              // (a seal on another replica drops the keys).
                                                              (void)c->refresh();
                                                              return c->master_key();
                                                            });
    if (auto ok = dynamo_keys->check_table(); !ok) {
      spdlog::error("{}", ok.error().message);
      return 1;
    }
    chamber_api = std::make_unique<api::ChamberApi>(*chamber, tokens, [k = dynamo_keys.get()] { (void)k->refresh(); });
  }

  ServerMetrics metrics((*store)->backend_name());
  api::Router* router_ptr = nullptr;
  api::SigningService signing(*network, registry, **store,
                              {config.server.signing_threads, config.server.max_pending_requests, metrics.api(),
                               std::chrono::seconds(config.server.request_timeout_seconds),
                               config.server.signature_cache_entries, config.server.max_batch_keys},
                              [&router_ptr] { return router_ptr != nullptr && router_ptr->keys_loading(); });
  keys::MemoryKeys memory_keys;
  std::unique_ptr<api::KeyManagerApi> key_manager;
  if (const auto& km = config.http.key_manager_api; km.enabled) {
    key_manager = std::make_unique<api::KeyManagerApi>(
        registry, memory_keys, **store,
        api::KeyManagerOptions{km.max_items_per_request, km.max_concurrent_reads, km.max_concurrent_writes,
                               std::chrono::seconds(km.request_timeout_seconds),
                               to_hex(network->genesis_validators_root)});
    spdlog::info("Key Manager API enabled on /eth/v1/keystores (at most {} items per request)",
                 km.max_items_per_request);
  }
  std::unique_ptr<api::ChamberKeysApi> chamber_keys;
  if (dynamo_keys) {
    chamber_keys = std::make_unique<api::ChamberKeysApi>(*dynamo_keys, registry, **store, *chamber, config.chamber.keys,
                                                         to_hex(network->genesis_validators_root));
    const auto& k = config.chamber.keys;
    spdlog::info("Chamber key API on /api/v1/chamber/keys: list on, generate {}, import {}, lifecycle {}",
                 k.generate.enabled ? "on" : "off", k.import.enabled ? "on" : "off", k.lifecycle.enabled ? "on" : "off");
  }
  api::Router router(signing, registry, **store, access, {CC_VERSION, network->name, config.tls.mode},
                     key_manager.get(), &auth_api, chamber_api.get(), chamber.get(), chamber_keys.get());
  router_ptr = &router;
  metrics.watch(signing, router, memory_keys, chamber.get(), **store);
  api::SigningLog signing_log(std::chrono::seconds(config.logging.summary_interval_seconds));
  router.set_signing_log(&signing_log);

  // The filesystem key source, loaded once at start and again at each reload (SIGHUP, POST
  // /reload). One load at a time: a reload asked for during the first load waits for it.
  std::atomic<bool> stop_loading{false};
  keys::FilesystemLoadOptions fs_options;
  fs_options.paths = config.filesystem_keys.paths;
  fs_options.threads = config.filesystem_keys.keystore_load_concurrency;
  fs_options.kdf_memory_budget_bytes = std::size_t{config.filesystem_keys.kdf_memory_budget_mib} << 20;
  fs_options.stop = &stop_loading;
  keys::FilesystemKeySource fs_keys(fs_options, registry);
  std::mutex load_mu;
  std::vector<std::string> reload_scopes;
  if (!config.filesystem_keys.paths.empty()) reload_scopes.push_back("filesystem");
  if (dynamo_keys) reload_scopes.push_back("dynamodb");
  std::unique_ptr<api::KeyReload> reload;
  if (!reload_scopes.empty()) {
    reload_scopes.insert(reload_scopes.begin(), "all");
    reload = std::make_unique<api::KeyReload>(reload_scopes, [&](const std::string& scope) {
      api::ReloadOutcome outcome;
      if ((scope == "all" || scope == "filesystem") && !config.filesystem_keys.paths.empty()) {
        std::lock_guard lock(load_mu);
        const auto report = load_filesystem(fs_keys, config, router, metrics, true);
        outcome.loaded += report.loaded;
        outcome.removed += report.removed;
        outcome.unchanged += report.unchanged;
        outcome.failures += report.failures.size();
        for (const auto& f : report.failures) {
          if (outcome.errors.size() < 20) outcome.errors.push_back(f.file + ": " + f.reason);
        }
      }
      if ((scope == "all" || scope == "dynamodb") && dynamo_keys) {
        auto refreshed = dynamo_keys->refresh();
        if (refreshed) {
          outcome.loaded += refreshed->added;
          outcome.removed += refreshed->removed;
          outcome.failures += refreshed->failures.size();
          for (const auto& [key, reason] : refreshed->failures) {
            if (outcome.errors.size() < 20) outcome.errors.push_back(key + ": " + reason);
          }
        } else {
          ++outcome.failures;
          outcome.errors.push_back("key_sources.dynamodb: " + refreshed.error().message);
        }
      }
      return outcome;
    });
    router.set_key_reload(reload.get());
  }

  boost::asio::io_context io;
  // The signals are claimed before any listener opens: from then on a SIGTERM, SIGINT or SIGHUP
  // is queued for the handlers below (armed before io.run()), never the default action that
  // would end a process already serving (or, for SIGHUP, end it instead of reloading).
  boost::asio::signal_set hangups(io, SIGHUP);
  boost::asio::signal_set signals(io, SIGINT, SIGTERM);
  api::HttpServerOptions http_options;
  http_options.address = config.server.listen_address;
  http_options.port = config.server.listen_port;
  http_options.max_body_bytes = config.server.max_body_bytes;
  http_options.max_connections = config.server.max_connections;
  http_options.idle_timeout = std::chrono::seconds(config.server.idle_timeout_seconds);
  std::unique_ptr<api::HttpServer> server;
  try {
    // In an enclave the plain port crosses the untrusted parent: it answers the probes only, and
    // every API call (tokens, keys, signatures) must come over aTLS.
    const bool probes_only = config.tee.platform == "nitro";
    server = std::make_unique<api::HttpServer>(
        io, http_options, [&router, probes_only](api::HttpRequest&& req, api::Respond respond) {
          if (probes_only && !is_probe(req.target())) {
            respond(api::error_response(403, "in Nitro mode this plain-HTTP port serves /upcheck and /healthcheck "
                                             "only; use the aTLS port (tls.listen_port)",
                                        req.version(), req.keep_alive()));
            return;
          }
          router.handle(std::move(req), std::move(respond));
        });
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return 1;
  }
  // Key loading reports progress through the router; mark the source as loading before
  // the listener opens so /healthcheck never reports ready too early.
  if (!config.filesystem_keys.paths.empty()) router.update_key_source({"filesystem", true, 0, 0, {}, false, 0, 0});
  server->start();
  if (dynamo_keys) {
    router.update_key_source({"dynamodb", true, 0, 0, {}, false, 0, 0});
    dynamo_keys->start(std::chrono::seconds(std::max<std::uint32_t>(1, config.dynamodb_keys.refresh_interval_seconds)),
                       [&router, &metrics](const Result<keys::DynamoDbKeySource::Refresh>& r) {
                         api::KeySourceHealth h{"dynamodb", false, 0, 0, {}, false, 0, 0};
                         if (r) {
                           metrics.key_source_loaded("dynamodb", r->seconds, r->failures.size());
                           h.loaded = r->loaded;
                           h.total = r->loaded + r->failures.size();
                           h.failures = r->failures;
                         } else {
                           h.failures.emplace_back("(table)", r.error().message);
                         }
                         router.update_key_source(h);
                       });
  }
  spdlog::info("containment-chamber listening on http://{}:{} (network {}, {} signing threads, {} I/O threads)",
               config.server.listen_address, server->port(), network->name, signing.signing_threads(),
               io_threads(config));
  spdlog::info("BLS arithmetic: blst {} build", cc::crypto::blst_backend());
  if (!is_loopback(config.server.listen_address)) {
    spdlog::warn("plain HTTP on {}: requests and tokens travel unencrypted; prefer tls.mode file, or bind "
                 "server.listen_address to 127.0.0.1 and use HTTPS for clients",
                 config.server.listen_address);
  }
  std::unique_ptr<TlsListener> tls;
  if (config.tls.mode == "atls") {
    auto started = TlsListener::start_atls(io, config, http_options,
                                           [&router](api::HttpRequest&& req, api::Respond r) {
                                             router.handle(std::move(req), std::move(r));
                                           },
                                           tee::nsm_attester(nsm));
    if (!started) {
      spdlog::error("cannot start the aTLS listener: {}", started.error().message);
      return 1;
    }
    tls = std::move(started).value();
    spdlog::info("containment-chamber listening on https://{}:{} (aTLS: attested certificate)",
                 config.server.listen_address, tls->port());
  } else if (config.tls.mode == "file") {
    auto started = TlsListener::start(io, config, http_options, [&router](api::HttpRequest&& req, api::Respond r) {
      router.handle(std::move(req), std::move(r));
    });
    if (!started) {
      spdlog::error("cannot start the HTTPS listener: {}", started.error().message);
      return 1;
    }
    tls = std::move(started).value();
    spdlog::info("containment-chamber listening on https://{}:{}{}", config.server.listen_address, tls->port(),
                 config.tls.client_ca_path.empty() && config.tls.client_fingerprints.empty()
                     ? ""
                     : " (client certificates required)");
  }

  // Metrics last: a signer that cannot start never holds the metrics port.
  if (auto started = metrics.start(io, config.metrics); !started) {
    spdlog::error("{}", started.error().message);
    return 1;
  }

  if (pipes) {
    // Ingress: each configured port's vsock twin carries connections to the listener inside.
    std::vector<std::pair<std::uint32_t, std::uint16_t>> ports = {{config.server.listen_port, server->port()}};
    if (tls) ports.emplace_back(config.tls.listen_port, tls->port());
    if (metrics.port() != 0) ports.emplace_back(config.metrics.listen_port, metrics.port());
    for (const auto& [vsock_port, tcp_port] : ports) {
      auto f = std::make_unique<tee::Forwarder>(pipes->io(), tee::SocketAddress::vsock(tee::kVsockAnyCid, vsock_port),
                                                tee::SocketAddress::tcp("127.0.0.1", tcp_port));
      if (auto ok = f->start(); !ok) {
        spdlog::error("tee.platform nitro: ingress: {}", ok.error().message);
        return 1;
      }
      ingress_forwarders.push_back(std::move(f));
    }
  }

  std::thread loader([&] {
    if (config.filesystem_keys.paths.empty()) return warn_no_key_source(router);
    std::lock_guard lock(load_mu);
    load_filesystem(fs_keys, config, router, metrics, false);
  });

  // SIGHUP: reload keys, like POST /reload.
  std::function<void(const boost::system::error_code&, int)> on_hangup = [&](const boost::system::error_code& ec, int) {
    if (ec) return;
    if (!reload) {
      spdlog::warn("SIGHUP: no key source to reload");
    } else if (reload->start("all", "SIGHUP") == api::KeyReload::Start::already_running) {
      spdlog::warn("SIGHUP: a key reload is already running; this one is ignored");
    }
    hangups.async_wait(on_hangup);
  };
  hangups.async_wait(on_hangup);

  // SIGTERM/SIGINT: stop accepting, let the requests in flight finish (up to
  // server.shutdown_timeout_seconds), then stop. Past the deadline, or at a second signal, the
  // requests still in flight are abandoned: their clients get no answer, and no signature that
  // was not durably recorded ever left (the database commits before a signature is released).
  boost::asio::steady_timer drain_timer(io);
  std::chrono::steady_clock::time_point deadline;
  auto in_flight = [&] { return server->in_flight() + (tls ? tls->in_flight() : 0); };
  auto abandon = [&](const char* why) {
    const auto left = in_flight();
    log_event(spdlog::level::err, "shutdown: abandoning requests in flight",
              {{"why", why}, {"abandoned", static_cast<std::uint64_t>(left)}});
    spdlog::default_logger()->flush();
    // Not a normal return: destructors would wait for the abandoned work (a stuck database).
    std::_Exit(1);
  };
  std::function<void()> poll_drained = [&] {
    if (in_flight() == 0) {
      spdlog::info("shutdown: every request in flight was answered");
      io.stop();
      return;
    }
    if (std::chrono::steady_clock::now() >= deadline) return abandon("server.shutdown_timeout_seconds passed");
    drain_timer.expires_after(std::chrono::milliseconds(20));
    drain_timer.async_wait([&](const boost::system::error_code& ec) {
      if (!ec) poll_drained();
    });
  };
  signals.async_wait([&](const boost::system::error_code& ec, int sig) {
    if (ec) return;
    deadline = std::chrono::steady_clock::now() + std::chrono::seconds(config.server.shutdown_timeout_seconds);
    log_event(spdlog::level::info, "shutdown: listeners closed, finishing the requests in flight",
              {{"signal", sig},
               {"in_flight", static_cast<std::uint64_t>(in_flight())},
               {"timeout_seconds", config.server.shutdown_timeout_seconds}});
    stop_loading = true;
    hangups.cancel();
    server->stop_accepting();
    if (tls) tls->stop_accepting();
    // A second signal does not wait any longer.
    signals.async_wait([&](const boost::system::error_code& again, int) {
      if (!again) abandon("second signal");
    });
    poll_drained();
  });

  std::vector<std::thread> workers;
  for (unsigned i = 1; i < io_threads(config); ++i) {
    workers.emplace_back([&io] {
      pthread_setname_np(pthread_self(), "cc-io");  // the main thread is the other I/O thread
      io.run();
    });
  }
  io.run();
  for (auto& w : workers) w.join();
  server->stop();
  if (tls) tls->stop();
  metrics.stop();  // its listener lives on `io`: closed while `io` still exists
  loader.join();
  reload.reset();  // waits for a reload in progress (told to stop)
  if (dynamo_keys) dynamo_keys->stop();  // its refresh thread reports to the router
  spdlog::info("stopped");
  return 0;
}

}  // namespace cc::app
