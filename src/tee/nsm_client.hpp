#pragma once
// The Nitro Secure Module client: attestation documents, PCR values and entropy from the NSM.
//
// The protocol is the one of AWS's NSM library (aws-nitro-enclaves-nsm-api, src/api/mod.rs):
// requests and responses are serde enums encoded as CBOR with named fields. A unit variant is
// its name as a text string ("GetRandom"); a struct variant is a one-entry map from its name to a
// map of its fields ({"DescribePCR": {"index": 0}}); an absent optional field is null; byte
// fields are byte strings. Responses are {"Attestation": {"document": bytes}},
// {"DescribePCR": {"lock": bool, "data": bytes}}, {"GetRandom": {"random": bytes}}, or
// {"Error": "<ErrorCode>"} (InvalidArgument, InvalidIndex, InvalidResponse, ReadOnlyIndex,
// InvalidOperation, BufferTooSmall, InputTooLarge, InternalError).
//
// The encoders and the decoder are free functions so they can be tested byte for byte; NsmClient
// joins them to a transport. Thread-safe when its transport is (both transports are).
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "tee/nsm_transport.hpp"

namespace cc::tee {

// What an attestation document may carry from the enclave, with the bounds verifiers enforce
// (aws-nitro-enclaves-nsm-api docs/attestation_process.md, 3.2.2.2).
inline constexpr std::size_t kMaxUserDataSize = 512;
inline constexpr std::size_t kMaxNonceSize = 512;
inline constexpr std::size_t kMaxPublicKeySize = 1024;

struct AttestationRequest {
  std::optional<ByteVector> user_data;
  std::optional<ByteVector> nonce;
  std::optional<ByteVector> public_key;  // DER; an empty public key is refused by verifiers, so here too
};

struct PcrDescription {
  bool locked = false;
  ByteVector value;  // 48 bytes with SHA-384 (the digest every Nitro Enclave uses)
};

// Request encoders. encode_attestation_request fails when a field exceeds its bound.
Result<ByteVector> encode_attestation_request(const AttestationRequest& request);
ByteVector encode_describe_pcr_request(std::uint16_t index);
ByteVector encode_get_random_request();

// Decodes a response to the request named `operation` ("Attestation", "DescribePCR",
// "GetRandom") and returns that variant's fields map's single byte field, or the NSM's error. A
// response of another variant, extra or missing fields, or wrong types are errors naming them.
Result<ByteVector> decode_attestation_response(std::span<const std::uint8_t> response);
Result<PcrDescription> decode_describe_pcr_response(std::span<const std::uint8_t> response);
Result<ByteVector> decode_get_random_response(std::span<const std::uint8_t> response);

class NsmClient {
 public:
  explicit NsmClient(std::unique_ptr<NsmTransport> transport);
  // open_nsm_transport(path) + a client: "/dev/nsm" in an enclave, a simulator socket in tests.
  static Result<NsmClient> open(const std::string& path = kNsmDevicePath);

  // A signed attestation document (COSE_Sign1 bytes) carrying the given fields.
  Result<ByteVector> attestation(const AttestationRequest& request);
  Result<PcrDescription> describe_pcr(std::uint16_t index);
  // Entropy from the NSM's hardware source (the device decides how many bytes).
  Result<ByteVector> get_random();

  const NsmTransport& transport() const { return *transport_; }

 private:
  std::unique_ptr<NsmTransport> transport_;
};

}  // namespace cc::tee
