#include "kms_simulator.hpp"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include <boost/json.hpp>
#include <chrono>
#include <mutex>
#include <stdexcept>

#include "core/bytes.hpp"
#include "sigv4_check.hpp"
#include "tee/attestation_verifier.hpp"

namespace cc::aws::test {

namespace {

using Clock = std::chrono::system_clock;
constexpr std::string_view kTargetPrefix = "TrentService.";
constexpr std::uint8_t kBlobVersion = 1;
constexpr std::size_t kNonce = 12;
constexpr std::size_t kTag = 16;

// Why a request is refused, as KMS words it. Thrown inside the handler only, so each operation
// reads top to bottom; handle() turns it into the JSON error answer.
struct Refusal {
  unsigned status;
  std::string type;
  std::string message;
};

Refusal bad_request(std::string type, std::string message) {
  return {400, std::move(type), std::move(message)};
}

std::string random_uuid() {
  Bytes<16> b{};
  if (RAND_bytes(b.data(), static_cast<int>(b.size())) != 1) throw std::runtime_error("RAND_bytes failed");
  b[6] = static_cast<std::uint8_t>((b[6] & 0x0f) | 0x40);  // version 4
  b[8] = static_cast<std::uint8_t>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  const auto hex = to_hex(b).substr(2);
  return hex.substr(0, 8) + "-" + hex.substr(8, 4) + "-" + hex.substr(12, 4) + "-" + hex.substr(16, 4) + "-" +
         hex.substr(20);
}

// The request's EncryptionContext, checked as KMS does: an object of strings.
std::map<std::string, std::string> context_of(const boost::json::object& body) {
  std::map<std::string, std::string> out;
  const auto* c = body.if_contains("EncryptionContext");
  if (c == nullptr) return out;
  if (!c->is_object()) throw bad_request("SerializationException", "EncryptionContext must be a map of strings");
  for (const auto& [name, value] : c->as_object()) {
    if (!value.is_string()) throw bad_request("SerializationException", "EncryptionContext values must be strings");
    out.emplace(std::string(name), std::string(value.as_string()));
  }
  return out;
}

std::string string_member(const boost::json::object& body, std::string_view name, bool required) {
  const auto* v = body.if_contains(name);
  if (v == nullptr) {
    if (required) {
      throw bad_request("ValidationException", "1 validation error detected: Value null at '" + std::string(name) +
                                                   "' failed to satisfy constraint: Member must not be null");
    }
    return "";
  }
  if (!v->is_string()) throw bad_request("SerializationException", std::string(name) + " must be a string");
  return std::string(v->as_string());
}

ByteVector blob_member(const boost::json::object& body, std::string_view name) {
  auto b = from_base64(string_member(body, name, true));
  if (!b) throw bad_request("SerializationException", std::string(name) + " is not valid base64");
  return std::move(*b);
}

void append_u32(ByteVector& out, std::size_t n) {
  for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(n >> shift));
}

// The associated data of a blob: its header (which names the key) and the encryption context,
// each pair length-prefixed so no two contexts serialise alike.
ByteVector associated_data(std::span<const std::uint8_t> header, const std::map<std::string, std::string>& context) {
  ByteVector aad(header.begin(), header.end());
  for (const auto& [name, value] : context) {
    append_u32(aad, name.size());
    aad.insert(aad.end(), name.begin(), name.end());
    append_u32(aad, value.size());
    aad.insert(aad.end(), value.begin(), value.end());
  }
  return aad;
}

using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, decltype(&EVP_CIPHER_CTX_free)>;

}  // namespace

struct KmsSimulator::State {
  struct Key {
    std::string arn;
    std::string id;
    std::string account;
    std::string usage;
    std::string description;
    KmsKeyPolicy policy;
    bool default_policy = true;
    std::string state = "Enabled";
    bool unavailable = false;
    SecretBytes<32> secret;
    double created = 0;
    double deletion_date = 0;
  };
  struct Fault {
    KmsFault fault;
    unsigned left;
    std::string operation;
  };

  std::string region;
  bool tls = false;
  std::optional<tee::AttestationVerifier> attestation_root;
  mutable std::mutex mutex;
  std::map<std::string, KmsPrincipal> principals;  // by access key id
  std::map<std::string, Key> keys;                 // by ARN
  std::map<std::string, std::string> aliases;      // alias ARN → key ARN
  std::vector<Fault> faults;
  std::map<std::string, std::size_t, std::less<>> received, served;
  std::size_t rejected_signatures = 0;

  StandInReply handle(const StandInRequest& request);
  const KmsPrincipal& authenticate(const StandInRequest& request);
  void apply_injected_fault(const std::string& operation);
  boost::json::object serve(const std::string& operation, const KmsPrincipal& caller, const boost::json::object& body);

  Key& resolve(const KmsPrincipal& caller, const std::string& key_id);
  void authorize(const KmsPrincipal& caller, const Key& key, const std::string& operation) const;
  void check_usable(const Key& key, bool for_cryptography) const;
  std::string make_key(const std::string& account, KmsKeyOptions options);
  boost::json::object metadata(const Key& key) const;

  ByteVector seal(const Key& key, std::span<const std::uint8_t> plaintext,
                  const std::map<std::string, std::string>& context) const;
  ByteVector open(const boost::json::object& body, const KmsPrincipal& caller, std::string& key_arn);
  // The public key of a Recipient whose attestation document verifies and meets the key policy's
  // PCR conditions.
  ByteVector attested_recipient(const boost::json::value& recipient, const KmsKeyPolicy& policy,
                                const KmsPrincipal& caller, const std::string& arn) const;

  Key& key_by_arn(const std::string& arn) {
    auto it = keys.find(arn);
    if (it == keys.end()) throw std::invalid_argument("KMS simulator: no key " + arn);
    return it->second;
  }
};

StandInReply KmsSimulator::State::handle(const StandInRequest& request) {
  const auto target = request.header("X-Amz-Target");
  const std::string operation = target.starts_with(kTargetPrefix) ? target.substr(kTargetPrefix.size()) : target;
  std::lock_guard lock(mutex);
  ++received[operation];
  auto reply = [&](unsigned status, const boost::json::object& body) {
    StandInReply r;
    r.status = status;
    r.headers = {{"Content-Type", "application/x-amz-json-1.1"}, {"x-amzn-RequestId", random_uuid()}};
    r.body = boost::json::serialize(body);
    return r;
  };
  try {
    const auto& caller = authenticate(request);
    apply_injected_fault(operation);
    if (!target.starts_with(kTargetPrefix)) throw bad_request("UnknownOperationException", "");
    boost::system::error_code ec;
    const auto parsed = boost::json::parse(request.body, ec);
    if (ec || !parsed.is_object()) throw bad_request("SerializationException", "the body is not a JSON object");
    auto answer = serve(operation, caller, parsed.as_object());
    ++served[operation];
    return reply(200, answer);
  } catch (const Refusal& r) {
    return reply(r.status, {{"__type", r.type}, {"message", r.message}});
  }
}

// Who signed the request, as KMS checks it (sigv4_check.hpp).
const KmsPrincipal& KmsSimulator::State::authenticate(const StandInRequest& request) {
  const auto verdict = check_sigv4(request, region, "kms", [&](std::string_view id) -> std::optional<Credentials> {
    const auto it = principals.find(std::string(id));
    if (it == principals.end()) return std::nullopt;
    return Credentials(it->second.access_key_id, it->second.secret_access_key, it->second.session_token);
  });
  if (!verdict.accepted()) {
    ++rejected_signatures;
    throw bad_request(verdict.error_type, verdict.message);
  }
  return principals.at(verdict.access_key_id);
}

void KmsSimulator::State::apply_injected_fault(const std::string& operation) {
  for (auto it = faults.begin(); it != faults.end(); ++it) {
    if (!it->operation.empty() && it->operation != operation) continue;
    const auto fault = it->fault;
    if (--it->left == 0) faults.erase(it);
    switch (fault) {
      case KmsFault::throttling:
        throw bad_request("ThrottlingException", "Rate exceeded");
      case KmsFault::internal_error:
        throw Refusal{500, "KMSInternalException", "An internal error occurred"};
      case KmsFault::service_unavailable:
        throw Refusal{503, "ServiceUnavailableException", "Service unavailable"};
    }
  }
}

// A KeyId as KMS reads it: key ARN, alias ARN, "alias/<name>" or key id, the last two in the
// caller's own account.
KmsSimulator::State::Key& KmsSimulator::State::resolve(const KmsPrincipal& caller, const std::string& key_id) {
  std::string arn = key_id;
  const std::string account_prefix = "arn:aws:kms:" + region + ":" + caller.account + ":";
  if (key_id.starts_with("alias/")) {
    arn = account_prefix + key_id;
  } else if (!key_id.starts_with("arn:")) {
    arn = account_prefix + "key/" + key_id;
  }
  if (arn.find(":alias/") != std::string::npos) {
    const auto alias = aliases.find(arn);
    if (alias == aliases.end()) throw bad_request("NotFoundException", "Alias " + arn + " is not found.");
    arn = alias->second;
  }
  const auto key = keys.find(arn);
  if (key == keys.end()) throw bad_request("NotFoundException", "Key '" + arn + "' does not exist");
  return key->second;
}

void KmsSimulator::State::authorize(const KmsPrincipal& caller, const Key& key, const std::string& operation) const {
  auto lists = [&](const std::map<std::string, std::set<std::string>>& rules) {
    for (const auto& who : {caller.access_key_id, std::string("*")}) {
      const auto it = rules.find(who);
      if (it != rules.end() && (it->second.contains(operation) || it->second.contains("*"))) return true;
    }
    return false;
  };
  const std::string user = "arn:aws:iam::" + caller.account + ":user/" + caller.name;
  const std::string action = "kms:" + operation;
  if (lists(key.policy.deny)) {
    throw bad_request("AccessDeniedException", "User: " + user + " is not authorized to perform: " + action +
                                                   " on resource: " + key.arn +
                                                   " with an explicit deny in a resource-based policy");
  }
  const bool allowed = key.default_policy ? caller.account == key.account : lists(key.policy.allow);
  if (!allowed) {
    throw bad_request("AccessDeniedException",
                      "User: " + user + " is not authorized to perform: " + action + " on resource: " + key.arn +
                          " because no resource-based policy allows the " + action + " action");
  }
}

void KmsSimulator::State::check_usable(const Key& key, bool for_cryptography) const {
  if (key.state == "PendingDeletion") throw bad_request("KMSInvalidStateException", key.arn + " is pending deletion.");
  if (!for_cryptography) return;
  if (key.unavailable) {
    throw Refusal{500, "KeyUnavailableException", key.arn + " is unavailable. You can retry the request."};
  }
  if (key.state == "Disabled") throw bad_request("DisabledException", key.arn + " is disabled.");
  if (key.usage != "ENCRYPT_DECRYPT") {
    throw bad_request("InvalidKeyUsageException",
                      key.arn + " key usage is " + key.usage + " which is not valid for this operation.");
  }
}

std::string KmsSimulator::State::make_key(const std::string& account, KmsKeyOptions options) {
  Key key;
  key.id = random_uuid();
  key.account = account;
  key.arn = "arn:aws:kms:" + region + ":" + account + ":key/" + key.id;
  key.usage = options.usage;
  key.description = options.description;
  key.default_policy = !options.policy.has_value();
  if (options.policy) key.policy = std::move(*options.policy);
  if (RAND_bytes(key.secret.data(), static_cast<int>(key.secret.size())) != 1) {
    throw std::runtime_error("RAND_bytes failed");
  }
  key.created = std::chrono::duration<double>(Clock::now().time_since_epoch()).count();
  const auto arn = key.arn;
  keys.emplace(arn, std::move(key));
  return arn;
}

boost::json::object KmsSimulator::State::metadata(const Key& key) const {
  boost::json::object m{{"AWSAccountId", key.account},
                        {"KeyId", key.id},
                        {"Arn", key.arn},
                        {"CreationDate", key.created},
                        {"Enabled", key.state == "Enabled"},
                        {"Description", key.description},
                        {"KeyUsage", key.usage},
                        {"KeyState", key.state},
                        {"Origin", "AWS_KMS"},
                        {"KeyManager", "CUSTOMER"},
                        {"KeySpec", "SYMMETRIC_DEFAULT"},
                        {"CustomerMasterKeySpec", "SYMMETRIC_DEFAULT"},
                        {"EncryptionAlgorithms", boost::json::array{"SYMMETRIC_DEFAULT"}},
                        {"MultiRegion", false}};
  if (key.state == "PendingDeletion") m["DeletionDate"] = key.deletion_date;
  return m;
}

// Blob: version, ARN length (2 bytes) and ARN, nonce, ciphertext and tag.
ByteVector KmsSimulator::State::seal(const Key& key, std::span<const std::uint8_t> plaintext,
                                     const std::map<std::string, std::string>& context) const {
  ByteVector blob{kBlobVersion, static_cast<std::uint8_t>(key.arn.size() >> 8),
                  static_cast<std::uint8_t>(key.arn.size())};
  blob.insert(blob.end(), key.arn.begin(), key.arn.end());
  const auto header_size = blob.size();
  const auto aad = associated_data(blob, context);
  blob.resize(header_size + kNonce + plaintext.size() + kTag);
  auto* nonce = blob.data() + header_size;
  auto* out = nonce + kNonce;
  int len = 0;
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (RAND_bytes(nonce, kNonce) != 1 || !ctx ||
      EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.secret.data(), nonce) != 1 ||
      EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_EncryptUpdate(ctx.get(), out, &len, plaintext.data(), static_cast<int>(plaintext.size())) != 1 ||
      EVP_EncryptFinal_ex(ctx.get(), out + len, &len) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTag, out + plaintext.size()) != 1) {
    throw std::runtime_error("KMS simulator: AES-256-GCM failed in OpenSSL");
  }
  return blob;
}

// Decrypt's checks in KMS's order: the blob names its key, a KeyId in the request must name the
// same key, the caller must be allowed to decrypt with it, and it must be usable.
ByteVector KmsSimulator::State::open(const boost::json::object& body, const KmsPrincipal& caller,
                                     std::string& key_arn) {
  const auto blob = blob_member(body, "CiphertextBlob");
  const auto context = context_of(body);
  const Refusal invalid = bad_request("InvalidCiphertextException", "");
  if (blob.size() < 3 || blob[0] != kBlobVersion) throw invalid;
  const std::size_t arn_size = (std::size_t{blob[1]} << 8) | blob[2];
  const auto header_size = 3 + arn_size;
  if (blob.size() < header_size + kNonce + kTag) throw invalid;
  const std::string arn(blob.begin() + 3, blob.begin() + static_cast<std::ptrdiff_t>(header_size));
  const auto found = keys.find(arn);
  if (found == keys.end()) throw invalid;
  Key& key = found->second;
  const auto requested = string_member(body, "KeyId", false);
  if (!requested.empty() && resolve(caller, requested).arn != key.arn) {
    throw bad_request("IncorrectKeyException",
                      "The key ID in the request does not identify a CMK that can perform this operation.");
  }
  authorize(caller, key, "Decrypt");
  check_usable(key, true);

  const auto aad = associated_data(std::span(blob).first(header_size), context);
  const auto* nonce = blob.data() + header_size;
  const auto* in = nonce + kNonce;
  const auto size = blob.size() - header_size - kNonce - kTag;
  ByteVector plaintext(size);
  int len = 0;
  CipherCtx ctx(EVP_CIPHER_CTX_new(), EVP_CIPHER_CTX_free);
  if (!ctx || EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, key.secret.data(), nonce) != 1 ||
      EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), static_cast<int>(aad.size())) != 1 ||
      EVP_DecryptUpdate(ctx.get(), plaintext.data(), &len, in, static_cast<int>(size)) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTag, const_cast<std::uint8_t*>(in + size)) != 1 ||
      EVP_DecryptFinal_ex(ctx.get(), plaintext.data() + len, &len) != 1) {
    throw invalid;
  }
  key_arn = key.arn;
  return plaintext;
}

ByteVector KmsSimulator::State::attested_recipient(const boost::json::value& recipient, const KmsKeyPolicy& policy,
                                                  const KmsPrincipal& caller, const std::string& arn) const {
  if (!recipient.is_object()) throw bad_request("SerializationException", "Recipient must be a structure");
  const auto& r = recipient.as_object();
  if (string_member(r, "KeyEncryptionAlgorithm", true) != "RSAES_OAEP_SHA_256") {
    throw bad_request("ValidationException", "KeyEncryptionAlgorithm must be RSAES_OAEP_SHA_256");
  }
  const auto document = blob_member(r, "AttestationDocument");
  if (!attestation_root) throw bad_request("ValidationException", "the attestation document could not be verified");
  auto verified = attestation_root->verify(document, tee::AttestationPolicy{});
  if (!verified) {
    throw bad_request("ValidationException", "the attestation document is not valid: " + verified.error().message);
  }
  if (!verified->public_key || verified->public_key->empty()) {
    throw bad_request("ValidationException", "the attestation document has no public key");
  }
  for (const auto& [index, value] : policy.decrypt_requires_pcrs) {
    const auto pcr = verified->pcrs.find(index);
    if (pcr == verified->pcrs.end() || ByteVector(value.begin(), value.end()) != pcr->second) {
      throw bad_request("AccessDeniedException",
                        "User: arn:aws:iam::" + caller.account + ":user/" + caller.name +
                            " is not authorized to perform: kms:Decrypt on resource: " + arn +
                            " because the condition kms:RecipientAttestation:PCR" + std::to_string(index) +
                            " does not match");
    }
  }
  return *verified->public_key;
}

boost::json::object KmsSimulator::State::serve(const std::string& operation, const KmsPrincipal& caller,
                                               const boost::json::object& body) {
  if (operation == "Encrypt") {
    auto& key = resolve(caller, string_member(body, "KeyId", true));
    const auto plaintext = blob_member(body, "Plaintext");
    if (plaintext.empty() || plaintext.size() > 4096) {
      throw bad_request("ValidationException", "Plaintext must be 1 to 4096 bytes");
    }
    authorize(caller, key, operation);
    check_usable(key, true);
    return {{"CiphertextBlob", to_base64(seal(key, plaintext, context_of(body)))},
            {"KeyId", key.arn},
            {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
  }
  if (operation == "Decrypt") {
    std::string arn;
    auto plaintext = open(body, caller, arn);
    const auto& policy = keys.at(arn).policy;
    const auto* recipient = body.if_contains("Recipient");
    if (recipient == nullptr) {
      if (!policy.decrypt_requires_pcrs.empty()) {
        throw bad_request("AccessDeniedException", "User: arn:aws:iam::" + caller.account + ":user/" + caller.name +
                                                       " is not authorized to perform: kms:Decrypt on resource: " +
                                                       arn + " because the key policy requires a Recipient attestation");
      }
      return {{"KeyId", arn}, {"Plaintext", to_base64(plaintext)}, {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
    }
    const auto spki = attested_recipient(*recipient, policy, caller, arn);
    ByteVector sealed;
    try {
      sealed = envelope_for_recipient(spki, plaintext);
    } catch (const std::invalid_argument& e) {
      throw bad_request("ValidationException", e.what());
    }
    std::fill(plaintext.begin(), plaintext.end(), 0);
    return {{"KeyId", arn},
            {"CiphertextForRecipient", to_base64(sealed)},
            {"EncryptionAlgorithm", "SYMMETRIC_DEFAULT"}};
  }
  if (operation == "GenerateDataKey") {
    auto& key = resolve(caller, string_member(body, "KeyId", true));
    std::int64_t bytes = 0;
    if (const auto* n = body.if_contains("NumberOfBytes"); n != nullptr && n->is_number()) {
      bytes = n->to_number<std::int64_t>();
    } else if (const auto spec = string_member(body, "KeySpec", false); spec == "AES_256" || spec == "AES_128") {
      bytes = spec == "AES_256" ? 32 : 16;
    }
    if (bytes < 1 || bytes > 1024) {
      throw bad_request("ValidationException", "Please specify either number of bytes (1 to 1024) or key spec.");
    }
    authorize(caller, key, operation);
    check_usable(key, true);
    ByteVector plaintext(static_cast<std::size_t>(bytes));
    if (RAND_bytes(plaintext.data(), static_cast<int>(plaintext.size())) != 1) {
      throw std::runtime_error("RAND_bytes failed");
    }
    return {{"CiphertextBlob", to_base64(seal(key, plaintext, context_of(body)))},
            {"Plaintext", to_base64(plaintext)},
            {"KeyId", key.arn}};
  }
  if (operation == "DescribeKey") {
    auto& key = resolve(caller, string_member(body, "KeyId", true));
    authorize(caller, key, operation);
    return {{"KeyMetadata", metadata(key)}};
  }
  if (operation == "CreateKey") {
    const auto spec = string_member(body, "KeySpec", false);
    if (!spec.empty() && spec != "SYMMETRIC_DEFAULT") {
      throw bad_request("ValidationException", "the simulator only makes SYMMETRIC_DEFAULT keys");
    }
    KmsKeyOptions options;
    options.description = string_member(body, "Description", false);
    if (auto usage = string_member(body, "KeyUsage", false); !usage.empty()) options.usage = usage;
    return {{"KeyMetadata", metadata(keys.at(make_key(caller.account, std::move(options))))}};
  }
  if (operation == "EnableKey" || operation == "DisableKey") {
    auto& key = resolve(caller, string_member(body, "KeyId", true));
    authorize(caller, key, operation);
    check_usable(key, false);
    key.state = operation == "EnableKey" ? "Enabled" : "Disabled";
    return {};
  }
  if (operation == "ScheduleKeyDeletion") {
    auto& key = resolve(caller, string_member(body, "KeyId", true));
    authorize(caller, key, operation);
    check_usable(key, false);
    std::int64_t days = 30;
    if (const auto* n = body.if_contains("PendingWindowInDays"); n != nullptr && n->is_number()) {
      days = n->to_number<std::int64_t>();
    }
    if (days < 7 || days > 30) throw bad_request("ValidationException", "PendingWindowInDays must be 7 to 30");
    key.state = "PendingDeletion";
    key.deletion_date =
        std::chrono::duration<double>(Clock::now().time_since_epoch()).count() + static_cast<double>(days) * 86400.0;
    return {{"KeyId", key.arn},
            {"DeletionDate", key.deletion_date},
            {"KeyState", key.state},
            {"PendingWindowInDays", days}};
  }
  throw bad_request("UnknownOperationException", "");
}

KmsSimulator::KmsSimulator(std::string region, TlsFiles tls) : state_(std::make_unique<State>()) {
  state_->region = std::move(region);
  state_->tls = !tls.cert_file.empty();
  server_ = std::make_unique<StandInServer>([s = state_.get()](const StandInRequest& r) { return s->handle(r); },
                                            std::move(tls));
}

KmsSimulator::~KmsSimulator() {
  server_.reset();
}

std::string KmsSimulator::url() const {
  return (state_->tls ? "https://127.0.0.1:" : "http://127.0.0.1:") + std::to_string(server_->port());
}

const std::string& KmsSimulator::region() const {
  return state_->region;
}

void KmsSimulator::add_principal(KmsPrincipal principal) {
  std::lock_guard lock(state_->mutex);
  auto id = principal.access_key_id;
  state_->principals.insert_or_assign(std::move(id), std::move(principal));
}

void KmsSimulator::trust_attestation_root(std::vector<std::uint8_t> root_der) {
  auto verifier = tee::AttestationVerifier::create(root_der);
  if (!verifier) throw std::invalid_argument("KMS simulator: attestation root: " + verifier.error().message);
  std::lock_guard lock(state_->mutex);
  state_->attestation_root.emplace(std::move(*verifier));
}

std::string KmsSimulator::create_key(KmsKeyOptions options) {
  std::lock_guard lock(state_->mutex);
  const auto account = options.account;
  return state_->make_key(account, std::move(options));
}

void KmsSimulator::add_alias(const std::string& alias, const std::string& key_arn) {
  std::lock_guard lock(state_->mutex);
  const auto& key = state_->key_by_arn(key_arn);
  state_->aliases["arn:aws:kms:" + state_->region + ":" + key.account + ":" + alias] = key_arn;
}

void KmsSimulator::set_policy(const std::string& key_arn, KmsKeyPolicy policy) {
  std::lock_guard lock(state_->mutex);
  auto& key = state_->key_by_arn(key_arn);
  key.policy = std::move(policy);
  key.default_policy = false;
}

void KmsSimulator::set_enabled(const std::string& key_arn, bool enabled) {
  std::lock_guard lock(state_->mutex);
  state_->key_by_arn(key_arn).state = enabled ? "Enabled" : "Disabled";
}

void KmsSimulator::schedule_deletion(const std::string& key_arn) {
  std::lock_guard lock(state_->mutex);
  auto& key = state_->key_by_arn(key_arn);
  key.state = "PendingDeletion";
  key.deletion_date = std::chrono::duration<double>(Clock::now().time_since_epoch()).count() + 30 * 86400.0;
}

void KmsSimulator::set_unavailable(const std::string& key_arn, bool unavailable) {
  std::lock_guard lock(state_->mutex);
  state_->key_by_arn(key_arn).unavailable = unavailable;
}

void KmsSimulator::inject(KmsFault fault, unsigned times, std::string operation) {
  if (times == 0) return;
  std::lock_guard lock(state_->mutex);
  state_->faults.push_back({fault, times, std::move(operation)});
}

std::size_t KmsSimulator::requests(std::string_view operation) const {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->received.find(operation);
  return it == state_->received.end() ? 0 : it->second;
}

std::size_t KmsSimulator::served(std::string_view operation) const {
  std::lock_guard lock(state_->mutex);
  const auto it = state_->served.find(operation);
  return it == state_->served.end() ? 0 : it->second;
}

std::size_t KmsSimulator::rejected_signatures() const {
  std::lock_guard lock(state_->mutex);
  return state_->rejected_signatures;
}

std::vector<std::uint8_t> envelope_for_recipient(const std::vector<std::uint8_t>& spki,
                                                 std::span<const std::uint8_t> plaintext) {
  const unsigned char* p = spki.data();
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size())),
                                                          EVP_PKEY_free);
  if (!pub) throw std::invalid_argument("the attestation document's public key is not a public key");
  // CMS names a key-transport recipient by certificate; a throwaway self-signed one carries the key.
  std::unique_ptr<X509, decltype(&X509_free)> cert(X509_new(), X509_free);
  std::unique_ptr<EVP_PKEY, decltype(&EVP_PKEY_free)> signer(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"),
                                                             EVP_PKEY_free);
  std::unique_ptr<BIO, decltype(&BIO_free)> in(BIO_new_mem_buf(plaintext.data(), static_cast<int>(plaintext.size())),
                                               BIO_free);
  std::unique_ptr<CMS_ContentInfo, decltype(&CMS_ContentInfo_free)> cms(
      CMS_encrypt(nullptr, nullptr, EVP_aes_256_cbc(), CMS_BINARY | CMS_PARTIAL), CMS_ContentInfo_free);
  if (!cert || !signer || !in || !cms || X509_set_pubkey(cert.get(), pub.get()) != 1 ||
      X509_sign(cert.get(), signer.get(), EVP_sha256()) == 0) {
    throw std::runtime_error("KMS simulator: cannot build the recipient envelope");
  }
  CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms.get(), cert.get(), CMS_KEY_PARAM);
  EVP_PKEY_CTX* pctx = ri != nullptr ? CMS_RecipientInfo_get0_pkey_ctx(ri) : nullptr;
  if (pctx == nullptr || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING) <= 0 ||
      EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256()) <= 0 || EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) <= 0 ||
      CMS_final(cms.get(), in.get(), nullptr, CMS_BINARY) != 1) {
    throw std::invalid_argument("the attestation document's public key is not an RSA key");
  }
  unsigned char* der = nullptr;
  const int n = i2d_CMS_ContentInfo(cms.get(), &der);
  if (n <= 0) throw std::runtime_error("KMS simulator: cannot encode the recipient envelope");
  std::vector<std::uint8_t> out(der, der + n);
  OPENSSL_free(der);
  return out;
}

}  // namespace cc::aws::test
