#pragma once
// The Auth API: runtime policies and tokens in the signer state (auth/token_service.hpp).
//   POST   /api/v1/chamber/auth/root-token        setup token (Bearer cc-setup-…) → the first
//                                                 management token; body {"name"} optional
//   GET    /api/v1/chamber/auth/policies          {"policies": [policy…]}
//   POST   /api/v1/chamber/auth/policies          body: a policy {"name", "rules"} → 201
//   DELETE /api/v1/chamber/auth/policies/{name}   409 while tokens are bound to it
//   GET    /api/v1/chamber/auth/tokens            {"tokens": [{id, name, kind, policies, created_at, expires_at}]}
//   POST   /api/v1/chamber/auth/tokens            body {"name", "kind": "client"|"management",
//                                                 "policies": [...], "ttl_seconds"} → 201 with
//                                                 "token": the secret, shown this once
//   DELETE /api/v1/chamber/auth/tokens/{id}       revoke: refused by every replica from its next request
// Everything but root-token needs a management token; the Router checks that before handle().
// Reads and writes of the signer state run on a thread of this API, never on an I/O thread.
#include <boost/asio/thread_pool.hpp>
#include <string_view>

#include "api/http_server.hpp"
#include "auth/token_service.hpp"

namespace cc::api {

class AuthApi {
 public:
  static constexpr std::string_view kPrefix = "/api/v1/chamber/auth/";
  static constexpr std::string_view kRootTokenPath = "/api/v1/chamber/auth/root-token";

  explicit AuthApi(auth::TokenService& tokens);
  ~AuthApi();

  void root_token(HttpRequest&& request, Respond respond);
  void handle(HttpRequest&& request, Respond respond);

 private:
  HttpResponse dispatch(const HttpRequest& request);

  auth::TokenService& tokens_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace cc::api
