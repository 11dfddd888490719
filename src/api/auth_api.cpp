#include "api/auth_api.hpp"

#include <boost/asio/post.hpp>
#include <boost/json.hpp>
#include <spdlog/spdlog.h>

#include "auth/authenticator.hpp"
#include "core/json.hpp"

namespace cc::api {

namespace http = boost::beast::http;

namespace {



HttpResponse issued_response(const auth::IssuedToken& issued) {
  auto o = auth::token_info_to_json(issued.info);
  o["token"] = issued.token;
  return json_response(201, boost::json::serialize(o));
}

std::string_view path_of(std::string_view target) {
  auto q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

// An empty body reads as {}.
Result<boost::json::value> body_json(const HttpRequest& request) {
  if (request.body().empty()) return boost::json::value(boost::json::object{});
  try {
    auto v = json::parse(request.body());
    if (!v.is_object()) return Error::invalid("the body must be a JSON object");
    return v;
  } catch (const json::InputError& e) {
    return Error::invalid(std::string("malformed JSON body: ") + e.what());
  }
}

Result<auth::TokenRequest> token_request(const boost::json::value& body) {
  try {
    const json::Object o(body, "");
    auth::TokenRequest r;
    if (o.has("name")) r.name = std::string(o.string("name"));
    if (o.has("kind")) {
      const auto kind = o.string("kind");
      if (kind == "management") {
        r.kind = auth::TokenKind::management;
      } else if (kind != "client") {
        return Error::invalid("kind: '" + std::string(kind) + "' is neither client nor management");
      }
    }
    if (o.has("policies")) {
      const auto& list = o.array("policies");
      for (std::size_t i = 0; i < list.size(); ++i) {
        r.policies.emplace_back(json::as_string(list[i], json::index_path("policies", i)));
      }
    }
    if (o.has("ttl_seconds")) r.ttl_seconds = o.u64("ttl_seconds");
    return r;
  } catch (const json::InputError& e) {
    return Error::invalid(e.what());
  }
}

}  // namespace

AuthApi::AuthApi(auth::TokenService& tokens) : tokens_(tokens) {}

AuthApi::~AuthApi() { pool_.join(); }

void AuthApi::root_token(HttpRequest&& request, Respond respond) {
  if (request.method() != http::verb::post) return respond(error_response(405, "use POST"));
  boost::asio::post(pool_, [this, request = std::move(request), respond = std::move(respond)] {
    const auto token = auth::token_from_header(request[http::field::authorization]);
    if (!token) {
      auto res = error_response(401, "send the setup token (logged at start) as Authorization: Bearer cc-setup-…");
      res.set(http::field::www_authenticate, "Bearer realm=\"containment-chamber\"");
      return respond(std::move(res));
    }
    auto body = body_json(request);
    if (!body) return respond(error_of(body.error()));
    std::string name;
    if (const auto* n = body->as_object().if_contains("name"); n != nullptr && n->is_string()) name = n->as_string();
    auto issued = tokens_.exchange_setup_token(*token, name);
    if (!issued) return respond(error_of(issued.error()));
    spdlog::warn("auth: setup token exchanged for management token {} ({}); authentication is now enforced: requests "
                 "without a valid token get 401",
                 issued->info.id, issued->info.name);
    respond(issued_response(*issued));
  });
}

void AuthApi::handle(HttpRequest&& request, Respond respond) {
  boost::asio::post(pool_, [this, request = std::move(request), respond = std::move(respond)] {
    respond(dispatch(request));
  });
}

HttpResponse AuthApi::dispatch(const HttpRequest& request) {
  const auto path = path_of(request.target());
  const auto rest = path.substr(kPrefix.size());
  const auto method = request.method();
  const auto slash = rest.find('/');
  const auto collection = rest.substr(0, slash);
  const std::string item(slash == std::string_view::npos ? std::string_view{} : rest.substr(slash + 1));
  const bool one = slash != std::string_view::npos;
  if (one && item.empty()) return error_response(404, "no such endpoint: " + std::string(path));

  if (collection == "policies") {
    if (!one && method == http::verb::get) {
      auto list = tokens_.policies();
      if (!list) return error_of(list.error());
      boost::json::array out;
      for (const auto& p : *list) out.emplace_back(auth::policy_to_json(p));
      return json_response(200, boost::json::serialize(boost::json::object{{"policies", std::move(out)}}));
    }
    if (!one && method == http::verb::post) {
      auto body = body_json(request);
      if (!body) return error_of(body.error());
      auto policy = auth::policy_from_json(*body, tokens_.known_operation());
      if (!policy) return error_of(policy.error());
      auto created = tokens_.create_policy(std::move(*policy));
      if (!created) return error_of(created.error());
      spdlog::info("auth: policy '{}' created", created->name);
      return json_response(201, boost::json::serialize(auth::policy_to_json(*created)));
    }
    if (one && method == http::verb::delete_) {
      if (auto ok = tokens_.delete_policy(item); !ok) return error_of(ok.error());
      spdlog::info("auth: policy '{}' deleted", item);
      return json_response(200, boost::json::serialize(boost::json::object{{"deleted", item}}));
    }
    return error_response(405, one ? "use DELETE on a policy" : "use GET or POST on policies");
  }
  if (collection == "tokens") {
    if (!one && method == http::verb::get) {
      auto list = tokens_.tokens();
      if (!list) return error_of(list.error());
      boost::json::array out;
      for (const auto& t : *list) out.emplace_back(auth::token_info_to_json(t));
      return json_response(200, boost::json::serialize(boost::json::object{{"tokens", std::move(out)}}));
    }
    if (!one && method == http::verb::post) {
      auto body = body_json(request);
      if (!body) return error_of(body.error());
      auto spec = token_request(*body);
      if (!spec) return error_of(spec.error());
      auto issued = tokens_.create_token(*spec);
      if (!issued) return error_of(issued.error());
      spdlog::info("auth: {} token {} ({}) created", auth::token_kind_name(issued->info.kind), issued->info.id,
                   issued->info.name);
      return issued_response(*issued);
    }
    if (one && method == http::verb::delete_) {
      auto revoked = tokens_.revoke_token(item);
      if (!revoked) return error_of(revoked.error());
      spdlog::info("auth: token {} ({}) revoked", revoked->id, revoked->name);
      return json_response(200, boost::json::serialize(boost::json::object{{"revoked", auth::token_info_to_json(*revoked)}}));
    }
    return error_response(405, one ? "use DELETE on a token" : "use GET or POST on tokens");
  }
  return error_response(404, "no such endpoint: " + std::string(path) +
                                 " (the Auth API has policies, tokens and root-token)");
}

}  // namespace cc::api
