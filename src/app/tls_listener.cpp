#include "app/tls_listener.hpp"

#include <spdlog/spdlog.h>

namespace cc::app {

TlsListener::TlsListener(boost::asio::io_context& io, api::TlsFileOptions files, std::chrono::seconds interval)
    : files_(std::move(files)), interval_(interval), hangup_(io, SIGHUP), timer_(io) {}

Status TlsListener::listen(boost::asio::io_context& io, const Config& config, const api::HttpServerOptions& base,
                          api::Handler handler, std::shared_ptr<boost::asio::ssl::context> context) {
  api::HttpServerOptions options = base;
  options.port = config.tls.listen_port;
  options.tls = std::move(context);
  try {
    server_ = std::make_unique<api::HttpServer>(io, options, std::move(handler));
  } catch (const std::exception& e) {
    return Error::unavailable(e.what());
  }
  return {};
}

Result<std::unique_ptr<TlsListener>> TlsListener::start(boost::asio::io_context& io, const Config& config,
                                                        const api::HttpServerOptions& base, api::Handler handler) {
  api::TlsFileOptions files{config.tls.cert_path, config.tls.key_path, config.tls.client_ca_path,
                            config.tls.client_fingerprints};
  auto context = api::make_tls_context(files);
  if (!context) return context.error();
  std::unique_ptr<TlsListener> listener(
      new TlsListener(io, files, std::chrono::seconds(config.tls.reload_interval_seconds)));
  if (auto ok = listener->listen(io, config, base, std::move(handler), *context); !ok) return ok.error();
  listener->seen_ = listener->newest_change();
  listener->server_->start();
  listener->hangup_.async_wait([l = listener.get()](const boost::system::error_code& ec, int) {
    if (!ec) l->reload("SIGHUP");
  });
  if (listener->interval_.count() > 0) listener->watch();
  return listener;
}

namespace {

constexpr auto kAtlsValidity = std::chrono::hours(12);

Result<std::shared_ptr<boost::asio::ssl::context>> atls_context(const tee::Attester& attest) {
  auto identity = tee::make_atls_identity(attest, "containment-chamber.enclave", kAtlsValidity);
  if (!identity) return identity.error();
  return api::make_tls_context_from_pem((*identity)->certificate_pem, (*identity)->private_key_pem);
}

}  // namespace

Result<std::unique_ptr<TlsListener>> TlsListener::start_atls(boost::asio::io_context& io, const Config& config,
                                                             const api::HttpServerOptions& base, api::Handler handler,
                                                             tee::Attester attest) {
  auto context = atls_context(attest);
  if (!context) return context.error();
  std::unique_ptr<TlsListener> listener(
      new TlsListener(io, {}, std::chrono::duration_cast<std::chrono::seconds>(kAtlsValidity / 2)));
  listener->attest_ = std::move(attest);
  if (auto ok = listener->listen(io, config, base, std::move(handler), *context); !ok) return ok.error();
  listener->server_->start();
  listener->watch();
  return listener;
}

std::filesystem::file_time_type TlsListener::newest_change() const {
  std::filesystem::file_time_type newest{};
  for (const auto& path : {files_.cert_path, files_.key_path, files_.client_ca_path}) {
    std::error_code ec;
    if (path.empty()) continue;
    auto t = std::filesystem::last_write_time(path, ec);
    if (!ec && t > newest) newest = t;
  }
  return newest;
}

void TlsListener::reload(const char* why) {
  if (std::string_view(why) == "SIGHUP") {
    hangup_.async_wait([this](const boost::system::error_code& ec, int) {
      if (!ec) reload("SIGHUP");
    });
  }
  auto context = attest_ ? atls_context(attest_) : api::make_tls_context(files_);
  if (!context) {
    spdlog::error("TLS certificate reload ({}) failed, keeping the current one: {}", why, context.error().message);
    return;
  }
  server_->set_tls_context(*context);
  seen_ = newest_change();
  spdlog::info("TLS certificate reloaded ({})", why);
}

void TlsListener::watch() {
  timer_.expires_after(interval_);
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    if (attest_) {
      reload("aTLS renewal");
    } else if (newest_change() != seen_) {
      reload("files changed");
    }
    watch();
  });
}

void TlsListener::stop() {
  boost::system::error_code ec;
  hangup_.cancel(ec);
  timer_.cancel();
  server_->stop();
}

}  // namespace cc::app
