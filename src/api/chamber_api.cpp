#include "api/chamber_api.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "core/json.hpp"

namespace cc::api {

namespace http = boost::beast::http;

namespace {


boost::json::object seal_json(const seal::Chamber& chamber) {
  const auto s = chamber.state();
  return {{"seal", boost::json::object{{"status", seal::state_name(s)}, {"signing", seal::signing_allowed(s)}}}};
}

}  // namespace

ChamberApi::ChamberApi(seal::Chamber& chamber, auth::TokenService& tokens, std::function<void()> changed)
    : chamber_(chamber), tokens_(tokens), changed_(std::move(changed)) {}

ChamberApi::~ChamberApi() { pool_.join(); }

void ChamberApi::init(HttpRequest&& request, std::string setup_token, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  boost::asio::post(pool_, [this, request = std::move(request), setup = std::move(setup_token),
                            respond = std::move(respond)] {
    std::vector<std::string> arns;
    unsigned threshold = 0;
    try {
      const auto v = json::parse(request.body());
      const json::Object o(v, "");
      const auto& list = o.array("kms_key_arns");
      for (std::size_t i = 0; i < list.size(); ++i) {
        arns.emplace_back(json::as_string(list[i], json::index_path("kms_key_arns", i)));
      }
      threshold = static_cast<unsigned>(o.u64("kms_threshold"));
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
    auto ok = chamber_.init_kms_only(arns, threshold);
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
    for (auto& [k, v] : seal_json(chamber_)) body[k] = v;
    respond(json_response(200, boost::json::serialize(body)));
  });
}

void ChamberApi::seal(HttpRequest&& request, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  boost::asio::post(pool_, [this, respond = std::move(respond)] {
    auto ok = chamber_.seal();
    if (changed_) changed_();  // drop the decrypted keys whatever the store said
    if (!ok) return respond(error_response(http_status_of(ok.error()), "seal: " + ok.error().message));
    respond(json_response(200, boost::json::serialize(seal_json(chamber_))));
  });
}

void ChamberApi::unseal(HttpRequest&& request, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  boost::asio::post(pool_, [this, respond = std::move(respond)] {
    auto ok = chamber_.unseal();
    if (!ok) return respond(error_response(http_status_of(ok.error()), "unseal: " + ok.error().message));
    if (changed_) changed_();
    respond(json_response(200, boost::json::serialize(seal_json(chamber_))));
  });
}

}  // namespace cc::api
