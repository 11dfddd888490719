#include "api/router.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/json.hpp>

namespace cc::api {

namespace http = boost::beast::http;

namespace {

constexpr std::string_view kSignPrefix = "/api/v1/eth2/sign/";
constexpr std::string_view kBatchSignPath = "/api/v1/eth2/sign";

// The value of ?name=… in `target` (no percent-decoding: scope values are plain words).
std::string query_param(std::string_view target, std::string_view name) {
  auto q = target.find('?');
  if (q == std::string_view::npos) return {};
  auto query = target.substr(q + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto item = query.substr(0, amp);
    if (item.size() > name.size() && item.substr(0, name.size()) == name && item[name.size()] == '=') {
      return std::string(item.substr(name.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    query.remove_prefix(amp + 1);
  }
  return {};
}

std::string_view path_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

bool contains_token(std::string_view accept, std::string_view token) {
  // Media ranges are separated by commas; parameters (;q=) are ignored except q=0.
  std::size_t pos = 0;
  while (pos <= accept.size()) {
    auto comma = accept.find(',', pos);
    auto item = accept.substr(pos, comma == std::string_view::npos ? std::string_view::npos : comma - pos);
    while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
    auto semi = item.find(';');
    auto range = item.substr(0, semi);
    while (!range.empty() && range.back() == ' ') range.remove_suffix(1);
    const bool refused = semi != std::string_view::npos && (item.find("q=0", semi) != std::string_view::npos &&
                                                            item.find("q=0.", semi) == std::string_view::npos);
    if (!refused && range.size() == token.size() &&
        std::equal(range.begin(), range.end(), token.begin(),
                   [](char a, char b) { return std::tolower(static_cast<unsigned char>(a)) == b; })) {
      return true;
    }
    if (comma == std::string_view::npos) break;
    pos = comma + 1;
  }
  return false;
}

HttpResponse text_response(unsigned status, std::string body) {
  HttpResponse res{static_cast<http::status>(status), 11};
  res.set(http::field::content_type, "text/plain; charset=utf-8");
  res.body() = std::move(body);
  res.prepare_payload();
  return res;
}

// A refused signing request, single or batch: {code, message, reason}; 503 says when to retry.
HttpResponse refusal_response(unsigned status, const std::string& message, const std::string& reason) {
  boost::json::object o;
  o["code"] = status;
  o["message"] = message;
  if (!reason.empty()) o["reason"] = reason;
  auto res = json_response(status, boost::json::serialize(o));
  if (status == 503) res.set(http::field::retry_after, "1");
  return res;
}

}  // namespace

bool accepts_json(std::string_view accept) {
  if (accept.empty()) return true;
  return contains_token(accept, "application/json") || contains_token(accept, "application/*") ||
         contains_token(accept, "*/*") || !contains_token(accept, "text/plain");
}

bool asks_for_json(std::string_view accept) { return contains_token(accept, "application/json"); }

Router::Router(SigningService& signing, keys::KeyRegistry& keys, slashing::SlashingStore& store,
               const auth::AccessControl& access, SignerFacts facts, KeyManagerApi* key_manager, AuthApi* auth_api,
               ChamberApi* chamber_api, const seal::Chamber* chamber, ChamberKeysApi* chamber_keys)
    : signing_(signing),
      keys_(keys),
      store_(store),
      access_(access),
      facts_(std::move(facts)),
      key_manager_(key_manager),
      auth_api_(auth_api),
      chamber_api_(chamber_api),
      chamber_(chamber),
      chamber_keys_(chamber_keys) {}

std::optional<auth::Principal> Router::caller(const HttpRequest& request, bool require_token,
                                              std::optional<HttpResponse>& rejection) const {
  auto who = access_.identify(request[http::field::authorization], require_token);
  if (who) return std::move(*who);
  if (who.error().kind == Error::Kind::unavailable) {
    rejection = error_response(503, who.error().message);
    rejection->set(http::field::retry_after, "1");
  } else {
    count_auth_rejection();
    rejection = error_response(401, who.error().message);
    rejection->set(http::field::www_authenticate, "Bearer, Basic realm=\"containment-chamber\"");
  }
  return std::nullopt;
}

std::optional<HttpResponse> Router::authorize(const HttpRequest& request, const auth::Access& access) const {
  std::optional<HttpResponse> rejection;
  const auto who = caller(request, access.scope == auth::Scope::auth_admin, rejection);
  if (rejection) return rejection;
  if (!who) return std::nullopt;  // open signer
  const std::string scope(auth::scope_name(access.scope));
  const auto verdict = auth::AccessControl::evaluate(*who, access);
  if (verdict != auth::Verdict::allowed) count_auth_rejection();
  switch (verdict) {
    case auth::Verdict::allowed:
      return std::nullopt;
    case auth::Verdict::denied:
      return error_response(403, who->who + " is denied " + scope + (access.key.empty() ? "" : " for key " + access.key));
    case auth::Verdict::no_allow_rule:
      break;
  }
  if (access.scope == auth::Scope::auth_admin) {
    return error_response(403, "the Auth API needs a management token (" + who->who + " is not one)");
  }
  return error_response(403, who->who + " is not allowed to use " + scope +
                                 (access.key.empty() ? "" : " for key " + access.key));
}

Router::~Router() { probes_.join(); }

void Router::count_auth_rejection() const {
  if (auto* metrics = signing_.metrics()) metrics->auth_rejection();
}

void Router::update_key_source(const KeySourceHealth& health) {
  std::lock_guard lock(mu_);
  for (auto& s : sources_) {
    if (s.name == health.name) {
      s = health;
      return;
    }
  }
  sources_.push_back(health);
}

bool Router::keys_loading() const {
  std::lock_guard lock(mu_);
  for (const auto& s : sources_) {
    if (s.loading) return true;
  }
  return false;
}

std::vector<KeySourceHealth> Router::key_sources() const {
  std::lock_guard lock(mu_);
  return sources_;
}

bool Router::healthy() { return healthcheck(HttpRequest{}).result_int() == 200; }

void Router::handle(HttpRequest&& request, Respond respond) {
  const auto path = path_of(request.target());
  const auto method = request.method();

  if (path == kBatchSignPath) return sign_batch(std::move(request), std::move(respond));
  if (path.substr(0, kSignPrefix.size()) == kSignPrefix) {
    // Every answer of this route is counted once, with its status and operation.
    auto answer = [metrics = signing_.metrics(), log = signing_log_, respond = std::move(respond),
                   start = std::chrono::steady_clock::now(), pubkey = std::string(path.substr(kSignPrefix.size())),
                   peer = peer_address(request)](HttpResponse res, std::string_view operation = "unknown") {
      const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      if (metrics != nullptr) metrics->signing_request(res.result_int(), operation, seconds);
      if (log != nullptr) log->record(pubkey, operation, res.result_int(), seconds, peer);
      respond(std::move(res));
    };
    if (method != http::verb::post) return answer(error_response(405, "use POST to sign"));
    const bool json = accepts_json(request[http::field::accept]);
    const std::string pubkey(path.substr(kSignPrefix.size()));
    std::string key = pubkey;
    std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (key.rfind("0x", 0) != 0) key = "0x" + key;
    std::optional<HttpResponse> rejection;
    auto who = caller(request, false, rejection);
    if (rejection) return answer(std::move(*rejection));
    const std::string client = peer_address(request) + (who ? " (" + who->who + ")" : "");
    // While sealed, keys of the DynamoDB key source are not loaded: say so instead of "unknown key".
    if (chamber_ != nullptr && !seal::signing_allowed(chamber_->state())) {
      auto pk = from_hex_fixed<48>(pubkey);
      if (pk && !keys_.contains(*pk)) {
        auto res = error_response(503, "the chamber is " + std::string(seal::state_name(chamber_->state())) +
                                           ": keys of the DynamoDB key source sign once it is unsealed");
        res.set(http::field::retry_after, "1");
        return answer(std::move(res));
      }
    }
    OperationCheck may_sign;
    if (who) {
      if (auth::AccessControl::evaluate(*who, {auth::Scope::sign, key, ""}) != auth::Verdict::allowed) {
        count_auth_rejection();
        return answer(error_response(403, who->who + " is not allowed to use sign for key " + key));
      }
      // The operation is known once the body is decoded: the signing service asks back.
      may_sign = [this, who = std::move(*who), key](std::string_view operation) -> std::optional<std::string> {
        if (auth::AccessControl::evaluate(who, {auth::Scope::sign, key, std::string(operation)}) ==
            auth::Verdict::allowed) {
          return std::nullopt;
        }
        count_auth_rejection();
        return who.who + " is not allowed to sign " + std::string(operation) + " with " + key;
      };
    }
    signing_.sign(pubkey, request.body(), client, std::move(may_sign), [answer = std::move(answer), json](SignOutcome outcome) {
      if (outcome.status != 200) {
        return answer(refusal_response(outcome.status, outcome.message, outcome.reason), outcome.operation);
      }
      const auto hex = to_hex(outcome.signature);
      if (!json) return answer(text_response(200, hex), outcome.operation);
      answer(json_response(200, "{\"signature\":\"" + hex + "\"}"), outcome.operation);
    });
    return;
  }
  if (path == "/upcheck") {
    if (method != http::verb::get) return respond(error_response(405, "use GET"));
    if (asks_for_json(request[http::field::accept])) return respond(json_response(200, R"({"status":"OK"})"));
    return respond(text_response(200, "OK"));
  }
  if (path == "/healthcheck") {
    if (method != http::verb::get) return respond(error_response(405, "use GET"));
    boost::asio::post(probes_, [this, request = std::move(request), respond = std::move(respond)] {
      respond(healthcheck(request));
    });
    return;
  }
  if (path == "/api/v1/chamber/status") {
    if (method != http::verb::get) return respond(error_response(405, "use GET"));
    if (auto rejection = authorize(request, {auth::Scope::chamber_status, "", ""})) return respond(std::move(*rejection));
    boost::asio::post(probes_, [this, respond = std::move(respond)] { respond(status()); });
    return;
  }
  if (path == "/api/v1/eth2/highWatermark") {
    if (method != http::verb::get) return respond(error_response(405, "use GET"));
    // Read-only signer facts beside the key list: the same scope (no scope of its own is documented).
    if (auto rejection = authorize(request, {auth::Scope::public_keys, "", ""})) return respond(std::move(*rejection));
    boost::asio::post(probes_, [this, respond = std::move(respond)] { respond(high_watermark()); });
    return;
  }
  if (path == "/api/v1/eth2/publicKeys") {
    if (method != http::verb::get) return respond(error_response(405, "use GET"));
    if (auto rejection = authorize(request, {auth::Scope::public_keys, "", ""})) return respond(std::move(*rejection));
    return respond(public_keys(request));
  }
  if (path == "/reload") {
    if (method != http::verb::post && method != http::verb::get) return respond(error_response(405, "use POST or GET"));
    if (auto rejection = authorize(request, {auth::Scope::reload_keys, "", ""})) return respond(std::move(*rejection));
    return respond(reload(request));
  }
  if (path == "/eth/v1/keystores") return keystores(std::move(request), std::move(respond));
  if (path == ChamberKeysApi::kKeysPath || path == ChamberKeysApi::kGeneratePath) {
    return chamber_keys(std::move(request), std::move(respond));
  }
  if (path == ChamberApi::kInitPath || path == ChamberApi::kSealPath || path == ChamberApi::kUnsealPath ||
      path == ChamberApi::kRegisterPath || path.rfind(ChamberApi::kRotatePrefix, 0) == 0) {
    if (chamber_api_ == nullptr) {
      return respond(error_response(404, "nothing to seal: the chamber's master key protects the DynamoDB key "
                                         "source only (key_sources.dynamodb.table)"));
    }
    if (path == ChamberApi::kInitPath) {
      const auto token = auth::token_from_header(request[http::field::authorization]);
      if (token && token->rfind("cc-setup-", 0) == 0) return chamber_api_->init(std::move(request), *token, std::move(respond));
      if (auto rejection = authorize(request, {auth::Scope::auth_admin, "", ""})) return respond(std::move(*rejection));
      return chamber_api_->init(std::move(request), "", std::move(respond));
    }
    if (path == ChamberApi::kRegisterPath) {
      // The registration token is the operator's only credential here: one operator, one use.
      const auto token = auth::token_from_header(request[http::field::authorization]);
      if (!token || token->rfind("cc-reg-", 0) != 0) {
        auto res = error_response(401, "register: needs the operator's registration token (Authorization: Bearer cc-reg-…)");
        res.set(http::field::www_authenticate, "Bearer realm=\"containment-chamber\"");
        return respond(std::move(res));
      }
      return chamber_api_->register_operator(std::move(request), *token, std::move(respond));
    }
    if (path.rfind(ChamberApi::kRotatePrefix, 0) == 0) {
      if (auto rejection = authorize(request, {auth::Scope::chamber_rotate, "", ""})) return respond(std::move(*rejection));
      return chamber_api_->rotate(std::move(request), std::string(path.substr(ChamberApi::kRotatePrefix.size())),
                                  std::move(respond));
    }
    if (auto rejection = authorize(request, {auth::Scope::chamber_seal, "", ""})) return respond(std::move(*rejection));
    if (path == ChamberApi::kSealPath) return chamber_api_->seal(std::move(request), std::move(respond));
    return chamber_api_->unseal(std::move(request), std::move(respond));
  }
  if (path.rfind(AuthApi::kPrefix, 0) == 0) {
    if (auth_api_ == nullptr) return respond(error_response(404, "the Auth API needs a signer state (signer_state)"));
    if (path == AuthApi::kRootTokenPath) return auth_api_->root_token(std::move(request), std::move(respond));
    if (auto rejection = authorize(request, {auth::Scope::auth_admin, "", ""})) return respond(std::move(*rejection));
    return auth_api_->handle(std::move(request), std::move(respond));
  }
  respond(error_response(404, "no such endpoint: " + std::string(path)));
}

void Router::sign_batch(HttpRequest&& request, Respond respond) {
  auto* metrics = signing_.metrics();
  const auto start = std::chrono::steady_clock::now();
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST to sign a batch"));
  std::optional<HttpResponse> rejection;
  auto who = caller(request, false, rejection);
  if (rejection) {
    if (metrics != nullptr) metrics->signing_batch(rejection->result_int(), "unknown", 0);
    return respond(std::move(*rejection));
  }
  if (who && !auth::allows_scope_somewhere(*who->policy, auth::Scope::sign)) {
    count_auth_rejection();
    if (metrics != nullptr) metrics->signing_batch(403, "unknown", 0);
    return respond(error_response(403, who->who + " is not allowed to use sign"));
  }
  const std::string peer = peer_address(request);
  const std::string client = peer + (who ? " (" + who->who + ")" : "");
  const bool sealed = chamber_ != nullptr && !seal::signing_allowed(chamber_->state());
  // Each key as POST /api/v1/eth2/sign/{key} would check it: the key scope, the operation, and
  // keys of a sealed chamber.
  BatchKeyCheck may_sign;
  if (who || sealed) {
    may_sign = [this, who = std::move(who), sealed](const BlsPublicKey& pk, std::string_view key,
                                                     std::string_view operation) -> std::optional<SignOutcome> {
      auto refusal = [](unsigned status, std::string message) {
        SignOutcome o;
        o.status = status;
        o.message = std::move(message);
        o.reason = status == 403 ? "forbidden" : "sealed";
        return o;
      };
      if (who) {
        const std::string k(key);
        if (auth::AccessControl::evaluate(*who, {auth::Scope::sign, k, ""}) != auth::Verdict::allowed) {
          count_auth_rejection();
          return refusal(403, who->who + " is not allowed to use sign for key " + k);
        }
        if (auth::AccessControl::evaluate(*who, {auth::Scope::sign, k, std::string(operation)}) !=
            auth::Verdict::allowed) {
          count_auth_rejection();
          return refusal(403, who->who + " is not allowed to sign " + std::string(operation) + " with " + k);
        }
      }
      if (sealed && !keys_.contains(pk)) {
        return refusal(503, "the chamber is " + std::string(seal::state_name(chamber_->state())) +
                                ": keys of the DynamoDB key source sign once it is unsealed");
      }
      return std::nullopt;
    };
  }
  signing_.sign_batch(
      request.body(), client, may_sign,
      [metrics, log = signing_log_, respond = std::move(respond), start, peer](BatchOutcome outcome) {
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        if (metrics != nullptr) metrics->signing_batch(outcome.status, outcome.operation, outcome.items.size());
        if (outcome.status != 200) return respond(refusal_response(outcome.status, outcome.message, outcome.reason));
        // One result per identifier, in request order (remote-signing-api batch draft).
        std::string body = "[";
        for (const auto& item : outcome.items) {
          const auto& o = item.outcome;
          if (metrics != nullptr) metrics->signing_request(o.status, o.operation, seconds);
          if (log != nullptr) log->record(item.identifier, o.operation, o.status, seconds, peer);
          if (body.size() > 1) body += ',';
          boost::json::object entry;
          entry["identifier"] = item.identifier;
          if (o.status == 200) {
            entry["signature"] = to_hex(o.signature);
          } else {
            boost::json::object error{{"code", o.status}, {"message", o.message}};
            if (!o.reason.empty()) error["reason"] = o.reason;
            entry["error"] = std::move(error);
          }
          body += boost::json::serialize(entry);
        }
        body += ']';
        respond(json_response(200, std::move(body)));
      });
}

void Router::keystores(HttpRequest&& request, Respond respond) {
  if (key_manager_ == nullptr) {
    return respond(error_response(404, "the Key Manager API is disabled: enable it with http.key_manager_api.enabled: "
                                       "true (flag --http-key-manager-api-enabled true)"));
  }
  switch (request.method()) {
    case http::verb::get:
      if (auto rejection = authorize(request, {auth::Scope::list_keys, "", ""})) return respond(std::move(*rejection));
      return key_manager_->list(std::move(respond));
    case http::verb::post:
      if (auto rejection = authorize(request, {auth::Scope::import_keystores, "", ""})) {
        return respond(std::move(*rejection));
      }
      return key_manager_->import(std::move(request.body()), std::move(respond));
    case http::verb::delete_:
      if (auto rejection = authorize(request, {auth::Scope::delete_keys, "", ""})) return respond(std::move(*rejection));
      return key_manager_->remove(std::move(request.body()), std::move(respond));
    default:
      return respond(error_response(405, "use GET, POST or DELETE"));
  }
}

void Router::chamber_keys(HttpRequest&& request, Respond respond) {
  if (chamber_keys_ == nullptr) {
    return respond(error_response(404, "the Chamber key API manages the keys of the DynamoDB key source: set "
                                       "key_sources.dynamodb.table to use it"));
  }
  const auto method = request.method();
  if (path_of(request.target()) == ChamberKeysApi::kGeneratePath) {
    if (method != http::verb::post) return respond(error_response(405, "use POST"));
    if (auto rejection = authorize(request, {auth::Scope::chamber_keys_generate, "", ""})) {
      return respond(std::move(*rejection));
    }
    return chamber_keys_->generate(std::move(request.body()), std::move(respond));
  }
  switch (method) {
    case http::verb::get:
      if (auto rejection = authorize(request, {auth::Scope::chamber_keys_list, "", ""})) {
        return respond(std::move(*rejection));
      }
      return chamber_keys_->list(std::move(respond));
    case http::verb::post:
      if (auto rejection = authorize(request, {auth::Scope::chamber_keys_import, "", ""})) {
        return respond(std::move(*rejection));
      }
      return chamber_keys_->import(std::move(request.body()), std::move(respond));
    case http::verb::patch:
      if (auto rejection = authorize(request, {auth::Scope::chamber_keys_patch, "", ""})) {
        return respond(std::move(*rejection));
      }
      return chamber_keys_->update(std::move(request.body()), std::move(respond));
    case http::verb::delete_:
      if (auto rejection = authorize(request, {auth::Scope::chamber_keys_delete, "", ""})) {
        return respond(std::move(*rejection));
      }
      return chamber_keys_->remove(std::move(request.body()), std::move(respond));
    default:
      return respond(error_response(405, "use GET, POST, PATCH or DELETE"));
  }
}

HttpResponse Router::reload(const HttpRequest& request) {
  if (reload_ == nullptr) {
    return error_response(404, "no key source to reload: configure key_sources.filesystem.paths or "
                               "key_sources.dynamodb.table");
  }
  if (request.method() == http::verb::get) return json_response(200, boost::json::serialize(reload_->status()));
  // The scope: ?scope=… or a JSON body {"scope": "…"}; neither means all.
  std::string scope = query_param(request.target(), "scope");
  if (scope.empty() && !request.body().empty()) {
    boost::system::error_code ec;
    auto body = boost::json::parse(request.body(), ec);
    const auto* field = !ec && body.is_object() ? body.as_object().if_contains("scope") : nullptr;
    if (ec || !body.is_object() || (field != nullptr && !field->is_string())) {
      return error_response(400, "reload: the body must be empty or a JSON object {\"scope\": \"all\"}");
    }
    if (field != nullptr) scope = std::string(field->as_string());
  }
  std::string trigger = "POST /reload from " + peer_address(request);
  switch (reload_->start(scope, trigger)) {
    case KeyReload::Start::started: {
      boost::json::object o{{"status", "started"}, {"scope", scope.empty() ? "all" : scope}};
      return json_response(202, boost::json::serialize(o));
    }
    case KeyReload::Start::already_running:
      return error_response(409, "a reload is already running: see GET /reload");
    case KeyReload::Start::unknown_scope:
      break;
  }
  std::string known;
  for (const auto& s : reload_->scopes()) known += (known.empty() ? "" : ", ") + s;
  return error_response(400, "reload: unknown scope '" + scope + "' (this signer reloads: " + known + ")");
}

HttpResponse Router::status() {
  boost::json::object body;
  body["version"] = facts_.version;
  body["network"] = facts_.network;
  body["uptime_seconds"] =
      std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() - facts_.started).count();
  // Seal and unseal apply to keys kept sealed in a key store; file keystores need none.
  if (chamber_ != nullptr) {
    body["seal"] = seal_status_json(*chamber_)["seal"];
  } else {
    body["seal"] = boost::json::object{{"status", "not_configured"}, {"signing", true}};
  }
  boost::json::object sources;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : sources_) {
      sources[s.name] = boost::json::object{{"loading", s.loading},
                                            {"loaded", s.loaded},
                                            {"failed", s.failures.size()}};
    }
  }
  body["keys"] = boost::json::object{{"total", keys_.size()}, {"sources", std::move(sources)}};
  auto db = store_.health();
  boost::json::object slashing{{"backend", store_.backend_name()}, {"healthy", db.ok()}};
  if (!db.ok()) slashing["error"] = db.error().message;
  body["anti_slashing"] = std::move(slashing);
  body["tls"] = boost::json::object{{"mode", facts_.tls_mode}};
  body["auth"] = boost::json::object{{"enabled", access_.enforcing()}};
  body["signing"] = boost::json::object{{"in_flight", signing_.pending()}, {"threads", signing_.signing_threads()}};
  return json_response(200, boost::json::serialize(body));
}

HttpResponse Router::public_keys(const HttpRequest&) {
  boost::json::array keys;
  for (const auto& k : keys_.public_keys()) keys.emplace_back(to_hex(k));
  return json_response(200, boost::json::serialize(keys));
}

HttpResponse Router::high_watermark() {
  auto mark = store_.high_watermark();
  if (!mark) {
    auto res = error_response(503, "anti-slashing database unavailable: " + mark.error().message);
    res.set(http::field::retry_after, "1");
    return res;
  }
  if (!*mark) return json_response(200, "{}");
  // Decimal strings, as every uint64 of the Ethereum APIs.
  boost::json::object o;
  o["epoch"] = std::to_string((*mark)->epoch);
  o["slot"] = std::to_string((*mark)->slot);
  return json_response(200, boost::json::serialize(o));
}

HttpResponse Router::healthcheck(const HttpRequest&) {
  bool up = true;
  bool reloading = false;
  boost::json::array checks;
  {
    std::lock_guard lock(mu_);
    for (const auto& s : sources_) {
      const bool ok = !s.loading && s.failures.empty();
      up = up && ok;
      boost::json::object c;
      c["id"] = "key-source:" + s.name;
      c["status"] = ok ? "UP" : (s.loading ? "LOADING" : "DOWN");
      c["keys_loaded"] = s.loaded;
      c["keys_total"] = s.total;
      boost::json::array failures;
      for (const auto& [file, reason] : s.failures) failures.push_back(boost::json::object{{"file", file}, {"error", reason}});
      c["failures"] = std::move(failures);
      if (s.reloading) {
        // Keys stay usable during a reload: it is reported, not a reason to be unready.
        c["reload"] = boost::json::object{{"running", true}, {"keys_done", s.reload_done}, {"keys_total", s.reload_total}};
        reloading = true;
      }
      checks.push_back(std::move(c));
    }
  }
  auto db = store_.health();
  up = up && db.ok();
  boost::json::object c;
  c["id"] = "slashing-db";
  c["backend"] = store_.backend_name();
  c["status"] = db.ok() ? "UP" : "DOWN";
  if (!db.ok()) c["error"] = db.error().message;
  checks.push_back(std::move(c));

  boost::json::object body;
  body["status"] = up ? "UP" : "DOWN";
  body["keys_loaded"] = keys_.size();
  // From the moment a reload is accepted, before its source reports progress.
  body["reloading"] = reloading || (reload_ != nullptr && reload_->running());
  body["checks"] = std::move(checks);
  return json_response(up ? 200 : 503, boost::json::serialize(body));
}

}  // namespace cc::api
