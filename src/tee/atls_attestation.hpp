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

// The same with the production trust anchor, pinned by fingerprint rather than shipped: the root
// is the document's own cabundle[0], accepted only when its SHA-256 is AWS's published Nitro
// Enclaves Root-G1 fingerprint (check_aws_nitro_root).
DocumentVerifier aws_nitro_document_verifier(PcrMap expected_pcrs,
                                             std::optional<std::chrono::milliseconds> max_age = std::nullopt);

// "PCR0" and 96 hex digits (an optional 0x prefix) as a PCR value; the error names the PCR.
Result<ByteVector> parse_pcr_hex(const std::string& name, const std::string& hex);

}  // namespace cc::tee
