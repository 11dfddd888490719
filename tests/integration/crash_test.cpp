// Power-loss style test: SIGKILL the signer in the middle of a signing storm, restart it, and
// check that every signature a client received is still recorded: a conflicting message for
// the same target is refused, the identical one is re-signed.
#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <cstdlib>
#include <map>
#include <mutex>
#include <random>
#include <set>
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

// SIGKILL at random moments, many times over, while two clients per key race conflicting
// messages (blocks with different bodies at one slot; attestations with different roots for one
// target): across every crash and restart, no key may ever receive signatures for both messages
// of a pair, and every released signature must be on record after the last restart (a third
// message for its slot or target is refused). CC_CRASH_ROUNDS overrides the number of rounds;
// the seed is printed so that a failing schedule can be replayed with CC_CRASH_SEED.
TEST(CrashSafety, SigkillAtRandomMomentsNeverReleasesASlashablePair) {
  auto dir = make_temp_dir("crash-random");
  auto keys = generate_keys(dir, 4);
  ASSERT_EQ(keys.size(), 4u);
  const int rounds = std::getenv("CC_CRASH_ROUNDS") ? std::atoi(std::getenv("CC_CRASH_ROUNDS")) : 20;
  const unsigned seed = std::getenv("CC_CRASH_SEED") ? static_cast<unsigned>(std::atoi(std::getenv("CC_CRASH_SEED")))
                                                     : std::random_device{}();
  std::printf("[ crash ] %d rounds, seed %u\n", rounds, seed);
  std::mt19937 random(seed);
  // Even keys propose (slot p), odd keys attest (target p); variant 0/1 are the racing pair, 2 the probe.
  auto message = [](std::size_t key, std::uint64_t p, int variant) {
    if (key % 2 == 0) return block_header(p, static_cast<unsigned>(4 + 4 * variant));
    return attestation(p - 1, p, static_cast<unsigned>(1 + 100 * variant));
  };
  std::mutex mu;
  std::map<std::pair<std::size_t, std::uint64_t>, std::set<int>> released;  // (key, position) -> variants
  std::vector<std::uint64_t> next(keys.size(), 1);
  std::size_t total = 0;

  for (int round = 0; round < rounds; ++round) {
    SignerInstance signer(dir);
    std::string error;
    ASSERT_TRUE(signer.start(error)) << "round " << round << ": " << error;
    std::atomic<bool> gone{false};
    std::vector<std::thread> threads;
    std::vector<std::uint64_t> reached(keys.size() * 2, 0);
    for (std::size_t k = 0; k < keys.size(); ++k) {
      for (int variant = 0; variant < 2; ++variant) {
        threads.emplace_back([&, k, variant, start = next[k]] {
          auto http = signer.client();
          std::uint64_t p = start;
          for (; !gone; ++p) {
            auto r = http.post("/api/v1/eth2/sign/" + keys[k], message(k, p, variant));
            if (r.status == 0) break;  // killed
            if (r.status == 200) {
              std::lock_guard lock(mu);
              released[{k, p}].insert(variant);
              ++total;
            }
          }
          reached[k * 2 + static_cast<std::size_t>(variant)] = p;
        });
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(std::uniform_int_distribution<int>(0, 400)(random)));
    signer.process().kill(SIGKILL);
    EXPECT_EQ(signer.process().wait(std::chrono::seconds(10)), 128 + SIGKILL);
    gone = true;
    for (auto& t : threads) t.join();
    for (std::size_t k = 0; k < keys.size(); ++k) next[k] = std::max(reached[k * 2], reached[k * 2 + 1]) + 1;
  }
  ASSERT_GT(total, 0u) << "nothing was signed: the kills came too early every time";

  for (const auto& [at, variants] : released) {
    EXPECT_EQ(variants.size(), 1u) << "key " << at.first << " position " << at.second
                                   << ": both messages of a slashable pair were signed";
  }
  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  for (const auto& [at, variants] : released) {
    auto res = http.post("/api/v1/eth2/sign/" + keys[at.first], message(at.first, at.second, 2));
    ASSERT_EQ(res.status, 412u) << "key " << at.first << " position " << at.second
                                << ": a released signature was not on record: " << res.body;
  }
  std::printf("[ crash ] %zu signatures released over %d kills, all on record\n", total, rounds);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
