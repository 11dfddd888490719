// Everything the enclave reads from the NSM or the parent: CBOR, NSM responses, attestation
// documents (COSE_Sign1 and payload), and the boot package. Whatever the codec accepts must
// survive a round trip: its encoding decodes again to the same item.
#include <cstdlib>

#include "tee/attestation_document.hpp"
#include "tee/boot.hpp"
#include "tee/cbor.hpp"
#include "tee/nsm_client.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::span<const std::uint8_t> bytes(data, size);
  if (auto item = cc::tee::cbor::decode(bytes, 1 << 16, "fuzz")) {
    // Preferred serialization may need a few more header bytes than an indefinite-length input.
    const cc::ByteVector encoded = cc::tee::cbor::encode(*item);
    auto again = cc::tee::cbor::decode(encoded, 2 * size + 16, "re-encoded");
    if (!again || !(*again == *item)) std::abort();
  }
  (void)cc::tee::decode_attestation_response(bytes);
  (void)cc::tee::decode_describe_pcr_response(bytes);
  (void)cc::tee::decode_get_random_response(bytes);
  (void)cc::tee::parse_attestation_document(bytes);
  (void)cc::tee::decode_boot_package(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
