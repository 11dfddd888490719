#pragma once
// Test helpers: hex literals to fixed-size bytes.
#include <gtest/gtest.h>

#include <string_view>

#include "core/bytes.hpp"

namespace cc::ssz::testing {

template <std::size_t N>
Bytes<N> hexb(std::string_view text) {
  auto r = from_hex_fixed<N>(text);
  if (!r) ADD_FAILURE() << "bad test literal " << text;
  return r ? *r : Bytes<N>{};
}

inline Root root(std::string_view text) { return hexb<32>(text); }

}  // namespace cc::ssz::testing
