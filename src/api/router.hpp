#pragma once
// Router maps HTTP requests to the signer's endpoints:
//   POST /api/v1/eth2/sign/{pubkey}   sign (JSON or text/plain per Accept)
//   POST /api/v1/eth2/sign            batch: one request, many keys (signing_service.hpp); each
//                                     key checked as the single-key route checks it, one JSON
//                                     result per key
//   GET  /api/v1/eth2/publicKeys      loaded public keys
//   GET  /upcheck                     liveness: "OK", or {"status":"OK"} when JSON is asked for
//   GET  /api/v1/chamber/status       operator view: version, uptime, keys per source, database,
//                                     TLS, seal state (scope chamber_status)
//   GET/POST/DELETE /eth/v1/keystores  Key Manager API (key_manager.hpp; scopes list_keys,
//                                     import_keystores, delete_keys); 404 unless enabled
//   GET  /healthcheck                 readiness: 200 only when every key source is loaded and the
//                                     anti-slashing database is writable, else 503; JSON either way
//   POST /reload                      rescan key sources (key_reload.hpp): 202 when a reload
//                                     starts, 409 while one runs; optional scope (?scope= or
//                                     {"scope": …}): all | filesystem | dynamodb. GET /reload: how
//                                     the last one went. Scope reload_keys; 404 without a source
//                                     to reload
//   GET  /api/v1/eth2/highWatermark   {"epoch","slot"} of the global high watermark, {} when none
//                                     (Web3Signer's contract); 503 when the database cannot be read
//                                     (scope public_keys)
//   /api/v1/chamber/auth/…            the Auth API (auth_api.hpp): a management token, except the
//                                     root-token exchange, which takes the setup token
//   POST /api/v1/chamber/{init,seal,unseal,register,rotate/…}  the chamber's master key
//                                     (chamber_api.hpp; register takes a registration token only,
//                                     rotate/… the scope chamber_rotate); a key of the DynamoDB key
//                                     source asked to sign while sealed gets 503
//   GET/POST/PATCH/DELETE /api/v1/chamber/keys, POST /api/v1/chamber/keys/generate
//                                     the Chamber key API (chamber_keys_api.hpp; scopes
//                                     chamber_keys_{list,import,patch,delete,generate}); 404
//                                     without the DynamoDB key source
// Every error body is JSON {"code", "message"[, "reason"]}. Once auth is enforced (a configured
// policy or any runtime token, auth/access_control.hpp), every route but the two probes needs a
// token whose policy allows it: 401 without, or with an unknown, revoked or expired token; 403
// when the policy forbids the scope, key or operation. Thread-safe.
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "api/http_server.hpp"
#include "api/key_manager.hpp"
#include "api/key_reload.hpp"
#include "api/signing_log.hpp"
#include "api/signing_service.hpp"
#include "api/auth_api.hpp"
#include "api/chamber_api.hpp"
#include "api/chamber_keys_api.hpp"
#include "auth/access_control.hpp"

namespace cc::api {

// Progress of one key source, as /healthcheck reports it.
struct KeySourceHealth {
  std::string name;          // "filesystem"
  bool loading = true;
  std::size_t loaded = 0;
  std::size_t total = 0;     // known once scanning is done
  std::vector<std::pair<std::string, std::string>> failures;  // (file, reason)
  // A reload in progress (the keys above stay usable meanwhile): files decrypted so far of those
  // that are new or changed.
  bool reloading = false;
  std::size_t reload_done = 0, reload_total = 0;
};

// Facts about this signer that do not change while it runs, for the status endpoint.
struct SignerFacts {
  std::string version;
  std::string network;
  std::string tls_mode;
  std::chrono::steady_clock::time_point started = std::chrono::steady_clock::now();
};

class Router {
 public:
  Router(SigningService& signing, keys::KeyRegistry& keys, slashing::SlashingStore& store,
         const auth::AccessControl& access, SignerFacts facts = {}, KeyManagerApi* key_manager = nullptr,
         AuthApi* auth_api = nullptr, ChamberApi* chamber_api = nullptr, const seal::Chamber* chamber = nullptr,
         ChamberKeysApi* chamber_keys = nullptr);
  ~Router();

  void handle(HttpRequest&& request, Respond respond);

  // Key loading reports progress here; safe from any thread.
  void update_key_source(const KeySourceHealth& health);
  // Serves /reload with `reload` (null: 404). Call before the listener opens.
  void set_key_reload(KeyReload* reload) { reload_ = reload; }
  // Signing requests are logged through `log` (null: not logged). Call before the listener opens.
  void set_signing_log(SigningLog* log) { signing_log_ = log; }
  bool keys_loading() const;
  // The progress of every key source, as last reported.
  std::vector<KeySourceHealth> key_sources() const;
  // Whether /healthcheck would answer 200 now. Writes to the anti-slashing database like it:
  // call it off the I/O threads (the metrics refresher does).
  bool healthy();

 private:
  // Who sent `request`: nullopt when the signer is open. Sets `rejection` (401, or 503 when the
  // signer state cannot be read) when the request has no usable credentials.
  std::optional<auth::Principal> caller(const HttpRequest& request, bool require_token,
                                        std::optional<HttpResponse>& rejection) const;
  void count_auth_rejection() const;
  // nullopt when `access` is allowed, else the 401/403/503 response.
  std::optional<HttpResponse> authorize(const HttpRequest& request, const auth::Access& access) const;
  HttpResponse healthcheck(const HttpRequest& request);
  HttpResponse status();
  HttpResponse public_keys(const HttpRequest& request);
  HttpResponse high_watermark();
  void sign_batch(HttpRequest&& request, Respond respond);
  void keystores(HttpRequest&& request, Respond respond);
  void chamber_keys(HttpRequest&& request, Respond respond);
  HttpResponse reload(const HttpRequest& request);

  SigningService& signing_;
  keys::KeyRegistry& keys_;
  slashing::SlashingStore& store_;
  const auth::AccessControl& access_;
  const SignerFacts facts_;
  KeyManagerApi* const key_manager_;  // null when the Key Manager API is disabled
  AuthApi* const auth_api_;           // null without a signer state
  ChamberApi* const chamber_api_;     // null without the DynamoDB key source (nothing to seal)
  const seal::Chamber* const chamber_;
  ChamberKeysApi* const chamber_keys_;  // null without the DynamoDB key source
  KeyReload* reload_ = nullptr;
  SigningLog* signing_log_ = nullptr;
  mutable std::mutex mu_;
  std::vector<KeySourceHealth> sources_;
  // /healthcheck writes to the database (a real fsync) and /highWatermark reads it: they run
  // here, never on an I/O thread.
  boost::asio::thread_pool probes_{1};
};

// Accept-header negotiation: true when the client accepts application/json (or anything).
bool accepts_json(std::string_view accept);
// True only when the client names application/json explicitly (used by /upcheck).
bool asks_for_json(std::string_view accept);

}  // namespace cc::api
