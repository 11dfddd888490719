#pragma once
// The chamber's seal endpoints (design: seal/chamber.hpp):
//   POST /api/v1/chamber/init     {"kms_key_arns": [...], "kms_threshold": M} — KMS-only; with
//                                 "operators": N (or "operator_names": [...]) and "unseal_threshold": M —
//                                 operator quorum, answering one registration token per operator. Takes the
//                                 setup token (Bearer cc-setup-…; the answer then also carries the first
//                                 management token, as generate-root-token would) or a management token
//   POST /api/v1/chamber/register Bearer cc-reg-… (a registration token, nothing else) {"passphrase": …}
//   POST /api/v1/chamber/seal     scope chamber_seal: drops the master key here at once, sealed everywhere
//   POST /api/v1/chamber/unseal   scope chamber_seal: {} rebuilds from KMS (KMS-only: unsealed; quorum:
//                                 kms_unsealed); {"passphrase": …, "operator": "op-2"?} submits one
//                                 operator's share; progress in "seal.progress"
//   POST /api/v1/chamber/rotate/{kms,quorum,unseal,mode,cancel}  scope chamber_rotate
// Answers {"seal": {...}} (seal_status_json); 409 when the state forbids it (the message says what to
// do), 401 for a wrong passphrase or a spent registration token, 429 with Retry-After while an operator
// is locked out, 503 when KMS cannot give enough shares. Passphrases are wiped from the request once
// read. KMS, scrypt and the signer state are reached on a thread of this API, never on an I/O thread.
#include <boost/asio/thread_pool.hpp>
#include <boost/json.hpp>
#include <functional>
#include <string_view>

#include "api/http_server.hpp"
#include "auth/token_service.hpp"
#include "seal/chamber.hpp"

namespace cc::api {

// {"seal": {"status", "signing", "mode", "shared_status", "kms", "unseal_threshold", "operators",
// "progress", "rotation", "transitions"}}: what operator status and every seal endpoint show.
boost::json::object seal_status_json(const seal::Chamber& chamber);

class ChamberApi {
 public:
  static constexpr std::string_view kInitPath = "/api/v1/chamber/init";
  static constexpr std::string_view kSealPath = "/api/v1/chamber/seal";
  static constexpr std::string_view kUnsealPath = "/api/v1/chamber/unseal";
  static constexpr std::string_view kRegisterPath = "/api/v1/chamber/register";
  static constexpr std::string_view kRotatePrefix = "/api/v1/chamber/rotate/";

  // `changed` runs after a successful init, seal, unseal or rotation (the server refreshes its key source).
  ChamberApi(seal::Chamber& chamber, auth::TokenService& tokens, std::function<void()> changed);
  ~ChamberApi();

  // `setup_token`: the request authenticated with the setup token (not yet exchanged).
  void init(HttpRequest&& request, std::string setup_token, Respond respond);
  // `registration_token`: from the Authorization header (cc-reg-…).
  void register_operator(HttpRequest&& request, std::string registration_token, Respond respond);
  void seal(HttpRequest&& request, Respond respond);
  void unseal(HttpRequest&& request, Respond respond);
  // `kind`: what follows kRotatePrefix.
  void rotate(HttpRequest&& request, std::string kind, Respond respond);

 private:
  seal::Chamber& chamber_;
  auth::TokenService& tokens_;
  std::function<void()> changed_;
  boost::asio::thread_pool pool_{1};
};

}  // namespace cc::api
