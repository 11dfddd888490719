#include "api/chamber_api.hpp"

#include <boost/asio/post.hpp>
#include <spdlog/spdlog.h>

#include "core/json.hpp"

namespace cc::api {

namespace http = boost::beast::http;

namespace {

boost::json::array operators_json(const std::vector<seal::OperatorStatus>& ops, bool progress) {
  boost::json::array out;
  for (const auto& o : ops) {
    boost::json::object j{{"id", o.id}, {"registered", o.registered}};
    if (progress) {
      j["submitted"] = o.submitted;
      j["failures"] = o.failures;
      if (o.locked_until > 0) j["locked_until"] = o.locked_until;
    }
    out.push_back(std::move(j));
  }
  return out;
}

struct KmsArgs {
  std::vector<std::string> arns;
  unsigned threshold = 0;
};

KmsArgs kms_args(const json::Object& o) {
  KmsArgs k;
  const auto& list = o.array("kms_key_arns");
  for (std::size_t i = 0; i < list.size(); ++i) {
    k.arns.emplace_back(json::as_string(list[i], json::index_path("kms_key_arns", i)));
  }
  k.threshold = static_cast<unsigned>(o.u64("kms_threshold"));
  return k;
}

bool wants_quorum(const json::Object& o) { return o.has("operators") || o.has("operator_names"); }

seal::QuorumSpec quorum_spec(const json::Object& o) {
  seal::QuorumSpec q;
  if (o.has("operators")) q.operators = static_cast<unsigned>(std::min<std::uint64_t>(o.u64("operators"), 1000));
  if (o.has("operator_names")) {
    const auto& list = o.array("operator_names");
    for (std::size_t i = 0; i < list.size(); ++i) {
      q.names.emplace_back(json::as_string(list[i], json::index_path("operator_names", i)));
    }
  }
  q.threshold = static_cast<unsigned>(std::min<std::uint64_t>(o.u64("unseal_threshold"), 1000));
  return q;
}

// An empty body reads as {}.
boost::json::value body_of(const HttpRequest& request) {
  if (request.body().find_first_not_of(" \t\r\n") == std::string::npos) return boost::json::object{};
  return json::parse(request.body());
}

// Takes the passphrase out of a parsed body and wipes every copy of it there.
std::string take_passphrase(boost::json::value& v, HttpRequest& request) {
  std::string out;
  if (auto* obj = v.if_object()) {
    if (auto* p = obj->if_contains("passphrase")) {
      if (!p->is_string()) throw json::InputError("passphrase: expected a string");
      auto& s = p->get_string();
      out.assign(s.data(), s.size());
      secure_zero(s.data(), s.size());
    }
  }
  secure_zero(request.body().data(), request.body().size());
  return out;
}

struct Wiped {
  std::string& s;
  ~Wiped() { secure_zero(s.data(), s.size()); }
};

HttpResponse refusal(const std::string& what, const Error& e, std::chrono::seconds retry_after = {}) {
  if (retry_after.count() > 0) {
    auto res = error_response(429, what + ": " + e.message);
    res.set(http::field::retry_after, std::to_string(retry_after.count()));
    return res;
  }
  return error_response(http_status_of(e), what + ": " + e.message);
}

boost::json::array tokens_json(const std::vector<seal::RegistrationToken>& tokens) {
  boost::json::array out;
  for (const auto& t : tokens) out.push_back(boost::json::object{{"operator", t.operator_id}, {"registration_token", t.token}});
  return out;
}

}  // namespace

boost::json::object seal_status_json(const seal::Chamber& chamber) {
  const auto s = chamber.status();
  boost::json::object seal{{"status", seal::state_name(s.state)}, {"signing", seal::signing_allowed(s.state)}};
  if (s.mode) {
    seal["shared_status"] = seal::state_name(s.shared_state);
    seal["mode"] = seal::mode_name(*s.mode);
    seal["master_key_id"] = s.master_key_id;
    seal["kms"] = boost::json::object{{"keys", boost::json::value_from(s.kms_keys)}, {"threshold", s.kms_threshold}};
  }
  if (s.mode == seal::Mode::quorum) {
    seal["unseal_threshold"] = s.unseal_threshold;
    seal["operators"] = operators_json(s.operators, true);
    seal["progress"] = boost::json::object{{"submitted", s.submitted}, {"threshold", s.unseal_threshold}};
  }
  if (!s.rotation.empty()) {
    seal["rotation"] = boost::json::object{{"type", s.rotation},
                                           {"unseal_threshold", s.rotation_threshold},
                                           {"operators", operators_json(s.rotation_operators, false)}};
  }
  if (!s.transitions.empty()) {
    boost::json::array ts;
    for (const auto& t : s.transitions) ts.push_back(boost::json::object{{"at", t.at}, {"event", t.event}, {"state", t.state}});
    seal["transitions"] = std::move(ts);
  }
  return {{"seal", std::move(seal)}};
}

ChamberApi::ChamberApi(seal::Chamber& chamber, auth::TokenService& tokens, std::function<void()> changed)
    : chamber_(chamber), tokens_(tokens), changed_(std::move(changed)) {}

ChamberApi::~ChamberApi() { pool_.join(); }

void ChamberApi::init(HttpRequest&& request, std::string setup_token, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  boost::asio::post(pool_, [this, request = std::move(request), setup = std::move(setup_token),
                            respond = std::move(respond)] {
    KmsArgs kms;
    std::optional<seal::QuorumSpec> quorum;
    try {
      const auto v = json::parse(request.body());
      const json::Object o(v, "");
      kms = kms_args(o);
      if (wants_quorum(o)) quorum = quorum_spec(o);
    } catch (const json::InputError& e) {
      return respond(error_response(400, std::string("init: ") + e.what()));
    }
    boost::json::object body;
    if (!setup.empty()) {
      // The setup token is spent here, and its management token returned, so the operator
      // is never left without a way in (also if the init below fails: retry with that token).
      auto issued = tokens_.exchange_setup_token(setup, "root");
      if (!issued) return respond(error_response(http_status_of(issued.error()), issued.error().message));
      body["management_token"] = issued->token;
      body["management_token_id"] = issued->info.id;
    }
    Status ok;
    if (quorum) {
      auto tokens = chamber_.init_quorum(kms.arns, kms.threshold, *quorum);
      if (tokens) {
        body["registration_tokens"] = tokens_json(*tokens);
      } else {
        ok = tokens.error();
      }
    } else {
      ok = chamber_.init_kms_only(kms.arns, kms.threshold);
    }
    if (!ok) {
      auto res = error_response(http_status_of(ok.error()), "init: " + ok.error().message);
      if (body.contains("management_token")) {
        // Still hand over the management token it cost.
        boost::json::object err{{"code", http_status_of(ok.error())}, {"message", "init: " + ok.error().message}};
        err["management_token"] = body["management_token"];
        err["management_token_id"] = body["management_token_id"];
        res = json_response(http_status_of(ok.error()), boost::json::serialize(err));
      }
      return respond(std::move(res));
    }
    if (changed_) changed_();
    for (auto& [k, v] : seal_status_json(chamber_)) body[k] = v;
    respond(json_response(200, boost::json::serialize(body)));
  });
}

void ChamberApi::register_operator(HttpRequest&& request, std::string registration_token, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  boost::asio::post(pool_, [this, request = std::move(request), token = std::move(registration_token),
                            respond = std::move(respond)]() mutable {
    std::string passphrase;
    Wiped wipe{passphrase};
    try {
      auto v = body_of(request);
      passphrase = take_passphrase(v, request);
    } catch (const json::InputError& e) {
      secure_zero(request.body().data(), request.body().size());
      return respond(error_response(400, std::string("register: ") + e.what()));
    }
    if (passphrase.empty()) return respond(error_response(400, "register: passphrase: missing field"));
    auto done = chamber_.register_operator(token, passphrase);
    if (!done) return respond(refusal("register", done.error()));
    if (changed_) changed_();
    auto body = seal_status_json(chamber_);
    body["operator"] = done->operator_id;
    body["registered"] = done->registered;
    body["operators"] = done->operators;
    respond(json_response(200, boost::json::serialize(body)));
  });
}

void ChamberApi::seal(HttpRequest&& request, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  boost::asio::post(pool_, [this, respond = std::move(respond)] {
    auto ok = chamber_.seal();
    if (changed_) changed_();  // drop the decrypted keys whatever the store said
    if (!ok) return respond(error_response(http_status_of(ok.error()), "seal: " + ok.error().message));
    respond(json_response(200, boost::json::serialize(seal_status_json(chamber_))));
  });
}

void ChamberApi::unseal(HttpRequest&& request, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  boost::asio::post(pool_, [this, request = std::move(request), respond = std::move(respond)]() mutable {
    std::string passphrase, operator_id;
    Wiped wipe{passphrase};
    try {
      auto v = body_of(request);
      passphrase = take_passphrase(v, request);
      const json::Object o(v, "");
      if (o.has("operator")) operator_id = std::string(o.string("operator"));
    } catch (const json::InputError& e) {
      secure_zero(request.body().data(), request.body().size());
      return respond(error_response(400, std::string("unseal: ") + e.what()));
    }
    std::chrono::seconds retry_after{0};
    auto done = passphrase.empty() ? chamber_.unseal() : chamber_.submit_passphrase(passphrase, operator_id, &retry_after);
    if (!done) return respond(refusal("unseal", done.error(), retry_after));
    if (changed_) changed_();
    auto body = seal_status_json(chamber_);
    if (!done->operator_id.empty()) body["operator"] = done->operator_id;
    respond(json_response(200, boost::json::serialize(body)));
  });
}

void ChamberApi::rotate(HttpRequest&& request, std::string kind, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  if (kind != "kms" && kind != "quorum" && kind != "unseal" && kind != "mode" && kind != "cancel") {
    return respond(error_response(404, "no such rotation: '" + kind + "' (kms, quorum, unseal, mode or cancel)"));
  }
  boost::asio::post(pool_, [this, request = std::move(request), kind = std::move(kind), respond = std::move(respond)] {
    const std::string what = "rotate " + kind;
    Result<std::vector<seal::RegistrationToken>> tokens = std::vector<seal::RegistrationToken>{};
    try {
      const auto v = body_of(request);
      const json::Object o(v, "");
      if (kind == "kms") {
        const auto k = kms_args(o);
        if (auto ok = chamber_.rotate_kms(k.arns, k.threshold); !ok) tokens = ok.error();
      } else if (kind == "quorum") {
        tokens = chamber_.rotate_quorum(quorum_spec(o));
      } else if (kind == "unseal") {
        tokens = chamber_.rotate_unseal();
      } else if (kind == "mode") {
        const auto name = o.string("mode");
        auto mode = seal::parse_mode(name);
        if (!mode) throw json::InputError("mode: kms_only or quorum, not '" + std::string(name) + "'");
        tokens = chamber_.rotate_mode(*mode, *mode == seal::Mode::quorum ? quorum_spec(o) : seal::QuorumSpec{});
      } else {
        if (auto ok = chamber_.cancel_rotation(); !ok) tokens = ok.error();
      }
    } catch (const json::InputError& e) {
      return respond(error_response(400, what + ": " + e.what()));
    }
    if (!tokens) return respond(refusal(what, tokens.error()));
    if (changed_) changed_();
    auto body = seal_status_json(chamber_);
    if (!tokens->empty()) body["registration_tokens"] = tokens_json(*tokens);
    respond(json_response(200, boost::json::serialize(body)));
  });
}

}  // namespace cc::api
