#pragma once
// A stand-in for the Nitro Secure Module, for tests only: it answers the NSM's real CBOR
// requests (Attestation, DescribePCR, GetRandom; anything else gets {"Error":
// "InvalidOperation"}) over a SOCK_SEQPACKET Unix socket, which the product's NsmSocketTransport
// reaches when the configured NSM path is that socket (see src/tee/nsm_transport.hpp).
//
// Its attestation documents are real: a test PKI made with OpenSSL when the simulator starts (a
// self-signed P-384 root, an intermediate, and the document-signing certificate, like AWS's
// root -> regional -> zonal -> instance chain but shorter) signs a COSE_Sign1 over a payload laid
// out as the NSM lays it out (module_id, digest, timestamp, pcrs, certificate, cabundle,
// public_key, user_data, nonce; absent optional fields as null; by default an indefinite-length
// map and an untagged COSE_Sign1, as current NSMs send). Tests trust root_der() instead of the
// AWS root, and can build altered payloads (payload_entries + sign_payload) that carry a valid
// signature, so a parser or verifier error is about the field under test.
//
// The request handling and the document layout here are written independently of the product's
// encoder/parser (the indefinite-length payload map is written byte by byte), so a round trip
// checks one against the other; only the CBOR codec underneath (tee/cbor.hpp) is shared.
//
// Thread-safe: a server thread answers while the test thread reconfigures.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "tee/attestation_document.hpp"
#include "tee/cbor.hpp"

namespace cc::tee::test {

struct TestPkiOptions {
  // Validity of the document-signing certificate; the CA certificates are valid for years.
  std::chrono::system_clock::time_point leaf_not_before = std::chrono::system_clock::now() - std::chrono::hours(1);
  std::chrono::system_clock::time_point leaf_not_after = std::chrono::system_clock::now() + std::chrono::hours(3);
};

// root -> intermediate -> leaf, all ECDSA P-384 / SHA-384.
class TestNitroPki {
 public:
  explicit TestNitroPki(TestPkiOptions options = {});
  ~TestNitroPki();
  TestNitroPki(const TestNitroPki&) = delete;
  TestNitroPki& operator=(const TestNitroPki&) = delete;

  const ByteVector& root_der() const;
  const ByteVector& intermediate_der() const;
  const ByteVector& leaf_der() const;
  // ES384 with the leaf key: the 96-byte r || s of the COSE signature.
  ByteVector sign(std::span<const std::uint8_t> message) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

struct NsmSimulatorOptions {
  PcrMap pcrs;  // empty: PCR0..15, each 48 bytes (PCR i filled with byte i+1, PCR 5..15 zero as in NSM)
  std::string module_id = "i-0123456789abcdef0-enc0123456789abcdef";
  bool tagged = false;                 // wrap the COSE_Sign1 in CBOR tag 18
  bool indefinite_payload_map = true;  // the payload map's encoding
  TestPkiOptions pki{};
};

class NsmSimulator {
 public:
  // Listens at socket_path (a file in a test's temporary directory).
  explicit NsmSimulator(std::string socket_path, NsmSimulatorOptions options = {});
  ~NsmSimulator();
  NsmSimulator(const NsmSimulator&) = delete;
  NsmSimulator& operator=(const NsmSimulator&) = delete;

  const std::string& socket_path() const;
  const TestNitroPki& pki() const;
  const PcrMap& pcrs() const;
  void set_pcr(std::uint32_t index, ByteVector value);

  // The payload of a document as the NSM would write it now, as an editable list of entries.
  std::vector<std::pair<cbor::Item, cbor::Item>> payload_entries(const std::optional<ByteVector>& user_data,
                                                                 const std::optional<ByteVector>& nonce,
                                                                 const std::optional<ByteVector>& public_key) const;
  ByteVector encode_payload(const std::vector<std::pair<cbor::Item, cbor::Item>>& entries) const;
  // COSE_Sign1 [protected {1: -35}, {}, payload, ES384 signature] signed by the PKI's leaf.
  ByteVector sign_payload(std::span<const std::uint8_t> payload) const;
  ByteVector document(const std::optional<ByteVector>& user_data, const std::optional<ByteVector>& nonce,
                      const std::optional<ByteVector>& public_key) const;

  // The next response is these bytes instead of the real answer (once), to test a client with
  // malformed or unexpected responses.
  void answer_next_with(ByteVector raw);
  std::size_t requests_served() const;
  // The raw bytes of the last request received.
  ByteVector last_request() const;

 private:
  // The reply to one request message (`real_size`: its length before any truncation).
  ByteVector answer(std::span<const std::uint8_t> request, std::size_t real_size);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace cc::tee::test
