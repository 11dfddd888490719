// EIP-3076 interchange documents, as `slashing import` and the Key Manager API read them.
#include "slashing/interchange.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  (void)cc::slashing::parse_interchange(std::string_view(reinterpret_cast<const char*>(data), size));
  return 0;
}
