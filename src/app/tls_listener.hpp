#pragma once
// The HTTPS listener of `tls.mode: file` or `atls`, beside the plain HTTP one. aTLS (Nitro mode):
// the certificate is made in memory with an attestation document bound to its key
// (tee/atls.hpp), valid 12 hours and made anew every 6, so a client never sees one expire.
// File mode: Its certificate is re-read on
// SIGHUP and when the files change (checked every tls.file.reload_interval_seconds); a reload
// that fails keeps the current certificate and logs why. Open connections are never dropped by a
// reload: new connections get the new context.
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <filesystem>
#include <memory>

#include "api/http_server.hpp"
#include "api/tls_context.hpp"
#include "core/config.hpp"
#include "core/result.hpp"
#include "tee/atls.hpp"

namespace cc::app {

class TlsListener {
 public:
  // Binds and starts; the error names the file or address that failed.
  static Result<std::unique_ptr<TlsListener>> start(boost::asio::io_context& io, const Config& config,
                                                    const api::HttpServerOptions& base, api::Handler handler);
  // tls.mode atls: `attest` gives documents (the NSM in an enclave).
  static Result<std::unique_ptr<TlsListener>> start_atls(boost::asio::io_context& io, const Config& config,
                                                         const api::HttpServerOptions& base, api::Handler handler,
                                                         tee::Attester attest);
  std::uint16_t port() const { return server_->port(); }
  void stop();
  // Graceful shutdown (api/http_server.hpp).
  void stop_accepting() { server_->stop_accepting(); }
  std::size_t in_flight() const { return server_->in_flight(); }

 private:
  TlsListener(boost::asio::io_context& io, api::TlsFileOptions files, std::chrono::seconds interval);
  // Makes the HTTPS server on tls.listen_port with `context` (not started yet).
  Status listen(boost::asio::io_context& io, const Config& config, const api::HttpServerOptions& base,
                api::Handler handler, std::shared_ptr<boost::asio::ssl::context> context);
  void reload(const char* why);
  void watch();
  std::filesystem::file_time_type newest_change() const;

  api::TlsFileOptions files_;
  std::chrono::seconds interval_;
  std::unique_ptr<api::HttpServer> server_;
  boost::asio::signal_set hangup_;
  boost::asio::steady_timer timer_;
  std::filesystem::file_time_type seen_{};
  tee::Attester attest_;  // atls mode when set
};

}  // namespace cc::app
