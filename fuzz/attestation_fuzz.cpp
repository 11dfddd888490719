// Everything the enclave reads from the NSM or the parent: CBOR, NSM responses, attestation
// documents (COSE_Sign1 and payload), and the boot package.
#include "tee/attestation_document.hpp"
#include "tee/boot.hpp"
#include "tee/cbor.hpp"
#include "tee/nsm_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  (void)cc::tee::cbor::decode(bytes, 1 << 16, "fuzz");
  (void)cc::tee::decode_attestation_response(bytes);
  (void)cc::tee::decode_describe_pcr_response(bytes);
  (void)cc::tee::decode_get_random_response(bytes);
  (void)cc::tee::parse_attestation_document(bytes);
  (void)cc::tee::decode_boot_package(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
