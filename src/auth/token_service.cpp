#include "auth/token_service.hpp"

#include "auth/constant_time.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <algorithm>
#include <stdexcept>

#include "core/json.hpp"

namespace cc::auth {

namespace {

constexpr std::string_view kDocument = "auth";
constexpr std::string_view kTokenPrefix = "cc_token_";
constexpr std::string_view kSetupPrefix = "cc-setup-";
constexpr std::uint64_t kMaxTtlSeconds = 10ull * 366 * 24 * 3600;

struct StoredToken {
  TokenInfo info;
  Bytes<32> hash{};
};

struct AuthState {
  Bytes<32> hash_key{};
  std::vector<Policy> policies;
  std::vector<StoredToken> tokens;
};

std::string random_hex(std::size_t bytes) {
  std::vector<unsigned char> raw(bytes);
  if (RAND_bytes(raw.data(), static_cast<int>(raw.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (auto b : raw) {
    out += kHex[b >> 4];
    out += kHex[b & 15];
  }
  OPENSSL_cleanse(raw.data(), raw.size());
  return out;
}

Bytes<32> hmac(const Bytes<32>& key, std::string_view token) {
  Bytes<32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const unsigned char*>(token.data()),
       token.size(), out.data(), &len);
  return out;
}

Bytes<32> sha256(std::string_view text) {
  Bytes<32> out{};
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), out.data());
  return out;
}

std::int64_t system_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

std::optional<TokenKind> parse_kind(std::string_view s) {
  if (s == "management") return TokenKind::management;
  if (s == "client") return TokenKind::client;
  return std::nullopt;
}

Status check_label(std::string_view what, std::string_view name) {
  if (auto ok = check_policy_name(name); !ok) {
    return Error::invalid(std::string(what) + " '" + std::string(name) + "': 1 to 64 letters, digits, '_', '-' or '.'");
  }
  return {};
}

// ---- the document ------------------------------------------------------------------------

AuthState parse_state(std::string_view text, const KnownOperation& known) {
  const auto doc = json::parse(text);
  const json::Object o(doc, "");
  if (o.u64("format") != 1) throw json::InputError("format: unsupported version (this signer reads 1)");
  AuthState s;
  s.hash_key = o.bytes<32>("hash_key");
  const auto& policies = o.array("policies");
  for (std::size_t i = 0; i < policies.size(); ++i) {
    auto p = policy_from_json(policies[i], known);
    if (!p) throw json::InputError(json::index_path("policies", i) + ": " + p.error().message);
    s.policies.push_back(std::move(*p));
  }
  const auto& tokens = o.array("tokens");
  for (std::size_t i = 0; i < tokens.size(); ++i) {
    const json::Object t(tokens[i], json::index_path("tokens", i));
    StoredToken st;
    st.info.id = std::string(t.string("id"));
    st.info.name = std::string(t.string("name"));
    auto kind = parse_kind(t.string("kind"));
    if (!kind) throw json::InputError(t.field("kind") + ": neither management nor client");
    st.info.kind = *kind;
    if (t.has("policies")) {
      const auto& list = t.array("policies");
      for (std::size_t j = 0; j < list.size(); ++j) {
        st.info.policies.emplace_back(json::as_string(list[j], json::index_path(t.field("policies"), j)));
      }
    }
    st.info.created_at = static_cast<std::int64_t>(t.u64("created_at"));
    if (t.has("expires_at")) st.info.expires_at = static_cast<std::int64_t>(t.u64("expires_at"));
    st.hash = t.bytes<32>("hash");
    s.tokens.push_back(std::move(st));
  }
  return s;
}

std::string state_to_json(const AuthState& s) {
  boost::json::array policies, tokens;
  for (const auto& p : s.policies) policies.emplace_back(policy_to_json(p));
  for (const auto& t : s.tokens) {
    auto o = token_info_to_json(t.info);
    o["hash"] = to_hex(t.hash);
    tokens.emplace_back(std::move(o));
  }
  boost::json::object doc{{"format", 1},
                          {"hash_key", to_hex(s.hash_key)},
                          {"policies", std::move(policies)},
                          {"tokens", std::move(tokens)}};
  return boost::json::serialize(doc) + "\n";
}

AuthState fresh_state() {
  AuthState s;
  if (RAND_bytes(s.hash_key.data(), static_cast<int>(s.hash_key.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  return s;
}

const std::shared_ptr<const Policy>& management_policy() {
  static const auto policy = std::make_shared<const Policy>(Policy{"management", {Rule{}}});  // allow everything
  return policy;
}

bool has_management(const AuthState& s) {
  return std::any_of(s.tokens.begin(), s.tokens.end(), [](const auto& t) { return t.info.kind == TokenKind::management; });
}

IssuedToken issue(AuthState& s, std::string name, TokenKind kind, std::vector<std::string> policies,
                  std::int64_t now, std::optional<std::int64_t> expires_at) {
  IssuedToken out;
  out.info.name = std::move(name);
  out.info.kind = kind;
  out.info.policies = std::move(policies);
  out.info.created_at = now;
  out.info.expires_at = expires_at;
  do {
    out.info.id = "tok_" + random_hex(8);
  } while (std::any_of(s.tokens.begin(), s.tokens.end(), [&](const auto& t) { return t.info.id == out.info.id; }));
  out.token = std::string(kTokenPrefix) + random_hex(32);
  s.tokens.push_back({out.info, hmac(s.hash_key, out.token)});
  return out;
}

}  // namespace

std::string_view token_kind_name(TokenKind kind) { return kind == TokenKind::management ? "management" : "client"; }

boost::json::object token_info_to_json(const TokenInfo& info) {
  boost::json::object o{{"id", info.id},
                        {"name", info.name},
                        {"kind", token_kind_name(info.kind)},
                        {"created_at", info.created_at}};
  if (info.kind == TokenKind::client) o["policies"] = boost::json::value_from(info.policies);
  if (info.expires_at) o["expires_at"] = *info.expires_at;
  return o;
}

struct TokenService::Snapshot {
  AuthState state;
  std::vector<std::shared_ptr<const Policy>> effective;  // per token, same order
};

TokenService::TokenService(state::DocumentStore& store, KnownOperation known_operation, Clock clock,
                           std::chrono::milliseconds refresh)
    : store_(store),
      known_(std::move(known_operation)),
      clock_(clock ? std::move(clock) : Clock(system_now)),
      refresh_(refresh) {}

Result<std::shared_ptr<const TokenService::Snapshot>> TokenService::load() {
  auto doc = store_.get(kDocument);
  if (!doc) return doc.error();
  auto snap = std::make_shared<Snapshot>();
  if (*doc) {
    try {
      snap->state = parse_state((*doc)->content, known_);
    } catch (const std::exception& e) {
      return Error::invalid("signer state (" + store_.describe() + "), document auth: " + e.what());
    }
  }
  for (const auto& t : snap->state.tokens) {
    if (t.info.kind == TokenKind::management) {
      snap->effective.push_back(management_policy());
      continue;
    }
    // A client token acts under all its policies at once: any allow rule, unless a deny rule matches.
    Policy combined;
    for (const auto& name : t.info.policies) {
      combined.name += (combined.name.empty() ? "" : "+") + name;
      for (const auto& p : snap->state.policies) {
        if (p.name == name) combined.rules.insert(combined.rules.end(), p.rules.begin(), p.rules.end());
      }
    }
    snap->effective.push_back(std::make_shared<const Policy>(std::move(combined)));
  }
  return std::shared_ptr<const Snapshot>(std::move(snap));
}

Status TokenService::open() {
  std::lock_guard lock(mu_);
  stamp_ = store_.change_stamp(kDocument);
  auto snap = load();
  if (!snap) return snap.error();
  snapshot_ = std::move(*snap);
  loaded_at_ = std::chrono::steady_clock::now();
  return {};
}

std::shared_ptr<const TokenService::Snapshot> TokenService::current() {
  std::lock_guard lock(mu_);
  auto stamp = store_.change_stamp(kDocument);
  const auto now = std::chrono::steady_clock::now();
  if (snapshot_ && !broken_ && !stale_) {
    if (stamp && stamp == stamp_) return snapshot_;
    // A store without change stamps is re-read every `refresh_`.
    if (!stamp && (refresh_.count() == 0 || now - loaded_at_ < refresh_)) return snapshot_;
  }
  auto snap = load();
  if (!snap) {
    broken_ = true;
    return nullptr;
  }
  broken_ = false;
  stale_ = false;
  stamp_ = std::move(stamp);
  loaded_at_ = now;
  snapshot_ = std::move(*snap);
  return snapshot_;
}

bool TokenService::has_tokens() {
  auto snap = current();
  return snap == nullptr || !snap->state.tokens.empty();  // unreadable: assume tokens exist (fail closed)
}

Found TokenService::find(std::string_view token) {
  auto snap = current();
  if (snap == nullptr) return {Lookup::unavailable, {}};
  const auto h = hmac(snap->state.hash_key, token);
  std::optional<std::size_t> match;
  // Every entry is compared, so the time taken does not depend on which one matches.
  for (std::size_t i = 0; i < snap->state.tokens.size(); ++i) {
    if (constant_time_equal(snap->state.tokens[i].hash, h)) match = i;
  }
  if (!match) return {Lookup::unknown, {}};
  const auto& info = snap->state.tokens[*match].info;
  if (info.expires_at && clock_() >= *info.expires_at) return {Lookup::expired, {}};
  Principal p;
  p.policy = snap->effective[*match];
  p.manager = info.kind == TokenKind::management;
  p.who = "token " + info.id + " (" + info.name + ")";
  return {Lookup::found, std::move(p)};
}

template <class T, class Change>
Result<T> TokenService::modify(Change&& change) {
  std::optional<T> out;
  auto written = state::update_document(
      store_, kDocument, [&](const std::optional<state::Document>& doc) -> Result<std::string> {
        AuthState s;
        try {
          s = doc ? parse_state(doc->content, known_) : fresh_state();
        } catch (const std::exception& e) {
          return Error::invalid("signer state (" + store_.describe() + "), document auth: " + e.what());
        }
        Result<T> r = change(s);
        if (!r) return r.error();
        out = std::move(*r);
        return state_to_json(s);
      });
  if (!written) return written.error();
  {
    std::lock_guard lock(mu_);
    stale_ = true;  // read our own write (and anything after it) on the next lookup
  }
  return std::move(*out);
}

std::optional<std::string> TokenService::make_setup_token() {
  auto snap = current();
  if (snap == nullptr || has_management(snap->state)) return std::nullopt;
  std::string token = std::string(kSetupPrefix) + random_hex(32);
  std::lock_guard lock(mu_);
  setup_hash_ = sha256(token);
  return token;
}

Result<IssuedToken> TokenService::exchange_setup_token(std::string_view setup, std::string name) {
  {
    std::lock_guard lock(mu_);
    const auto h = sha256(setup);
    if (!setup_hash_ || !constant_time_equal(*setup_hash_, h)) {
      return Error::unauthenticated(
          "not this signer's setup token, or it was used already (a setup token is logged once at start while no "
          "management token exists)");
    }
    setup_hash_.reset();  // one use, whatever happens next
  }
  if (name.empty()) name = "root";
  if (auto ok = check_label("token name", name); !ok) return ok.error();
  const auto now = clock_();
  return modify<IssuedToken>([&](AuthState& s) -> Result<IssuedToken> {
    if (has_management(s)) {
      return Error::conflict("the signer state already holds a management token: use it (or another replica's) "
                             "to create more through the Auth API");
    }
    return issue(s, name, TokenKind::management, {}, now, std::nullopt);
  });
}

Result<std::vector<Policy>> TokenService::policies() {
  auto snap = current();
  if (snap == nullptr) return Error::unavailable("signer state (" + store_.describe() + ") cannot be read");
  return snap->state.policies;
}

Result<Policy> TokenService::create_policy(Policy policy) {
  if (auto ok = check_policy_name(policy.name); !ok) return ok.error();
  return modify<Policy>([&](AuthState& s) -> Result<Policy> {
    for (const auto& p : s.policies) {
      if (p.name == policy.name) return Error::conflict("policy '" + policy.name + "' exists already");
    }
    s.policies.push_back(policy);
    return policy;
  });
}

Status TokenService::delete_policy(const std::string& name) {
  auto r = modify<bool>([&](AuthState& s) -> Result<bool> {
    auto it = std::find_if(s.policies.begin(), s.policies.end(), [&](const Policy& p) { return p.name == name; });
    if (it == s.policies.end()) return Error::not_found("no policy named '" + name + "'");
    std::string bound;
    for (const auto& t : s.tokens) {
      if (std::find(t.info.policies.begin(), t.info.policies.end(), name) != t.info.policies.end()) {
        bound += (bound.empty() ? "" : ", ") + t.info.id;
      }
    }
    if (!bound.empty()) {
      return Error::conflict("policy '" + name + "' is bound to tokens " + bound + ": revoke them first");
    }
    s.policies.erase(it);
    return true;
  });
  if (!r) return r.error();
  return {};
}

Result<std::vector<TokenInfo>> TokenService::tokens() {
  auto snap = current();
  if (snap == nullptr) return Error::unavailable("signer state (" + store_.describe() + ") cannot be read");
  std::vector<TokenInfo> out;
  for (const auto& t : snap->state.tokens) out.push_back(t.info);
  return out;
}

Result<IssuedToken> TokenService::create_token(const TokenRequest& request) {
  const std::string name = request.name.empty() ? "token" : request.name;
  if (auto ok = check_label("token name", name); !ok) return ok.error();
  if (request.kind == TokenKind::client && request.policies.empty()) {
    return Error::invalid("policies: a client token needs at least one policy");
  }
  if (request.kind == TokenKind::management && !request.policies.empty()) {
    return Error::invalid("policies: a management token has every scope; it takes no policy");
  }
  if (request.ttl_seconds && (*request.ttl_seconds == 0 || *request.ttl_seconds > kMaxTtlSeconds)) {
    return Error::invalid("ttl_seconds: between 1 and " + std::to_string(kMaxTtlSeconds) + " (10 years)");
  }
  const auto now = clock_();
  std::optional<std::int64_t> expires;
  if (request.ttl_seconds) expires = now + static_cast<std::int64_t>(*request.ttl_seconds);
  return modify<IssuedToken>([&](AuthState& s) -> Result<IssuedToken> {
    for (const auto& name_of_policy : request.policies) {
      if (std::none_of(s.policies.begin(), s.policies.end(), [&](const Policy& p) { return p.name == name_of_policy; })) {
        return Error::invalid("policies: no policy named '" + name_of_policy + "' (create it first)");
      }
    }
    return issue(s, name, request.kind, request.policies, now, expires);
  });
}

Result<TokenInfo> TokenService::revoke_token(const std::string& id) {
  return modify<TokenInfo>([&](AuthState& s) -> Result<TokenInfo> {
    auto it = std::find_if(s.tokens.begin(), s.tokens.end(), [&](const StoredToken& t) { return t.info.id == id; });
    if (it == s.tokens.end()) return Error::not_found("no token with id '" + id + "'");
    TokenInfo info = it->info;
    s.tokens.erase(it);
    return info;
  });
}

}  // namespace cc::auth
