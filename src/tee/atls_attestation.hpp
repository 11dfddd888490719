#pragma once
// The real Nitro pieces behind aTLS (atls.hpp): an Attester that asks the NSM for a document whose
// user_data is the binding (the SHA-256 of the TLS key's SPKI), and a DocumentVerifier that runs
// the full attestation check (chain to the trusted root, ES384 signature, validity at the time of
// each handshake, expected PCRs, optional maximum age) and hands the verified user_data back for
// the binding check. atls.cpp stays independent of the NSM; the application joins them here.
//
// Both are copyable std::functions; the NSM client is shared and thread-safe, the verifier immutable.
#include <chrono>
#include <memory>
#include <optional>

#include "tee/atls.hpp"
#include "tee/attestation_verifier.hpp"
#include "tee/nsm_client.hpp"

namespace cc::tee {

Attester nsm_attester(std::shared_ptr<NsmClient> nsm);

// Verifies at the current time of each call. A document without user_data is refused (nothing
// binds it to a key).
DocumentVerifier attestation_document_verifier(AttestationVerifier verifier, PcrMap expected_pcrs,
                                               std::optional<std::chrono::milliseconds> max_age = std::nullopt);

}  // namespace cc::tee
