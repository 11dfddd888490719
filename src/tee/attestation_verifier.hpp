#pragma once
// Decides whether an attestation document comes from a Nitro Enclave running the expected image.
//
// verify() parses the document (attestation_document.hpp) and then checks, in this order:
//   1. the certificate chain: cabundle[0] is the configured root (byte for byte), and the
//      document's certificate chains through cabundle[1..] to that root, every certificate valid
//      at the given time (OpenSSL's X509_verify_cert, CA basic constraints included);
//   2. the signer: the certificate's key is ECDSA P-384 and, when it has a key usage,
//      digitalSignature is in it;
//   3. the COSE_Sign1 signature: ECDSA P-384 / SHA-384 over the Sig_structure, the raw r||s of
//      the document turned into the DER OpenSSL verifies;
//   4. freshness, when a maximum age is given: the document's timestamp lies within that age of
//      the verification time (either side, for clock skew);
//   5. the expected PCRs, any subset (typically PCR0, the image, and PCR8, its signing
//      certificate): each must be present and equal.
// Only then does it return the document's public_key, user_data and nonce, which the caller binds
// to its own protocol (a TLS key's SPKI hash, a challenge). A malformed document is
// invalid_argument; a well-formed one that fails a check is forbidden; the message says which
// check and which certificate or PCR.
//
// In production the root is AWS's "AWS Nitro Enclaves Root-G1" certificate, published at
// https://aws-nitro-enclaves.amazonaws.com/AWS_NitroEnclaves_Root-G1.zip; for_aws_nitro_root()
// refuses any other certificate by its SHA-256 fingerprint. Tests make their own root.
//
// Immutable after creation; verify() is thread-safe.
#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "tee/attestation_document.hpp"

namespace cc::tee {

// SHA-256 of the DER of AWS Nitro Enclaves Root-G1 (CN=aws.nitro-enclaves, O=Amazon, OU=AWS,
// C=US; valid 2019-10-28 to 2049-10-28), as AWS publishes it in "Verifying the root of trust"
// (https://docs.aws.amazon.com/enclaves/latest/user/verify-root.html). Not to be confused with
// the SHA-256 of the zip file it is distributed in,
// 8cf60e2b2efca96c6a9e71e851d00c1b6991cc09eadbe64a6a1d1b1eb9faff7c
// (aws-nitro-enclaves-nsm-api docs/attestation_process.md section 2.1).
inline constexpr std::string_view kAwsNitroRootSha256 =
    "641a0321a3e244efe456463195d606317ed7cdcc3c1756e09893f3c68f79bb5b";

// Whether a certificate (DER or PEM) is the AWS Nitro root; the error gives the fingerprint found.
Status check_aws_nitro_root(std::span<const std::uint8_t> certificate);

struct AttestationPolicy {
  std::chrono::system_clock::time_point at = std::chrono::system_clock::now();
  PcrMap expected_pcrs;  // index -> 48 bytes; empty: no PCR is checked
  std::optional<std::chrono::milliseconds> max_age;
};

struct VerifiedAttestation {
  std::string module_id;
  std::uint64_t timestamp_ms = 0;
  PcrMap pcrs;
  std::optional<ByteVector> public_key;
  std::optional<ByteVector> user_data;
  std::optional<ByteVector> nonce;
};

class AttestationVerifier {
 public:
  // Trusts `root` (DER or PEM of a self-signed CA certificate); fails when it does not parse.
  static Result<AttestationVerifier> create(std::span<const std::uint8_t> root);
  // The same, after check_aws_nitro_root(): the production trust anchor.
  static Result<AttestationVerifier> for_aws_nitro_root(std::span<const std::uint8_t> root);

  Result<VerifiedAttestation> verify(std::span<const std::uint8_t> document, const AttestationPolicy& policy) const;
  Result<VerifiedAttestation> verify(const AttestationDocument& document, const AttestationPolicy& policy) const;

  const ByteVector& root_der() const { return root_der_; }

 private:
  explicit AttestationVerifier(ByteVector root_der) : root_der_(std::move(root_der)) {}
  ByteVector root_der_;
};

}  // namespace cc::tee
