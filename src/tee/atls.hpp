#pragma once
// Attested TLS (tls.mode: atls). Inside the enclave no CA can vouch for the signer, so the
// enclave vouches for itself with hardware: at start (and again before the certificate expires)
// it makes an ephemeral P-256 key, asks the Nitro Secure Module for an attestation document whose
// user_data is the SHA-256 of that key's SubjectPublicKeyInfo, and puts the document into its
// self-signed X.509 certificate as a non-critical extension (OID kAttestationExtensionOid). The
// private key never leaves the enclave's memory.
//
// A client accepts the certificate instead of checking a CA when: the extension is there; the
// document verifies (COSE signature, certificate chain to the AWS Nitro root — or a test root —,
// validity) and its PCRs match what the client expects (PCR0 = the image, PCR8 = its signing
// certificate); and the document's user_data equals the SHA-256 of the SPKI of the certificate
// the server presented. The document's own verification belongs to the attestation code; here
// it is a DocumentVerifier, so this file only binds a document to a TLS key.
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::tee {

// A private arc (2.25 + a random UUID as an integer, ITU-T X.667): no registry needed.
inline constexpr const char* kAttestationExtensionOid = "2.25.188744338474581465077101203083844830261";

// Returns an attestation document (COSE_Sign1 bytes) whose user_data is `binding`.
using Attester = std::function<Result<ByteVector>(const ByteVector& binding)>;

struct AtlsIdentity {
  std::string certificate_pem;
  std::string private_key_pem;   // kept in memory only; wiped with the identity
  ByteVector spki_sha256;
  std::chrono::system_clock::time_point not_after;
  ~AtlsIdentity();
};

// A fresh key and a self-signed certificate carrying an attestation document bound to it,
// valid for `validity` from now. Errors name the step (key, attestation, certificate).
Result<std::unique_ptr<AtlsIdentity>> make_atls_identity(const Attester& attest, const std::string& common_name,
                                                         std::chrono::seconds validity);

// What a client learns from a verified document (the attestation code fills it).
struct VerifiedDocument {
  ByteVector user_data;
};
// Verifies a document (signature, chain, PCRs, time); errors say which check failed.
using DocumentVerifier = std::function<Result<VerifiedDocument>(const ByteVector& document)>;

// The document inside `certificate`, if it has the extension.
Result<ByteVector> attestation_of(X509* certificate);

// The whole client-side check of a server certificate: the document verifies and is bound to the
// certificate's key. Errors say what did not match.
Status verify_atls_certificate(X509* certificate, const DocumentVerifier& verify);

// Installs verify_atls_certificate as the peer check of a client context: the CA chain is not
// consulted (the certificate is self-signed); the handshake fails unless the check passes.
// `last_error` (optional) receives the reason of the last failure for messages.
void require_atls_peer(SSL_CTX* client, DocumentVerifier verify, std::shared_ptr<std::string> last_error = nullptr);

}  // namespace cc::tee
