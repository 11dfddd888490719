#pragma once
// AWS Signature Version 4: the canonical request, the string to sign, the derived signing key
// and the signature, for header signing (Authorization) and query signing (presigned URLs).
// Pure functions over their arguments: no clock, no I/O, thread-safe. The intermediate strings
// are returned so tests can compare them with the official test suite.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "aws/transport.hpp"
#include "core/bytes.hpp"

namespace cc::aws {

// One set of AWS credentials. The secret key and session token are overwritten when the object
// is destroyed and never printed; copy it as little as possible (CredentialChain hands out
// shared pointers).
struct Credentials {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;                                        // empty for long-term keys
  std::optional<std::chrono::system_clock::time_point> expiration;  // none: does not expire

  Credentials() = default;
  Credentials(std::string key_id, std::string secret, std::string token = {},
              std::optional<std::chrono::system_clock::time_point> expires = std::nullopt);
  Credentials(const Credentials&) = default;
  Credentials(Credentials&&) noexcept = default;
  Credentials& operator=(const Credentials&) = default;
  Credentials& operator=(Credentials&&) noexcept = default;
  ~Credentials();
};

// Overwrites the whole buffer of `s` (not only its current length) and empties it: for strings
// that held a secret (keys, tokens, answers carrying credentials).
void scrub(std::string& s);

struct SigningParams {
  std::string region;   // "us-east-1"
  std::string service;  // signing name: "dynamodb", "kms", "sts"
  std::chrono::system_clock::time_point time;
  // Remove "." and ".." segments and empty segments from the path before signing. Every
  // service except S3 expects this (and S3 also skips the second URI encoding, unsupported here).
  bool normalize_path = true;
  // Add and sign x-amz-content-sha256 (the hex SHA-256 of the body). Optional except for S3.
  bool sign_body = false;
  // Sign X-Amz-Security-Token. A few services want it added after signing instead (false).
  bool sign_session_token = true;
};

// What header signing computed. `headers` are the ones to add to the request, in this order:
// X-Amz-Security-Token (when a session token exists), X-Amz-Date, x-amz-content-sha256 (when
// sign_body), Authorization.
struct SignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;         // lowercase hex
  std::string signed_headers;    // "host;x-amz-date"
  std::string credential_scope;  // "20150830/us-east-1/service/aws4_request"
  Headers headers;
};

// Signs `request` with the Authorization header. Its headers must include Host; headers the
// signer owns (Authorization, X-Amz-Date, X-Amz-Security-Token, x-amz-content-sha256) are
// ignored if present, so a request can be signed again for a retry. Every other header is signed.
SignedRequest sign_headers(const AwsRequest& request, const Credentials& credentials, const SigningParams& params);

// sign_headers() and then replaces the signer-owned headers of `request` with the new ones.
void sign_request(AwsRequest& request, const Credentials& credentials, const SigningParams& params);

// What query signing computed; `query` replaces the request's query string (it keeps the
// caller's parameters and appends X-Amz-Algorithm, -Credential, -Date, -SignedHeaders,
// -Expires, -Security-Token and -Signature).
struct PresignedRequest {
  std::string canonical_request;
  std::string string_to_sign;
  std::string signature;
  std::string query;
};

// Query signing: the signature travels in the URL, valid for `expires` after params.time.
PresignedRequest presign_query(const AwsRequest& request, const Credentials& credentials, const SigningParams& params,
                               std::chrono::seconds expires);

// The building blocks, exposed for tests and for callers that sign other shapes.

// Percent-encodes every byte except A-Z a-z 0-9 - _ . ~ (and '/' when keep_slash), as
// uppercase %XX. This is RFC 3986 encoding, as SigV4 requires; '+' is never a space.
std::string uri_encode(std::string_view text, bool keep_slash);
// The canonical URI: `path` as sent (normalized when asked), URI-encoded once more.
std::string canonical_uri(std::string_view path, bool normalize);
// The canonical query: each name and value decoded and re-encoded, sorted by name then value.
std::string canonical_query(std::string_view query);
// "20150830T123600Z" (UTC).
std::string amz_date(std::chrono::system_clock::time_point time);
// Lowercase hex SHA-256 of `data`.
std::string sha256_hex(std::string_view data);
// HMAC chain "AWS4"+secret -> date ("20150830") -> region -> service -> "aws4_request".
SecretBytes<32> derive_signing_key(std::string_view secret_access_key, std::string_view date, std::string_view region,
                                   std::string_view service);

}  // namespace cc::aws
