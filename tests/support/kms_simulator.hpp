#pragma once
// A stand-in for AWS KMS in one region, for tests only: a StandInServer on 127.0.0.1 speaking
// the KMS JSON protocol (TrentService.*, application/x-amz-json-1.1) for Encrypt, Decrypt,
// GenerateDataKey, DescribeKey, CreateKey, EnableKey, DisableKey and ScheduleKeyDeletion, so
// the real Kms client and HttpsTransport are exercised end to end.
//
// Like KMS it checks every request's SigV4 signature by recomputing it from the secret of the
// access key id it names (UnrecognizedClientException for an unknown key id or session token,
// InvalidSignatureException for a wrong signature, scope or stale date,
// MissingAuthenticationTokenException without one); holds keys with ARNs
// (arn:aws:kms:<region>:<account>:key/<uuid>) and aliases; answers AccessDeniedException when
// a key's policy does not let the caller do the operation, DisabledException for a disabled
// key, KMSInvalidStateException for one pending deletion, KeyUnavailableException (HTTP 500) for
// one made unavailable, NotFoundException for an unknown key. Its ciphertext blobs are
// AES-256-GCM under a per-key secret, with the key's ARN inside and the blob header and the
// encryption context as associated data: another context, a tampered blob or a KeyId naming
// another key fails as KMS does (InvalidCiphertextException, IncorrectKeyException). The blob
// format is its own, not KMS's.
//
// Decrypt with a Recipient (the Nitro Enclave path): the attestation document must verify against
// the root given to trust_attestation_root() (the simulated NSM's test root), its PCRs must match
// the key policy's kms:RecipientAttestation:PCR<n> conditions, and the answer carries
// CiphertextForRecipient — the plaintext in a CMS EnvelopedData (RSAES-OAEP-SHA-256, AES-256-CBC)
// to the document's public key — and no Plaintext. A key whose policy has PCR conditions refuses
// any Decrypt without a Recipient (AccessDeniedException), as such a key policy does in AWS.
//
// Thread-safe: the test thread configures while the server thread answers.
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "stand_in_server.hpp"

namespace cc::aws::test {

// An IAM identity the simulator knows, by its access key id.
struct KmsPrincipal {
  std::string access_key_id;
  std::string secret_access_key;
  std::string session_token;  // empty: long-term keys; else requests must carry exactly this token
  std::string account = "111122223333";
  std::string name = "tester";  // user name in "arn:aws:iam::<account>:user/<name>"
};

// Who may do what with one key: operation names as in the API ("Encrypt", "Decrypt",
// "GenerateDataKey", "DescribeKey", ... or "*") by access key id ("*": any known principal).
// An explicit deny wins over any allow; nothing allowed means denied.
struct KmsKeyPolicy {
  std::map<std::string, std::set<std::string>> allow{};
  std::map<std::string, std::set<std::string>> deny{};
  // Decrypt only for a Recipient whose attestation document has these PCR values (index → 48 bytes).
  std::map<unsigned, std::vector<std::uint8_t>> decrypt_requires_pcrs{};
};

struct KmsKeyOptions {
  std::string account = "111122223333";
  std::string usage = "ENCRYPT_DECRYPT";  // or SIGN_VERIFY: Encrypt then fails with InvalidKeyUsageException
  std::string description{};
  // None: the default key policy, any principal of the key's account may do anything.
  std::optional<KmsKeyPolicy> policy{};
};

// What to answer instead of serving a request, for testing retries.
enum class KmsFault {
  throttling,           // 400 ThrottlingException
  internal_error,       // 500 KMSInternalException
  service_unavailable,  // 503 ServiceUnavailableException
};

class KmsSimulator {
 public:
  explicit KmsSimulator(std::string region = "eu-west-1", TlsFiles tls = {});
  ~KmsSimulator();
  KmsSimulator(const KmsSimulator&) = delete;
  KmsSimulator& operator=(const KmsSimulator&) = delete;

  std::string url() const;  // "http://127.0.0.1:<port>" (https with TLS files)
  const std::string& region() const;

  void add_principal(KmsPrincipal principal);
  // The root certificate (DER) Recipient attestation documents must chain to.
  void trust_attestation_root(std::vector<std::uint8_t> root_der);
  // A new symmetric key (random 256-bit secret); returns its ARN.
  std::string create_key(KmsKeyOptions options = {});
  // "alias/<name>" for a key, in the key's account.
  void add_alias(const std::string& alias, const std::string& key_arn);
  void set_policy(const std::string& key_arn, KmsKeyPolicy policy);
  void set_enabled(const std::string& key_arn, bool enabled);
  void schedule_deletion(const std::string& key_arn);
  // An unavailable key answers KeyUnavailableException (HTTP 500, so clients retry it).
  void set_unavailable(const std::string& key_arn, bool unavailable);
  // The next `times` requests for `operation` ("Encrypt", ...; empty: any operation) whose
  // signature checks out are answered with `fault` instead of being served.
  void inject(KmsFault fault, unsigned times, std::string operation = {});

  // Requests received for `operation` ("Encrypt", ...), whatever their outcome.
  std::size_t requests(std::string_view operation) const;
  // Requests refused for their credentials or signature, all operations.
  std::size_t rejected_signatures() const;
  // Requests answered with 200, by operation.
  std::size_t served(std::string_view operation) const;

  struct State;  // keys, principals, counters; defined in the .cpp

 private:
  std::unique_ptr<State> state_;
  std::unique_ptr<StandInServer> server_;  // declared last: stopped before the state goes
};

// What KMS puts in CiphertextForRecipient: `plaintext` in a CMS EnvelopedData (DER) for the RSA
// public key `spki` (DER SubjectPublicKeyInfo), RSAES-OAEP-SHA-256 key transport, AES-256-CBC content.
std::vector<std::uint8_t> envelope_for_recipient(const std::vector<std::uint8_t>& spki,
                                                 std::span<const std::uint8_t> plaintext);

}  // namespace cc::aws::test
