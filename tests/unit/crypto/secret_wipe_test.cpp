// Secrets leave no copy behind: a SecretKey's memory holds its scalar while it lives and none of
// it once destroyed or moved from; SecretBuffer wipes what truncate() drops and what a move
// assignment replaces. Checked on the object's own bytes (placement new into a buffer the test
// owns), with the live object as the control that the search would find the secret.
#include <gtest/gtest.h>

#include <algorithm>
#include <new>

#include "crypto/bls.hpp"
#include "crypto/secret_buffer.hpp"

namespace cc::crypto {
namespace {

// True when any 8 consecutive bytes of `secret`, in either byte order, occur in `memory`.
bool holds_part_of(std::span<const std::uint8_t> memory, std::span<const std::uint8_t, 32> secret) {
  std::array<std::uint8_t, 32> reversed;
  std::reverse_copy(secret.begin(), secret.end(), reversed.begin());
  for (const auto* s : {secret.data(), static_cast<const std::uint8_t*>(reversed.data())}) {
    for (std::size_t i = 0; i + 8 <= 32; ++i) {
      if (std::search(memory.begin(), memory.end(), s + i, s + i + 8) != memory.end()) return true;
    }
  }
  return false;
}

Bytes<32> test_secret() {
  Bytes<32> b{};
  for (std::size_t i = 0; i < b.size(); ++i) b[i] = static_cast<std::uint8_t>(0x10 + 7 * i);  // < curve order
  return b;
}

TEST(SecretWipe, SecretKeyMemoryIsClearedOnDestruction) {
  const auto secret = test_secret();
  alignas(SecretKey) std::uint8_t storage[sizeof(SecretKey)];
  auto made = SecretKey::from_bytes(secret);
  ASSERT_TRUE(made.ok());
  auto* key = new (storage) SecretKey(std::move(*made));
  ASSERT_TRUE(holds_part_of(storage, secret)) << "control: the live key's scalar is not where the test looks";
  EXPECT_FALSE(holds_part_of(
      std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(&*made), sizeof(SecretKey)), secret))
      << "the moved-from key kept the scalar";
  key->~SecretKey();
  EXPECT_FALSE(holds_part_of(storage, secret)) << "the destroyed key left its scalar in memory";
}

TEST(SecretWipe, SecretBufferWipesWhatItDrops) {
  SecretBuffer buffer(64);
  std::fill(buffer.data(), buffer.data() + 64, 0xab);
  std::uint8_t* const bytes = buffer.data();
  buffer.truncate(16);
  EXPECT_EQ(buffer.size(), 16u);
  EXPECT_TRUE(std::all_of(bytes + 16, bytes + 64, [](std::uint8_t b) { return b == 0; }));
  EXPECT_TRUE(std::all_of(bytes, bytes + 16, [](std::uint8_t b) { return b == 0xab; }));
}

}  // namespace
}  // namespace cc::crypto
