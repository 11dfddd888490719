#include "aws/kms.hpp"

#include <cstring>

#include "aws/json_errors.hpp"
#include "aws/sigv4.hpp"

namespace cc::aws {

namespace {

constexpr std::string_view kTargetPrefix = "TrentService.";

// Rejected credentials or signatures: the request never reached the key, so the fix is in
// the signer's identity or clock, not in the key policy.
bool is_credentials_error(std::string_view type) {
  return type == "UnrecognizedClientException" || type == "InvalidSignatureException" ||
         type == "MissingAuthenticationTokenException" || type == "IncompleteSignatureException" ||
         type == "ExpiredTokenException" || type == "InvalidClientTokenId" || type == "SignatureDoesNotMatch";
}

boost::json::object context_json(const EncryptionContext& context) {
  boost::json::object out;
  for (const auto& [name, value] : context) out[name] = value;
  return out;
}

std::string string_field(const boost::json::object& o, std::string_view name) {
  const auto* v = o.if_contains(name);
  return v != nullptr && v->is_string() ? std::string(v->as_string()) : std::string();
}

// Overwrites a string field of a parsed answer that held plaintext.
void scrub_field(boost::json::object& o, std::string_view name) {
  if (auto* v = o.if_contains(name); v != nullptr && v->is_string()) {
    auto& s = v->as_string();
    secure_zero(s.data(), s.size());
  }
}

// A base64 blob field of an answer, or an Error naming it.
Result<ByteVector> blob_field(const boost::json::object& o, std::string_view name, const std::string& what) {
  const auto* v = o.if_contains(name);
  if (v == nullptr || !v->is_string()) return Error::unavailable(what + ": the answer has no " + std::string(name));
  auto bytes = from_base64(std::string_view(v->as_string()));
  if (!bytes) return Error::unavailable(what + ": " + std::string(name) + " is not base64: " + bytes.error().message);
  return std::move(*bytes);
}

// The Plaintext field of an answer as a zeroising buffer; the intermediate copies are wiped.
Result<KmsPlaintext> plaintext_field(boost::json::object& o, const std::string& what) {
  auto bytes = blob_field(o, "Plaintext", what);
  scrub_field(o, "Plaintext");
  if (!bytes) return bytes.error();
  KmsPlaintext plaintext(*bytes);
  secure_zero(bytes->data(), bytes->size());
  return plaintext;
}

std::string quoted(std::string_view key) {
  return "KMS key '" + std::string(key) + "'";
}

}  // namespace

KmsPlaintext::KmsPlaintext(std::span<const std::uint8_t> bytes)
    : bytes_(bytes.empty() ? nullptr : new std::uint8_t[bytes.size()]), size_(bytes.size()) {
  if (!bytes.empty()) std::memcpy(bytes_.get(), bytes.data(), bytes.size());
}

KmsPlaintext::KmsPlaintext(KmsPlaintext&& other) noexcept : bytes_(std::move(other.bytes_)), size_(other.size_) {
  other.size_ = 0;
}

KmsPlaintext& KmsPlaintext::operator=(KmsPlaintext&& other) noexcept {
  if (this != &other) {
    if (bytes_) secure_zero(bytes_.get(), size_);
    bytes_ = std::move(other.bytes_);
    size_ = other.size_;
    other.size_ = 0;
  }
  return *this;
}

KmsPlaintext::~KmsPlaintext() {
  if (bytes_) secure_zero(bytes_.get(), size_);
}

Kms::Kms(Transport& transport) : transport_(transport) {}

std::string Kms::describe() const {
  return transport_.describe();
}

Result<boost::json::object> Kms::call(std::string_view operation, std::string_view key,
                                      boost::json::object body) const {
  AwsRequest request;
  request.headers = {{"Content-Type", "application/x-amz-json-1.1"},
                     {"X-Amz-Target", std::string(kTargetPrefix) + std::string(operation)}};
  request.body = boost::json::serialize(body);
  // Encrypt carries plaintext; KMS operations are all safe to repeat (a repeated Encrypt or
  // GenerateDataKey only makes another ciphertext nobody keeps).
  auto res = transport_.send(request, Retry::idempotent);
  scrub(request.body);
  scrub_field(body, "Plaintext");
  if (!res) return res.error();
  boost::system::error_code ec;
  auto parsed = boost::json::parse(res->body, ec);
  scrub(res->body);  // Decrypt and GenerateDataKey answers carry plaintext
  const std::string what = std::string(operation) + " with " +
                           (key.empty() ? std::string("the ciphertext's KMS key") : quoted(key)) + " on " + describe();
  if (res->status == 200) {
    if (ec || !parsed.is_object()) return Error::unavailable(what + ": unreadable answer");
    return std::move(parsed.as_object());
  }
  const boost::json::object empty;
  const auto& answer = (!ec && parsed.is_object()) ? parsed.as_object() : empty;
  const auto type = json_error_type(answer);
  const auto message = json_error_message(answer);
  const std::string detail =
      (type.empty() ? "HTTP " + std::to_string(res->status) : type) + (message.empty() ? "" : ": " + message);
  if (type == "AccessDeniedException" || res->status == 403) return Error::forbidden(what + ": " + detail);
  if (is_credentials_error(type)) {
    return Error::forbidden(what + ": AWS refused the request's credentials or signature: " + detail);
  }
  if (type == "NotFoundException") return Error::not_found(what + ": no such key: " + detail);
  if (type == "DisabledException") return Error::unavailable(what + ": key disabled: " + detail);
  if (type == "KMSInvalidStateException") {
    return Error::unavailable(what +
                              ": key not usable in its current state (disabled, pending deletion or "
                              "import): " +
                              detail);
  }
  if (type == "KeyUnavailableException") return Error::unavailable(what + ": key unavailable: " + detail);
  if (type == "InvalidCiphertextException") {
    return Error::invalid(what + ": ciphertext refused (tampered, or another encryption context): " + detail);
  }
  if (type == "IncorrectKeyException") {
    return Error::invalid(what + ": the ciphertext was not made by this key: " + detail);
  }
  if (type == "InvalidKeyUsageException" || type == "ValidationException" || type == "SerializationException" ||
      type == "InvalidGrantTokenException") {
    return Error::invalid(what + ": " + detail);
  }
  return Error::unavailable(what + ": " + detail);
}

Result<EncryptResult> Kms::encrypt(std::string_view key_id, std::span<const std::uint8_t> plaintext,
                                   const EncryptionContext& context) const {
  if (plaintext.empty() || plaintext.size() > kMaxPlaintext) {
    return Error::invalid("Encrypt with " + quoted(key_id) + ": KMS takes 1 to " + std::to_string(kMaxPlaintext) +
                          " bytes of plaintext, not " + std::to_string(plaintext.size()));
  }
  auto encoded = to_base64(plaintext);
  boost::json::object body{{"KeyId", key_id}, {"Plaintext", encoded}};
  scrub(encoded);  // call() scrubs the copies it makes
  if (!context.empty()) body["EncryptionContext"] = context_json(context);
  auto r = call("Encrypt", key_id, std::move(body));
  if (!r) return r.error();
  const std::string what = "Encrypt with " + quoted(key_id) + " on " + describe();
  auto ciphertext = blob_field(*r, "CiphertextBlob", what);
  if (!ciphertext) return ciphertext.error();
  return EncryptResult{std::move(*ciphertext), string_field(*r, "KeyId")};
}

Result<DecryptResult> Kms::decrypt(std::span<const std::uint8_t> ciphertext, const EncryptionContext& context,
                                   std::string_view key_id) const {
  if (ciphertext.empty()) {
    return Error::invalid("Decrypt" + (key_id.empty() ? std::string() : " with " + quoted(key_id)) +
                          ": empty ciphertext");
  }
  boost::json::object body{{"CiphertextBlob", to_base64(ciphertext)}};
  if (!context.empty()) body["EncryptionContext"] = context_json(context);
  if (!key_id.empty()) body["KeyId"] = key_id;
  auto r = call("Decrypt", key_id, std::move(body));
  if (!r) return r.error();
  const std::string what = "Decrypt with " +
                           (key_id.empty() ? std::string("the ciphertext's KMS key") : quoted(key_id)) + " on " +
                           describe();
  auto plaintext = plaintext_field(*r, what);
  if (!plaintext) return plaintext.error();
  return DecryptResult{std::move(*plaintext), string_field(*r, "KeyId")};
}

Result<RecipientDecryptResult> Kms::decrypt_for_recipient(std::span<const std::uint8_t> ciphertext,
                                                          const EncryptionContext& context, std::string_view key_id,
                                                          std::span<const std::uint8_t> attestation_document) const {
  if (ciphertext.empty() || attestation_document.empty()) {
    return Error::invalid("Decrypt (for recipient) with " + quoted(key_id) + ": empty ciphertext or attestation document");
  }
  boost::json::object body{{"CiphertextBlob", to_base64(ciphertext)},
                           {"Recipient", boost::json::object{{"KeyEncryptionAlgorithm", "RSAES_OAEP_SHA_256"},
                                                             {"AttestationDocument", to_base64(attestation_document)}}}};
  if (!context.empty()) body["EncryptionContext"] = context_json(context);
  if (!key_id.empty()) body["KeyId"] = key_id;
  auto r = call("Decrypt", key_id, std::move(body));
  if (!r) return r.error();
  const std::string what = "Decrypt (for recipient) with " + quoted(key_id) + " on " + describe();
  if (const auto* p = r->if_contains("Plaintext"); p != nullptr && p->is_string() && !p->as_string().empty()) {
    scrub_field(*r, "Plaintext");
    return Error::unavailable(what + ": the answer carried the plaintext in the clear instead of for the recipient");
  }
  auto sealed = blob_field(*r, "CiphertextForRecipient", what);
  if (!sealed) return sealed.error();
  return RecipientDecryptResult{std::move(*sealed), string_field(*r, "KeyId")};
}

Result<DataKey> Kms::generate_data_key(std::string_view key_id, std::size_t bytes,
                                       const EncryptionContext& context) const {
  if (bytes == 0 || bytes > kMaxDataKey) {
    return Error::invalid("GenerateDataKey with " + quoted(key_id) + ": KMS makes 1 to " + std::to_string(kMaxDataKey) +
                          " bytes, not " + std::to_string(bytes));
  }
  boost::json::object body{{"KeyId", key_id}, {"NumberOfBytes", bytes}};
  if (!context.empty()) body["EncryptionContext"] = context_json(context);
  auto r = call("GenerateDataKey", key_id, std::move(body));
  if (!r) return r.error();
  const std::string what = "GenerateDataKey with " + quoted(key_id) + " on " + describe();
  auto ciphertext = blob_field(*r, "CiphertextBlob", what);
  if (!ciphertext) {
    scrub_field(*r, "Plaintext");
    return ciphertext.error();
  }
  auto plaintext = plaintext_field(*r, what);
  if (!plaintext) return plaintext.error();
  if (plaintext->size() != bytes) {
    return Error::unavailable(what + ": asked for " + std::to_string(bytes) + " bytes, got " +
                              std::to_string(plaintext->size()));
  }
  return DataKey{std::move(*plaintext), std::move(*ciphertext), string_field(*r, "KeyId")};
}

Result<KeyInfo> Kms::describe_key(std::string_view key_id) const {
  auto r = call("DescribeKey", key_id, {{"KeyId", key_id}});
  if (!r) return r.error();
  const auto* metadata = r->if_contains("KeyMetadata");
  if (metadata == nullptr || !metadata->is_object()) {
    return Error::unavailable("DescribeKey with " + quoted(key_id) + " on " + describe() + ": no KeyMetadata");
  }
  const auto& m = metadata->as_object();
  KeyInfo info;
  info.arn = string_field(m, "Arn");
  info.key_id = string_field(m, "KeyId");
  info.account = string_field(m, "AWSAccountId");
  if (const auto* enabled = m.if_contains("Enabled"); enabled != nullptr && enabled->is_bool()) {
    info.enabled = enabled->as_bool();
  }
  info.state = string_field(m, "KeyState");
  info.usage = string_field(m, "KeyUsage");
  // KeySpec replaced CustomerMasterKeySpec; older answers (and some stand-ins) only have the latter.
  info.spec = string_field(m, "KeySpec");
  if (info.spec.empty()) info.spec = string_field(m, "CustomerMasterKeySpec");
  return info;
}

Result<std::string> region_of_arn(std::string_view arn) {
  // arn:<partition>:kms:<region>:<account>:<key/… | alias/…>
  const auto bad = [&](std::string_view why) {
    return Error::invalid("'" + std::string(arn) + "' is not a KMS key or alias ARN (" + std::string(why) + ")");
  };
  std::string_view fields[6];
  std::string_view rest = arn;
  for (int i = 0; i < 5; ++i) {
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) return bad("expected arn:<partition>:kms:<region>:<account>:key/<id>");
    fields[i] = rest.substr(0, colon);
    rest.remove_prefix(colon + 1);
  }
  fields[5] = rest;
  if (fields[0] != "arn") return bad("it does not start with arn:");
  if (fields[2] != "kms") return bad("service '" + std::string(fields[2]) + "', not kms");
  if (fields[3].empty()) return bad("no region");
  for (char c : fields[3]) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return bad("malformed region");
  }
  if (!fields[5].starts_with("key/") && !fields[5].starts_with("alias/")) return bad("no key/ or alias/ resource");
  return std::string(fields[3]);
}

}  // namespace cc::aws
