// constant_time_equal(): right answers, and timing that does not depend on where two inputs
// differ. The timing check compares 1 MiB buffers differing at the first byte with ones differing
// at the last: an early-exit compare (std::memcmp, shown as the control) is orders of magnitude
// faster on the first; constant_time_equal must take about as long on both.
#include "auth/constant_time.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <functional>
#include <vector>

namespace cc::auth {
namespace {

using Buffer = std::vector<std::uint8_t>;

TEST(ConstantTimeEqual, AnswersLikeEquality) {
  const Buffer a = {1, 2, 3, 4};
  EXPECT_TRUE(constant_time_equal(a, Buffer{1, 2, 3, 4}));
  EXPECT_FALSE(constant_time_equal(a, Buffer{0, 2, 3, 4}));  // first byte
  EXPECT_FALSE(constant_time_equal(a, Buffer{1, 2, 3, 5}));  // last byte
  EXPECT_FALSE(constant_time_equal(a, Buffer{1, 2, 3}));     // prefix: lengths differ
  EXPECT_FALSE(constant_time_equal(a, Buffer{1, 2, 3, 4, 0}));
  EXPECT_TRUE(constant_time_equal(Buffer{}, Buffer{}));
  EXPECT_FALSE(constant_time_equal(Buffer{}, Buffer{0}));
  for (unsigned bit = 0; bit < 8; ++bit) {  // any single bit anywhere
    Buffer b = a;
    b[2] ^= static_cast<std::uint8_t>(1u << bit);
    EXPECT_FALSE(constant_time_equal(a, b)) << "bit " << bit;
  }
}

// Median nanoseconds of `compare` over many runs.
double median_ns(const std::function<bool()>& compare) {
  std::vector<double> runs;
  volatile bool sink = false;
  for (int i = 0; i < 61; ++i) {
    const auto start = std::chrono::steady_clock::now();
    sink = compare();
    runs.push_back(std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count());
  }
  (void)sink;
  std::nth_element(runs.begin(), runs.begin() + 30, runs.end());
  return runs[30];
}

TEST(ConstantTimeEqual, TakesAsLongWhereverTheInputsDiffer) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "under AddressSanitizer and ThreadSanitizer memcmp is intercepted and reads both buffers whole, "
                  "so the control cannot show an early exit; the measurement means something only in an "
                  "uninstrumented build";
#endif
  constexpr std::size_t kSize = 1 << 20;
  const Buffer secret(kSize, 0x5a);
  Buffer early = secret, late = secret;
  early.front() ^= 1;
  late.back() ^= 1;

  const double memcmp_early = median_ns([&] { return std::memcmp(secret.data(), early.data(), kSize) == 0; });
  const double memcmp_late = median_ns([&] { return std::memcmp(secret.data(), late.data(), kSize) == 0; });
  // The control: the measurement can see an early exit.
  ASSERT_GT(memcmp_late, 20 * memcmp_early) << "memcmp early " << memcmp_early << " ns, late " << memcmp_late << " ns";

  const double ct_early = median_ns([&] { return constant_time_equal(secret, early); });
  const double ct_late = median_ns([&] { return constant_time_equal(secret, late); });
  const double ratio = std::max(ct_early, ct_late) / std::min(ct_early, ct_late);
  EXPECT_LT(ratio, 2.0) << "constant_time_equal early " << ct_early << " ns, late " << ct_late << " ns";
  std::printf("[ timing ] memcmp %.0f/%.0f ns, constant_time_equal %.0f/%.0f ns (first/last byte differs)\n",
              memcmp_early, memcmp_late, ct_early, ct_late);
}

}  // namespace
}  // namespace cc::auth
