// Shamir sharing of the master key: any threshold of the shares rebuilds it, fewer never do, and
// a corrupted or foreign share is detected (and named when spare shares allow).
#include <gtest/gtest.h>

#include <openssl/rand.h>

#include "crypto/shamir.hpp"

namespace cc::crypto {
namespace {

SecretBytes<32> random_secret() {
  Bytes<32> raw{};
  RAND_bytes(raw.data(), 32);
  return SecretBytes<32>(raw);
}

bool same(const SecretBytes<32>& a, const SecretBytes<32>& b) { return std::equal(a.data(), a.data() + 32, b.data()); }

TEST(Shamir, EveryThresholdSubsetRebuildsAndSmallerOnesDoNot) {
  for (unsigned n = 1; n <= 6; ++n) {
    for (unsigned m = 1; m <= n; ++m) {
      const auto secret = random_secret();
      auto split = shamir_split(secret, n, m);
      ASSERT_TRUE(split.ok());
      ASSERT_EQ(split->shares.size(), n);
      for (unsigned mask = 1; mask < (1u << n); ++mask) {
        std::vector<Share> subset;
        for (unsigned i = 0; i < n; ++i) {
          if (mask & (1u << i)) subset.push_back(split->shares[i]);
        }
        auto rebuilt = shamir_combine(subset, m, split->commitment);
        if (subset.size() >= m) {
          ASSERT_TRUE(rebuilt.ok()) << n << " of " << m << ", mask " << mask << ": " << rebuilt.error().message;
          EXPECT_TRUE(same(*rebuilt, secret));
        } else {
          EXPECT_FALSE(rebuilt.ok()) << "fewer than the threshold must never rebuild";
        }
      }
      // Below the threshold, pretending the threshold is lower gives a wrong key: the commitment catches it.
      if (m >= 2) {
        std::vector<Share> few(split->shares.begin(), split->shares.begin() + (m - 1));
        auto forced = shamir_combine(few, m - 1, split->commitment);
        EXPECT_FALSE(forced.ok());
      }
    }
  }
}

TEST(Shamir, ACorruptedShareIsDetectedAndNamed) {
  const auto secret = random_secret();
  auto split = shamir_split(secret, 5, 3);
  ASSERT_TRUE(split.ok());
  auto shares = split->shares;
  shares[1].y[7] ^= 0x40;
  std::vector<std::uint8_t> bad;
  auto rebuilt = shamir_combine(shares, 3, split->commitment, &bad);
  ASSERT_TRUE(rebuilt.ok()) << "four good shares remain";
  EXPECT_TRUE(same(*rebuilt, secret));
  EXPECT_EQ(bad, (std::vector<std::uint8_t>{shares[1].x}));
  // Only the threshold, one of them bad: detected, not a wrong key.
  std::vector<Share> three = {shares[0], shares[1], shares[2]};
  auto failed = shamir_combine(three, 3, split->commitment);
  ASSERT_FALSE(failed.ok());
  EXPECT_NE(failed.error().message.find("corrupted"), std::string::npos) << failed.error().message;
  // A share of another key is as bad as a corrupted one.
  auto other = shamir_split(random_secret(), 5, 3);
  ASSERT_TRUE(other.ok());
  std::vector<Share> mixed = {split->shares[0], split->shares[2], other->shares[3]};
  EXPECT_FALSE(shamir_combine(mixed, 3, split->commitment).ok());
}

TEST(Shamir, BadArgumentsAreRefused) {
  const auto secret = random_secret();
  EXPECT_FALSE(shamir_split(secret, 3, 0).ok());
  EXPECT_FALSE(shamir_split(secret, 2, 3).ok());
  EXPECT_FALSE(shamir_split(secret, 256, 2).ok());
  auto split = shamir_split(secret, 3, 2);
  ASSERT_TRUE(split.ok());
  EXPECT_FALSE(shamir_combine({split->shares[0], split->shares[0]}, 2, split->commitment).ok()) << "duplicate x";
  auto zero = split->shares[0];
  zero.x = 0;
  EXPECT_FALSE(shamir_combine({zero, split->shares[1]}, 2, split->commitment).ok());
}

TEST(Shamir, SharesRevealNothingAlone) {
  // With threshold 2 a single share is the secret plus a uniformly random line: two splits of
  // the same secret give unrelated shares.
  const auto secret = random_secret();
  auto a = shamir_split(secret, 2, 2), b = shamir_split(secret, 2, 2);
  ASSERT_TRUE(a.ok() && b.ok());
  EXPECT_NE(a->shares[0].y, b->shares[0].y);
  EXPECT_EQ(a->commitment, b->commitment);
}

}  // namespace
}  // namespace cc::crypto
