#pragma once
// The chamber's seal endpoints (KMS-only mode):
//   POST /api/v1/chamber/init    {"kms_key_arns": [...], "kms_threshold": M} — the setup token
//                                (Bearer cc-setup-…; the answer then also carries the first
//                                management token, as generate-root-token would) or a management token
//   POST /api/v1/chamber/seal    scope chamber_seal: drops the master key here at once, sealed everywhere
//   POST /api/v1/chamber/unseal  scope chamber_seal: rebuilds the master key from the KMS shares
// Answers {"seal": {"status": <state>, "signing": bool}}; 409 when the state forbids it (the message
// says what to do), 503 when KMS cannot give enough shares. KMS and the signer state are reached on a
// thread of this API, never on an I/O thread.
#include <boost/asio/thread_pool.hpp>
#include <functional>
#include <string_view>

#include "api/http_server.hpp"
#include "auth/token_service.hpp"
#include "seal/chamber.hpp"

namespace cc::api {

class ChamberApi {
 public:
  static constexpr std::string_view kInitPath = "/api/v1/chamber/init";
  static constexpr std::string_view kSealPath = "/api/v1/chamber/seal";
  static constexpr std::string_view kUnsealPath = "/api/v1/chamber/unseal";

  // `changed` runs after a successful init, seal or unseal (the server refreshes its key source).
  ChamberApi(seal::Chamber& chamber, auth::TokenService& tokens, std::function<void()> changed);
  ~ChamberApi();

  // `setup_token`: the request authenticated with the setup token (not yet exchanged).
  void init(HttpRequest&& request, std::string setup_token, Respond respond);
  void seal(HttpRequest&& request, Respond respond);
  void unseal(HttpRequest&& request, Respond respond);

 private:
  seal::Chamber& chamber_;
  auth::TokenService& tokens_;
  std::function<void()> changed_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace cc::api
