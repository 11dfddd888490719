#include "sigv4_check.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <vector>

namespace cc::aws::test {

namespace {

using Clock = std::chrono::system_clock;

std::optional<Clock::time_point> parse_amz_date(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  char z = 0;
  if (text.size() != 16 || std::sscanf(text.c_str(), "%4d%2d%2dT%2d%2d%2d%c", &y, &mo, &d, &h, &mi, &s, &z) != 7 ||
      z != 'Z') {
    return std::nullopt;
  }
  const std::chrono::year_month_day day{std::chrono::year{y} / mo / d};
  if (!day.ok()) return std::nullopt;
  return std::chrono::sys_days{day} + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

std::vector<std::string> split(std::string_view text, char separator) {
  std::vector<std::string> out;
  for (;;) {
    const auto at = text.find(separator);
    out.emplace_back(text.substr(0, at));
    if (at == std::string_view::npos) return out;
    text.remove_prefix(at + 1);
  }
}

std::string trim(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return std::string(s);
}

SigV4Verdict reject(std::string type, std::string message) {
  return {"", std::move(type), std::move(message)};
}

}  // namespace

SigV4Verdict check_sigv4(const StandInRequest& request, std::string_view region, std::string_view service,
                         const CredentialsLookup& lookup, Clock::time_point now) {
  const auto authorization = request.header("Authorization");
  if (authorization.empty()) return reject("MissingAuthenticationTokenException", "Missing Authentication Token");
  constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256 ";
  if (!authorization.starts_with(kAlgorithm)) {
    return reject("IncompleteSignatureException", "Unsupported signature algorithm in Authorization header");
  }
  std::map<std::string, std::string> parts;
  for (const auto& part : split(std::string_view(authorization).substr(kAlgorithm.size()), ',')) {
    const auto eq = part.find('=');
    if (eq != std::string::npos) parts[trim(part.substr(0, eq))] = trim(part.substr(eq + 1));
  }
  if (!parts.contains("Credential") || !parts.contains("SignedHeaders") || !parts.contains("Signature")) {
    return reject("IncompleteSignatureException",
                  "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters");
  }
  const auto scope = split(parts["Credential"], '/');
  if (scope.size() != 5) return reject("IncompleteSignatureException", "Credential is malformed");
  const auto known = lookup(scope[0]);
  // An unknown key id and a session token that does not belong to it read the same from outside.
  const auto token = request.header("X-Amz-Security-Token");
  if (!known || token != known->session_token) {
    return reject("UnrecognizedClientException", "The security token included in the request is invalid.");
  }
  const auto date = request.header("X-Amz-Date");
  const auto time = parse_amz_date(date);
  if (!time) return reject("IncompleteSignatureException", "X-Amz-Date is missing or malformed");
  if (scope[1] != date.substr(0, 8) || scope[4] != "aws4_request") {
    return reject("InvalidSignatureException", "Credential should be scoped to a valid date and aws4_request");
  }
  if (scope[2] != region) {
    return reject("InvalidSignatureException", "Credential should be scoped to a valid region, not '" + scope[2] +
                                                   "'; expecting '" + std::string(region) + "'");
  }
  if (scope[3] != service) {
    return reject("InvalidSignatureException",
                  "Credential should be scoped to correct service: '" + std::string(service) + "'");
  }
  if (*time > now + kMaxSigningSkew || *time < now - kMaxSigningSkew) {
    return reject("InvalidSignatureException", "Signature expired: " + date + " is not within 5 minutes of now");
  }

  // Recomputed over exactly the headers the client says it signed, as received.
  AwsRequest signed_part;
  signed_part.method = request.method;
  const auto question = request.target.find('?');
  signed_part.path = request.target.substr(0, question);
  if (question != std::string::npos) signed_part.query = request.target.substr(question + 1);
  signed_part.body = request.body;
  SigningParams params{std::string(region), std::string(service), *time};
  params.sign_session_token = false;
  const auto signed_names = split(parts["SignedHeaders"], ';');
  for (const auto& name : signed_names) {
    if (name == "x-amz-security-token") {
      params.sign_session_token = true;
    } else if (name == "x-amz-content-sha256") {
      params.sign_body = true;
    } else if (name != "x-amz-date" && name != "authorization") {
      signed_part.headers.emplace_back(name, request.header(name));
    }
  }
  const auto expected = sign_headers(signed_part, *known, params);
  const auto& given = parts["Signature"];
  const bool host_signed = std::find(signed_names.begin(), signed_names.end(), "host") != signed_names.end();
  if (!host_signed || expected.signed_headers != parts["SignedHeaders"] || given.size() != expected.signature.size() ||
      CRYPTO_memcmp(given.data(), expected.signature.data(), given.size()) != 0) {
    return reject("InvalidSignatureException",
                  "The request signature we calculated does not match the signature you provided. Check your AWS "
                  "Secret Access Key and signing method.");
  }
  return {scope[0], "", ""};
}

}  // namespace cc::aws::test
