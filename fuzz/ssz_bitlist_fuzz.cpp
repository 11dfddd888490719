// SSZ bitlists as they arrive in aggregates: the first two bytes choose the limit, the rest is
// the serialized list. A bad list is an error naming why, never a crash.
#include "ssz/bitfield.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  const std::uint64_t limit = (std::uint64_t{data[0]} << 8 | data[1]) * 8;
  (void)cc::ssz::parse_bitlist(std::span(data + 2, size - 2), limit);
  return 0;
}
