// Power-loss style test: SIGKILL the signer in the middle of a signing storm, restart it, and
// check that every signature a client received is still recorded: a conflicting message for
// the same target is refused, the identical one is re-signed.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

struct Received {
  std::size_t key;
  std::uint64_t target;
  std::string body;
};

TEST(CrashSafety, EveryReleasedSignatureSurvivesSigkill) {
  auto dir = make_temp_dir("crash");
  auto keys = generate_keys(dir, 8);
  ASSERT_EQ(keys.size(), 8u);
  std::vector<Received> received;
  std::vector<std::uint64_t> next_target(keys.size(), 1);

  for (int round = 0; round < 3; ++round) {
    SignerInstance signer(dir);
    std::string error;
    ASSERT_TRUE(signer.start(error)) << error;
    std::mutex mu;
    std::atomic<bool> stop{false};
    std::atomic<int> ok_count{0};
    std::vector<std::thread> threads;
    for (std::size_t k = 0; k < keys.size(); ++k) {
      threads.emplace_back([&, k] {
        auto http = signer.client();
        std::uint64_t t = next_target[k];
        while (!stop) {
          const auto body = attestation(t - 1, t, static_cast<unsigned>(t % 200));
          auto r = http.post("/api/v1/eth2/sign/" + keys[k], body);
          if (r.status == 0) break;  // the server is gone
          if (r.status == 200) {
            std::lock_guard lock(mu);
            received.push_back({k, t, body});
            ++ok_count;
          }
          ++t;
        }
        std::lock_guard lock(mu);
        next_target[k] = t + 1;
      });
    }
    // Kill while requests are in flight.
    while (ok_count < 200 && signer.process().running()) std::this_thread::sleep_for(std::chrono::milliseconds(5));
    signer.process().kill(SIGKILL);
    EXPECT_EQ(signer.process().wait(std::chrono::seconds(10)), 128 + SIGKILL);
    stop = true;
    for (auto& t : threads) t.join();
  }
  ASSERT_GE(received.size(), 600u);

  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  std::size_t checked = 0;
  for (std::size_t i = 0; i < received.size(); ++i) {
    const auto& r = received[i];
    auto conflicting = attestation(r.target - 1, r.target, static_cast<unsigned>((r.target % 200) + 201));
    auto res = http.post("/api/v1/eth2/sign/" + keys[r.key], conflicting);
    ASSERT_EQ(res.status, 412u) << "released signature for key " << r.key << " target " << r.target
                                << " was not recorded: " << res.body;
    ++checked;
  }
  // The identical messages are re-signed (allowed) for the most recent ones.
  for (std::size_t i = received.size() - 8; i < received.size(); ++i) {
    EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[received[i].key], received[i].body).status, 200u);
  }
  EXPECT_EQ(checked, received.size());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
