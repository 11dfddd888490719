#pragma once
// Router maps HTTP requests to the signer's endpoints:
//   POST /api/v1/eth2/sign/{pubkey}   sign (JSON or text/plain per Accept)
//   GET  /api/v1/eth2/publicKeys      loaded public keys
//   GET  /upcheck                     liveness: "OK", or {"status":"OK"} when JSON is asked for
//   GET  /healthcheck                 readiness: 200 only when every key source is loaded and the
//                                     anti-slashing database is writable, else 503; JSON either way
// Every error body is JSON {"code", "message"[, "reason"]}. Thread-safe.
#include <boost/asio/thread_pool.hpp>
#include <mutex>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "api/signing_service.hpp"

namespace cc::api {

// Progress of one key source, as /healthcheck reports it.
struct KeySourceHealth {
  std::string name;          // "filesystem"
  bool loading = true;
  std::size_t loaded = 0;
  std::size_t total = 0;     // known once scanning is done
  std::vector<std::pair<std::string, std::string>> failures;  // (file, reason)
};

class Router {
 public:
  Router(SigningService& signing, keys::KeyRegistry& keys, slashing::SlashingStore& store);
  ~Router();

  void handle(HttpRequest&& request, Respond respond);

  // Key loading reports progress here; safe from any thread.
  void update_key_source(const KeySourceHealth& health);
  bool keys_loading() const;

 private:
  HttpResponse healthcheck(const HttpRequest& request);
  HttpResponse public_keys(const HttpRequest& request);

  SigningService& signing_;
  keys::KeyRegistry& keys_;
  slashing::SlashingStore& store_;
  mutable std::mutex mu_;
  std::vector<KeySourceHealth> sources_;
  // /healthcheck writes to the database (a real fsync): it runs here, never on an I/O thread.
  boost::asio::thread_pool probes_{1};
};

// Accept-header negotiation: true when the client accepts application/json (or anything).
bool accepts_json(std::string_view accept);
// True only when the client names application/json explicitly (used by /upcheck).
bool asks_for_json(std::string_view accept);

}  // namespace cc::api
