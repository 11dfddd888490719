#include "auth/authenticator.hpp"

#include "auth/constant_time.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

namespace cc::auth {

namespace {

bool iequals_prefix(std::string_view text, std::string_view prefix) {
  if (text.size() < prefix.size()) return false;
  for (std::size_t i = 0; i < prefix.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(text[i])) != prefix[i]) return false;
  }
  return true;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

}  // namespace

std::optional<std::string> token_from_header(std::string_view authorization) {
  authorization = trim(authorization);
  if (iequals_prefix(authorization, "bearer ")) {
    auto token = trim(authorization.substr(7));
    if (token.empty()) return std::nullopt;
    return std::string(token);
  }
  if (iequals_prefix(authorization, "basic ")) {
    auto raw = from_base64(trim(authorization.substr(6)));
    if (!raw) return std::nullopt;
    const std::string decoded_text(raw->begin(), raw->end());
    const std::string* decoded = &decoded_text;
    auto colon = decoded->find(':');
    if (colon == std::string::npos || colon + 1 == decoded->size()) return std::nullopt;
    return decoded->substr(colon + 1);
  }
  return std::nullopt;
}

Status check_static_token(std::string_view token) {
  if (token.size() < 16) return Error::invalid("token is shorter than 16 characters");
  for (char c : token) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
    if (!ok) return Error::invalid("token may only hold letters, digits and '-'");
  }
  return {};
}

Authenticator::Authenticator(std::vector<TokenPolicy> policies, std::optional<Policy> unauthenticated)
    : unauthenticated_(std::move(unauthenticated)) {
  if (RAND_bytes(key_.data(), static_cast<int>(key_.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  for (auto& p : policies) {
    entries_.push_back({hash(p.token), std::move(p.policy)});
    OPENSSL_cleanse(p.token.data(), p.token.size());
  }
}

Bytes<32> Authenticator::hash(std::string_view token) const {
  Bytes<32> out{};
  unsigned int len = 0;
  HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()), reinterpret_cast<const unsigned char*>(token.data()),
       token.size(), out.data(), &len);
  return out;
}

const Policy* Authenticator::find(std::string_view token) const {
  const auto h = hash(token);
  const Policy* found = nullptr;
  // Every entry is compared, so the time taken does not depend on which one matches.
  for (const auto& e : entries_) {
    if (constant_time_equal(e.token_hash, h)) found = &e.policy;
  }
  return found;
}

}  // namespace cc::auth
