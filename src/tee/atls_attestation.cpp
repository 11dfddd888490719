#include "tee/atls_attestation.hpp"

#include <utility>

namespace cc::tee {

Attester nsm_attester(std::shared_ptr<NsmClient> nsm) {
  return [nsm = std::move(nsm)](const ByteVector& binding) -> Result<ByteVector> {
    AttestationRequest request;
    request.user_data = binding;
    return nsm->attestation(request);
  };
}

namespace {

// The full check at the time of the call, then the binding.
Result<VerifiedDocument> verify_bound(const AttestationVerifier& verifier, const AttestationDocument& document,
                                      const PcrMap& expected, std::optional<std::chrono::milliseconds> max_age) {
  AttestationPolicy policy;
  policy.at = std::chrono::system_clock::now();
  policy.expected_pcrs = expected;
  policy.max_age = max_age;
  auto verified = verifier.verify(document, policy);
  if (!verified) return verified.error();
  if (!verified->user_data) return Error::forbidden("the attestation document carries no user_data binding");
  return VerifiedDocument{std::move(*verified->user_data)};
}

}  // namespace

DocumentVerifier attestation_document_verifier(AttestationVerifier verifier, PcrMap expected_pcrs,
                                               std::optional<std::chrono::milliseconds> max_age) {
  return [verifier = std::move(verifier), expected = std::move(expected_pcrs),
          max_age](const ByteVector& document) -> Result<VerifiedDocument> {
    auto parsed = parse_attestation_document(document);
    if (!parsed) return parsed.error();
    return verify_bound(verifier, *parsed, expected, max_age);
  };
}

DocumentVerifier aws_nitro_document_verifier(PcrMap expected_pcrs, std::optional<std::chrono::milliseconds> max_age) {
  return [expected = std::move(expected_pcrs), max_age](const ByteVector& document) -> Result<VerifiedDocument> {
    auto parsed = parse_attestation_document(document);
    if (!parsed) return parsed.error();
    if (parsed->cabundle.empty()) return Error::forbidden("the attestation document has an empty cabundle");
    auto verifier = AttestationVerifier::for_aws_nitro_root(parsed->cabundle.front());
    if (!verifier) return Error::forbidden(verifier.error().message);
    return verify_bound(*verifier, *parsed, expected, max_age);
  };
}

Result<ByteVector> parse_pcr_hex(const std::string& name, const std::string& hex) {
  auto bytes = from_hex(hex);
  if (!bytes || bytes->size() != 48) {
    return Error::invalid(name + ": expected 96 hex digits (a SHA-384 measurement, as `nitro-cli describe-eif` prints it)");
  }
  return std::move(*bytes);
}

}  // namespace cc::tee
