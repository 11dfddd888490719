// The signing-request decoder and, through it, the SSZ merkleization of every container it
// builds: any JSON must end in a decoded request or InputError/WrongNetwork (the API's 400/403),
// never a crash, a hang or another exception.
#include "core/json.hpp"
#include "ssz/network.hpp"
#include "ssz/signing_request.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const cc::ssz::Network* network = cc::ssz::find_network("mainnet");
  try {
    const auto body = cc::json::parse(std::string_view(reinterpret_cast<const char*>(data), size));
    (void)cc::ssz::decode_signing_request(body, *network);
  } catch (const cc::json::InputError&) {
  } catch (const cc::ssz::WrongNetwork&) {
  }
  return 0;
}
