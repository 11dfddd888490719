#include "aws/sigv4.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdio>
#include <map>
#include <stdexcept>
#include <vector>

namespace cc::aws {

namespace {

constexpr std::string_view kAlgorithm = "AWS4-HMAC-SHA256";

std::string to_hex(const unsigned char* data, std::size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(size * 2);
  for (std::size_t i = 0; i < size; ++i) {
    out += kHex[data[i] >> 4];
    out += kHex[data[i] & 15];
  }
  return out;
}

void hmac_sha256(const unsigned char* key, std::size_t key_size, std::string_view data, unsigned char out[32]) {
  unsigned int len = 0;
  if (HMAC(EVP_sha256(), key, static_cast<int>(key_size), reinterpret_cast<const unsigned char*>(data.data()),
           data.size(), out, &len) == nullptr ||
      len != 32) {
    throw std::runtime_error("HMAC-SHA256 failed in OpenSSL");
  }
}

bool is_unreserved(unsigned char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == '~';
}

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Decodes %XX; a '%' not followed by two hex digits stays as it is (then gets encoded as %25).
std::string percent_decode(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      const int hi = hex_value(text[i + 1]);
      const int lo = hex_value(text[i + 2]);
      if (hi >= 0 && lo >= 0) {
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        continue;
      }
    }
    out += text[i];
  }
  return out;
}

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

// Header values are trimmed and inner runs of white space (folded lines included) become one space.
std::string canonical_value(std::string_view value) {
  std::string out;
  bool pending_space = false;
  for (char c : value) {
    if (is_space(c)) {
      pending_space = !out.empty();
      continue;
    }
    if (pending_space) out += ' ';
    pending_space = false;
    out += c;
  }
  return out;
}

std::string lowercase(std::string_view s) {
  std::string out(s);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c); });
  return out;
}

bool owned_by_signer(const std::string& lower_name) {
  return lower_name == "authorization" || lower_name == "x-amz-date" || lower_name == "x-amz-security-token" ||
         lower_name == "x-amz-content-sha256";
}

// Lowercased name -> values joined by ',' in the order given; std::map sorts the names.
using CanonicalHeaders = std::map<std::string, std::string>;

CanonicalHeaders collect_headers(const Headers& headers) {
  CanonicalHeaders out;
  for (const auto& [name, value] : headers) {
    auto lower = lowercase(name);
    if (owned_by_signer(lower)) continue;
    auto [it, inserted] = out.try_emplace(std::move(lower), canonical_value(value));
    if (!inserted) it->second += "," + canonical_value(value);
  }
  return out;
}

std::string signed_header_list(const CanonicalHeaders& headers) {
  std::string out;
  for (const auto& [name, value] : headers) {
    if (!out.empty()) out += ';';
    out += name;
  }
  return out;
}

std::string date_of(const std::string& amz_date_text) {
  return amz_date_text.substr(0, 8);
}

std::string scope_of(const std::string& date, const SigningParams& params) {
  return date + "/" + params.region + "/" + params.service + "/aws4_request";
}

std::string build_canonical_request(const AwsRequest& request, const SigningParams& params, std::string_view query,
                                    const CanonicalHeaders& headers, std::string_view payload_hash) {
  std::string out =
      request.method + "\n" + canonical_uri(request.path, params.normalize_path) + "\n" + canonical_query(query) + "\n";
  for (const auto& [name, value] : headers) out += name + ":" + value + "\n";
  out += "\n" + signed_header_list(headers) + "\n";
  out += payload_hash;
  return out;
}

std::string build_string_to_sign(const std::string& date_time, const std::string& scope,
                                 const std::string& canonical_request) {
  return std::string(kAlgorithm) + "\n" + date_time + "\n" + scope + "\n" + sha256_hex(canonical_request);
}

std::string compute_signature(const Credentials& credentials, const std::string& date, const SigningParams& params,
                              std::string_view string_to_sign) {
  const auto key = derive_signing_key(credentials.secret_access_key, date, params.region, params.service);
  unsigned char mac[32];
  hmac_sha256(key.data(), key.size(), string_to_sign, mac);
  return to_hex(mac, sizeof mac);
}

}  // namespace

void scrub(std::string& s) {
  s.resize(s.capacity());
  OPENSSL_cleanse(s.data(), s.size());
  s.clear();
}

Credentials::Credentials(std::string key_id, std::string secret, std::string token,
                         std::optional<std::chrono::system_clock::time_point> expires)
    : access_key_id(std::move(key_id)),
      secret_access_key(std::move(secret)),
      session_token(std::move(token)),
      expiration(expires) {}

Credentials::~Credentials() {
  scrub(secret_access_key);
  scrub(session_token);
}

std::string uri_encode(std::string_view text, bool keep_slash) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (char ch : text) {
    const auto c = static_cast<unsigned char>(ch);
    if (is_unreserved(c) || (keep_slash && c == '/')) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

std::string canonical_uri(std::string_view path, bool normalize) {
  if (path.empty()) return "/";
  if (!normalize) return uri_encode(path, true);
  // RFC 3986 dot-segment removal, plus dropping empty segments ("//"), as the services expect.
  std::vector<std::string_view> segments;
  bool trailing_slash = false;
  std::size_t start = 0;
  while (start <= path.size()) {
    const auto end = std::min(path.find('/', start), path.size());
    const auto segment = path.substr(start, end - start);
    const bool last = end == path.size();
    if (segment == "..") {
      if (!segments.empty()) segments.pop_back();
    } else if (!segment.empty() && segment != ".") {
      segments.push_back(segment);
    }
    if (last) trailing_slash = segment.empty() || segment == "." || segment == "..";
    start = end + 1;
  }
  std::string out;
  for (const auto segment : segments) out += "/" + uri_encode(segment, false);
  if (out.empty() || trailing_slash) out += '/';
  return out;
}

std::string canonical_query(std::string_view query) {
  std::vector<std::pair<std::string, std::string>> params;
  std::size_t start = 0;
  while (start <= query.size()) {
    const auto end = std::min(query.find('&', start), query.size());
    const auto pair = query.substr(start, end - start);
    if (!pair.empty()) {
      const auto eq = pair.find('=');
      const auto name = pair.substr(0, eq);
      const auto value = eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1);
      params.emplace_back(uri_encode(percent_decode(name), false), uri_encode(percent_decode(value), false));
    }
    start = end + 1;
  }
  std::sort(params.begin(), params.end());
  std::string out;
  for (const auto& [name, value] : params) {
    if (!out.empty()) out += '&';
    out += name + "=" + value;
  }
  return out;
}

std::string amz_date(std::chrono::system_clock::time_point time) {
  const auto days = std::chrono::floor<std::chrono::days>(time);
  const std::chrono::year_month_day ymd{days};
  const std::chrono::hh_mm_ss hms{std::chrono::floor<std::chrono::seconds>(time - days)};
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04d%02u%02uT%02d%02d%02dZ", static_cast<int>(ymd.year()),
                static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()),
                static_cast<int>(hms.hours().count()), static_cast<int>(hms.minutes().count()),
                static_cast<int>(hms.seconds().count()));
  return buf;
}

std::string sha256_hex(std::string_view data) {
  unsigned char digest[32];
  unsigned int len = 0;
  if (EVP_Digest(data.data(), data.size(), digest, &len, EVP_sha256(), nullptr) != 1 || len != 32) {
    throw std::runtime_error("SHA-256 failed in OpenSSL");
  }
  return to_hex(digest, sizeof digest);
}

SecretBytes<32> derive_signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                                   std::string_view service) {
  std::string first_key = "AWS4";
  first_key += secret_access_key;
  Bytes<32> a{}, b{};
  hmac_sha256(reinterpret_cast<const unsigned char*>(first_key.data()), first_key.size(), date, a.data());
  scrub(first_key);
  hmac_sha256(a.data(), a.size(), region, b.data());
  hmac_sha256(b.data(), b.size(), service, a.data());
  hmac_sha256(a.data(), a.size(), "aws4_request", b.data());
  SecretBytes<32> key(b);
  OPENSSL_cleanse(a.data(), a.size());
  OPENSSL_cleanse(b.data(), b.size());
  return key;
}

SignedRequest sign_headers(const AwsRequest& request, const Credentials& credentials, const SigningParams& params) {
  const auto date_time = amz_date(params.time);
  const auto date = date_of(date_time);
  const auto payload_hash = sha256_hex(request.body);
  const bool has_token = !credentials.session_token.empty();

  auto headers = collect_headers(request.headers);
  headers["x-amz-date"] = date_time;
  if (has_token && params.sign_session_token) headers["x-amz-security-token"] = credentials.session_token;
  if (params.sign_body) headers["x-amz-content-sha256"] = payload_hash;

  SignedRequest out;
  out.credential_scope = scope_of(date, params);
  out.signed_headers = signed_header_list(headers);
  out.canonical_request = build_canonical_request(request, params, request.query, headers, payload_hash);
  out.string_to_sign = build_string_to_sign(date_time, out.credential_scope, out.canonical_request);
  out.signature = compute_signature(credentials, date, params, out.string_to_sign);

  if (has_token) out.headers.emplace_back("X-Amz-Security-Token", credentials.session_token);
  out.headers.emplace_back("X-Amz-Date", date_time);
  if (params.sign_body) out.headers.emplace_back("x-amz-content-sha256", payload_hash);
  out.headers.emplace_back("Authorization", std::string(kAlgorithm) + " Credential=" + credentials.access_key_id + "/" +
                                                out.credential_scope + ", SignedHeaders=" + out.signed_headers +
                                                ", Signature=" + out.signature);
  return out;
}

void sign_request(AwsRequest& request, const Credentials& credentials, const SigningParams& params) {
  auto signed_request = sign_headers(request, credentials, params);
  std::erase_if(request.headers, [](const auto& h) { return owned_by_signer(lowercase(h.first)); });
  for (auto& h : signed_request.headers) request.headers.push_back(std::move(h));
}

PresignedRequest presign_query(const AwsRequest& request, const Credentials& credentials, const SigningParams& params,
                               std::chrono::seconds expires) {
  const auto date_time = amz_date(params.time);
  const auto date = date_of(date_time);
  const auto scope = scope_of(date, params);
  const auto headers = collect_headers(request.headers);
  const bool has_token = !credentials.session_token.empty();

  // In the order the signed URL carries them; canonical_query() sorts them for signing.
  std::string added = "X-Amz-Algorithm=" + std::string(kAlgorithm) +
                      "&X-Amz-Credential=" + uri_encode(credentials.access_key_id + "/" + scope, false) +
                      "&X-Amz-Date=" + date_time +
                      "&X-Amz-SignedHeaders=" + uri_encode(signed_header_list(headers), false) +
                      "&X-Amz-Expires=" + std::to_string(expires.count());
  const std::string token = has_token ? "&X-Amz-Security-Token=" + uri_encode(credentials.session_token, false) : "";
  std::string query = request.query.empty() ? added : request.query + "&" + added;
  if (params.sign_session_token) query += token;

  PresignedRequest out;
  out.canonical_request = build_canonical_request(request, params, query, headers, sha256_hex(request.body));
  out.string_to_sign = build_string_to_sign(date_time, scope, out.canonical_request);
  out.signature = compute_signature(credentials, date, params, out.string_to_sign);
  if (!params.sign_session_token) query += token;
  out.query = query + "&X-Amz-Signature=" + out.signature;
  return out;
}

}  // namespace cc::aws
