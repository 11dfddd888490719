// Load shedding: past server.max_pending_requests the signer answers 503 with Retry-After at once
// instead of queueing without bound, and keeps serving.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

TEST(Overload, ExcessRequestsGet503WithRetryAfter) {
  auto dir = make_temp_dir("overload");
  auto keys = generate_keys(dir, 2);
  ASSERT_EQ(keys.size(), 2u);
  SignerInstance signer(dir, {"--server-max-pending-requests", "2", "--server-signing-threads", "1"});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  std::atomic<int> ok{0}, shed{0}, other{0}, missing_retry_after{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 24; ++t) {
    threads.emplace_back([&, t] {
      auto http = signer.client();
      for (int i = 0; i < 40; ++i) {
        auto r = http.post("/api/v1/eth2/sign/" + keys[static_cast<std::size_t>(t) % keys.size()],
                           randao(static_cast<std::uint64_t>(t * 100 + i)));
        if (r.status == 200) {
          ++ok;
        } else if (r.status == 503) {
          ++shed;
          if (r.retry_after.empty()) ++missing_retry_after;
        } else {
          ++other;
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_GT(shed.load(), 0) << "no request was shed";
  EXPECT_GT(ok.load(), 0);
  EXPECT_EQ(other.load(), 0);
  EXPECT_EQ(missing_retry_after.load(), 0);
  EXPECT_EQ(signer.client().get("/upcheck").status, 200u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
