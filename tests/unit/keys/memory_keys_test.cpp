#include "keys/memory_keys.hpp"

#include <gtest/gtest.h>

namespace cc::keys {
namespace {

BlsPublicKey key(std::uint8_t b) {
  BlsPublicKey pk{};
  pk.fill(b);
  return pk;
}

TEST(MemoryKeys, MarkFindUnmark) {
  MemoryKeys memory;
  EXPECT_FALSE(memory.contains(key(1)));
  memory.mark(key(1), "m/12381/3600/0/0/0");
  memory.mark(key(2), "");
  EXPECT_EQ(memory.size(), 2u);
  EXPECT_EQ(memory.find(key(1)), std::optional<std::string>("m/12381/3600/0/0/0"));
  EXPECT_EQ(memory.find(key(2)), std::optional<std::string>(""));
  EXPECT_FALSE(memory.find(key(3)).has_value());
  EXPECT_TRUE(memory.unmark(key(1)));
  EXPECT_FALSE(memory.unmark(key(1)));
  EXPECT_FALSE(memory.contains(key(1)));
  EXPECT_TRUE(memory.contains(key(2)));
  EXPECT_EQ(memory.size(), 1u);
}

}  // namespace
}  // namespace cc::keys
