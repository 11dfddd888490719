#pragma once
// TokenService: the runtime half of access control. Policies and tokens created through the Auth
// API live in the signer state (one document, "auth"), shared by every replica, so a token
// created or revoked on one replica counts on all of them from their next request: before each
// lookup the service asks the store whether the document changed (file backend: one stat()) and
// reloads it if so.
//
// Tokens are random (256 bits), shown once when created, and stored only as HMAC-SHA256 under a
// random key kept in the same document (the key adds nothing secret: 256-bit tokens cannot be
// guessed from their hashes; it makes the stored values useless as tokens). Every lookup compares
// against every stored hash in constant time.
//
// Token kinds:
//   management  `cc_token_…`, every scope, the only kind that may use the Auth API;
//   client      `cc_token_…`, bound to one or more policies (their rules combined; deny wins),
//               optionally expiring;
//   setup       `cc-setup-…`, made in memory (never stored) when the state holds no management
//               token; exchanged once for the first management token (generate-root-token).
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/policy.hpp"
#include "auth/policy_json.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"
#include "state/document_store.hpp"

namespace cc::auth {

enum class TokenKind { management, client };
std::string_view token_kind_name(TokenKind kind);

// A stored token, without its hash: what listing shows.
struct TokenInfo {
  std::string id;    // "tok_" + 16 hex: how the token is named when listed or revoked
  std::string name;  // the operator's label
  TokenKind kind = TokenKind::client;
  std::vector<std::string> policies;       // client tokens
  std::int64_t created_at = 0;             // unix seconds
  std::optional<std::int64_t> expires_at;  // unix seconds; none: until revoked
};

// {"id", "name", "kind", "policies" (client), "created_at", "expires_at" (when set)}.
boost::json::object token_info_to_json(const TokenInfo& info);

// A token as created: its secret is in `token`, and nowhere else once this is dropped.
struct IssuedToken {
  TokenInfo info;
  std::string token;
};

struct TokenRequest {
  std::string name;
  TokenKind kind = TokenKind::client;
  std::vector<std::string> policies;      // client: at least one existing policy
  std::optional<std::uint64_t> ttl_seconds;
};

// Who a request is: the policy it acts under (shared: the state may be reloaded meanwhile).
struct Principal {
  std::shared_ptr<const Policy> policy;
  bool manager = false;  // management token (or a configured policy granting auth_admin)
  std::string who;       // "token tok_1a2b… (ci-runner)", for 403 messages; never the secret
};

enum class Lookup { found, unknown, expired, unavailable };
struct Found {
  Lookup lookup = Lookup::unknown;
  Principal principal;
};

class TokenService {
 public:
  using Clock = std::function<std::int64_t()>;  // unix seconds
  // `refresh`: how often to re-read a store that cannot tell cheaply whether the document
  // changed (DynamoDB); 0 never (tests only: another replica's revocation would go unseen). The
  // file store is checked before every lookup whatever this says.
  TokenService(state::DocumentStore& store, KnownOperation known_operation, Clock clock = {},
               std::chrono::milliseconds refresh = std::chrono::seconds(1));

  // Reads the state once. An unreadable or malformed document is an error naming it (start-up
  // stops rather than run with an unknown set of tokens).
  Status open();

  // Whether any runtime token exists (then the signer enforces authentication).
  bool has_tokens();

  // The principal of `token`. A reload that fails makes every runtime token `unavailable` until
  // the state reads again: revocations must never be missed.
  Found find(std::string_view token);

  // ---- bootstrap ---------------------------------------------------------------------------
  // When the state holds no management token: a new setup token (kept only as a hash in this
  // process), to be logged once. nullopt otherwise.
  std::optional<std::string> make_setup_token();
  // Exchanges the setup token for the first management token. unauthenticated when `setup` is
  // not this process's setup token (or was used already); conflict when the state gained a
  // management token meanwhile (another replica, or an earlier exchange).
  Result<IssuedToken> exchange_setup_token(std::string_view setup, std::string name);

  // ---- Auth API ----------------------------------------------------------------------------
  Result<std::vector<Policy>> policies();
  // conflict when the name exists.
  Result<Policy> create_policy(Policy policy);
  // not_found when unknown; conflict while tokens are bound to it (names them).
  Status delete_policy(const std::string& name);
  Result<std::vector<TokenInfo>> tokens();
  // invalid_argument for a client token without policies or with an unknown one.
  Result<IssuedToken> create_token(const TokenRequest& request);
  // not_found when unknown. Effective on every replica from its next request.
  Result<TokenInfo> revoke_token(const std::string& id);

  // What policies may name as operations (as given at construction).
  const KnownOperation& known_operation() const { return known_; }

  struct Snapshot;  // the parsed document and what lookups need (token_service.cpp)

 private:
  std::shared_ptr<const Snapshot> current();
  Result<std::shared_ptr<const Snapshot>> load();
  // Read-modify-write of the document; `change` edits the snapshot's state (retried on conflict).
  template <class T, class Change>
  Result<T> modify(Change&& change);

  state::DocumentStore& store_;
  KnownOperation known_;
  Clock clock_;
  std::mutex mu_;
  std::shared_ptr<const Snapshot> snapshot_;
  std::optional<std::string> stamp_;
  std::chrono::milliseconds refresh_;
  std::chrono::steady_clock::time_point loaded_at_{};
  bool stale_ = false;   // this replica wrote: read it back before the next lookup
  bool broken_ = false;  // the last reload failed
  std::optional<Bytes<32>> setup_hash_;  // SHA-256 of the setup token, until used
};

}  // namespace cc::auth
