#pragma once
// A Nitro Enclave attestation document, parsed strictly but not yet trusted.
//
// The document is a COSE_Sign1 (RFC 8152 section 4.2): a CBOR array [protected, unprotected,
// payload, signature], optionally under CBOR tag 18 (the NSM itself sends it untagged). The
// protected header is a byte string holding the map {1: -35} (alg ES384); the signature is the
// 96-byte r||s of ECDSA P-384 with SHA-384 over the Sig_structure
// ["Signature1", protected, h'', payload]. The payload is a CBOR map (definite or
// indefinite-length: newer NSMs send the latter) with the fields and bounds of
// aws-nitro-enclaves-nsm-api docs/attestation_process.md section 3.2.2:
//   module_id   non-empty text                     digest     "SHA384"
//   timestamp   uint > 0, ms since the Unix epoch  pcrs       1..32 entries, index 0..31 -> 48 bytes
//   certificate DER, 1..1024 bytes                 cabundle   1.. DER certificates, root first
//   public_key  optional, 1..1024 bytes            user_data, nonce  optional, 0..512 bytes
// Mandatory fields may not be null; an optional field given as null is treated as absent (the
// NSM writes null for fields the request left out). Unknown fields, duplicate keys, wrong types,
// sizes out of bounds and trailing bytes are errors that name the field.
//
// parse_attestation_document() only reads; attestation_verifier.hpp decides whether to trust.
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::tee {

// Whole document, and the payload inside it (spec: payload bstr .size (1..16384)).
inline constexpr std::size_t kMaxAttestationDocumentSize = 32 * 1024;
inline constexpr std::size_t kMaxAttestationPayloadSize = 16 * 1024;
inline constexpr std::size_t kMaxCertificateSize = 1024;
inline constexpr std::size_t kMaxCaBundleLength = 16;
inline constexpr std::size_t kPcrCount = 32;
inline constexpr std::size_t kPcrSize = 48;  // SHA-384
inline constexpr std::size_t kEs384SignatureSize = 96;
inline constexpr std::int64_t kCoseAlgorithmEs384 = -35;  // RFC 8152 table 5
inline constexpr std::uint64_t kCoseSign1Tag = 18;

using PcrMap = std::map<std::uint32_t, ByteVector>;

struct AttestationDocument {
  // Exactly as received: the signature covers these bytes.
  ByteVector protected_header;
  ByteVector payload;
  ByteVector signature;  // r || s, 48 bytes each

  std::string module_id;
  std::string digest;
  std::uint64_t timestamp_ms = 0;
  PcrMap pcrs;
  ByteVector certificate;            // DER, the certificate whose key signed the document
  std::vector<ByteVector> cabundle;  // DER, cabundle[0] is the root, then intermediates down to the issuer
  std::optional<ByteVector> public_key;
  std::optional<ByteVector> user_data;
  std::optional<ByteVector> nonce;
};

// Parses and checks the structure; every error is invalid_argument and names what is wrong
// ("attestation payload.pcrs[40]: index out of range 0..31").
Result<AttestationDocument> parse_attestation_document(std::span<const std::uint8_t> document);

// The CBOR Sig_structure ["Signature1", protected, h'', payload] the signature is computed over.
ByteVector cose_sign1_signature_input(std::span<const std::uint8_t> protected_header,
                                      std::span<const std::uint8_t> payload);

}  // namespace cc::tee
