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

DocumentVerifier attestation_document_verifier(AttestationVerifier verifier, PcrMap expected_pcrs,
                                               std::optional<std::chrono::milliseconds> max_age) {
  return [verifier = std::move(verifier), expected = std::move(expected_pcrs),
          max_age](const ByteVector& document) -> Result<VerifiedDocument> {
    AttestationPolicy policy;
    policy.at = std::chrono::system_clock::now();
    policy.expected_pcrs = expected;
    policy.max_age = max_age;
    auto verified = verifier.verify(document, policy);
    if (!verified) return verified.error();
    if (!verified->user_data) return Error::forbidden("the attestation document carries no user_data binding");
    return VerifiedDocument{std::move(*verified->user_data)};
  };
}

}  // namespace cc::tee
