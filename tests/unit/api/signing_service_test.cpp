// SigningService deadlines (server.request_timeout_seconds): a request still queued when its
// deadline passes is answered 503 "deadline_exceeded" and never signed; an anti-slashing record
// written before the drop stays, so the identical message may be signed later and a
// conflicting one is still refused. The signature cache: identical messages without slashing
// risk are answered from it, attestations never are. Real SQLite store, real BLS.
#include <gtest/gtest.h>

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <future>
#include <mutex>

#include "api/signing_service.hpp"
#include "crypto/bls.hpp"
#include "requests.hpp"
#include "slashing/sqlite_store.hpp"
#include "ssz/network.hpp"

namespace cc::api {
namespace {

namespace fs = std::filesystem;

struct Tally {
  std::mutex mu;
  std::condition_variable cv;
  std::size_t answered = 0, signed_ok = 0, dropped = 0, other = 0;
  std::vector<std::string> reasons;

  std::function<void(SignOutcome)> callback() {
    return [this](SignOutcome o) {
      std::lock_guard lock(mu);
      ++answered;
      if (o.status == 200) {
        ++signed_ok;
      } else if (o.status == 503 && o.reason == "deadline_exceeded") {
        ++dropped;
      } else {
        ++other;
        reasons.push_back(std::to_string(o.status) + " " + o.reason + ": " + o.message);
      }
      cv.notify_all();
    };
  }
  void wait_for(std::size_t n) {
    std::unique_lock lock(mu);
    ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(120), [&] { return answered >= n; }));
  }
};

class SigningDeadline : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cc-api-deadline-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    auto store = slashing::open_sqlite_store({.path = (dir_ / "slashing.sqlite").string(), .genesis_validators_root = std::nullopt});
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    auto key = std::make_shared<const crypto::SecretKey>(crypto::SecretKey::generate());
    pubkey_ = to_hex(key->public_key());
    keys_.add(key);
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::unique_ptr<SigningService> service(std::chrono::milliseconds timeout, std::size_t cache_entries = 32768) {
    SigningService::Options o;
    o.signing_threads = 1;
    o.max_pending = 1000000;
    o.request_timeout = timeout;
    o.signature_cache_entries = cache_entries;
    return std::make_unique<SigningService>(*ssz::find_network("mainnet"), keys_, *store_, o, nullptr);
  }

  fs::path dir_;
  std::unique_ptr<slashing::SlashingStore> store_;
  keys::KeyRegistry keys_;
  std::string pubkey_;
};

TEST_F(SigningDeadline, RequestsQueuedPastTheirDeadlineAreDroppedUnsigned) {
  // 3000 signatures queue for one signing thread (~1 s of BLS); with a 50 ms deadline the first
  // ones are signed and the rest are dropped as they reach the thread, in far less than 1 s.
  auto signing = service(std::chrono::milliseconds(50));
  Tally tally;
  constexpr std::size_t kRequests = 3000;
  const auto start = std::chrono::steady_clock::now();
  for (std::size_t i = 0; i < kRequests; ++i) {
    signing->sign(pubkey_, test::randao(1000 + i), "test", {}, tally.callback());
  }
  tally.wait_for(kRequests);
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(tally.other, 0u) << (tally.reasons.empty() ? "" : tally.reasons.front());
  EXPECT_GE(tally.signed_ok, 1u);
  EXPECT_GE(tally.dropped, kRequests / 2) << "signed " << tally.signed_ok << " in " << seconds << " s";
  EXPECT_EQ(signing->pending(), 0u);
}

TEST_F(SigningDeadline, WithinTheDeadlineEverythingIsSigned) {
  auto signing = service(std::chrono::seconds(30));
  Tally tally;
  for (std::size_t i = 0; i < 200; ++i) signing->sign(pubkey_, test::randao(i), "test", {}, tally.callback());
  tally.wait_for(200);
  EXPECT_EQ(tally.signed_ok, 200u);
  EXPECT_EQ(tally.dropped + tally.other, 0u);
}

TEST_F(SigningDeadline, ARecordWrittenBeforeTheDropStays) {
  // Attestations of one key at rising targets; a 1 ms deadline expires while the group commit
  // writes them, so they are recorded and then dropped unsigned.
  constexpr std::uint64_t kTargets = 2000;
  {
    auto signing = service(std::chrono::milliseconds(1));
    Tally tally;
    for (std::uint64_t t = 1; t <= kTargets; ++t) {
      signing->sign(pubkey_, test::attestation(t - 1, t), "test", {}, tally.callback());
    }
    tally.wait_for(kTargets);
    EXPECT_EQ(tally.other, 0u) << (tally.reasons.empty() ? "" : tally.reasons.front());
    ASSERT_GE(tally.dropped, 1u) << "no request outlived its deadline";
  }
  // Every one of them was recorded: the identical attestation signs again, a different one for
  // the same target is a double vote.
  auto signing = service(std::chrono::seconds(30));
  std::vector<SignOutcome> outcomes;
  std::mutex mu;
  std::condition_variable cv;
  auto collect = [&](SignOutcome o) {
    std::lock_guard lock(mu);
    outcomes.push_back(std::move(o));
    cv.notify_all();
  };
  signing->sign(pubkey_, test::attestation(kTargets - 1, kTargets), "test", {}, collect);
  signing->sign(pubkey_, test::attestation(kTargets - 1, kTargets, 9), "test", {}, collect);
  std::unique_lock lock(mu);
  ASSERT_TRUE(cv.wait_for(lock, std::chrono::seconds(30), [&] { return outcomes.size() == 2; }));
  std::sort(outcomes.begin(), outcomes.end(), [](const auto& a, const auto& b) { return a.status < b.status; });
  EXPECT_EQ(outcomes[0].status, 200u) << outcomes[0].message;
  EXPECT_EQ(outcomes[1].status, 412u) << outcomes[1].message;
  EXPECT_EQ(outcomes[1].reason, "double_vote");
}

// Signs `body` and waits for the outcome.
SignOutcome sign_sync(SigningService& signing, const std::string& pubkey, const std::string& body) {
  std::promise<SignOutcome> promise;
  auto future = promise.get_future();
  signing.sign(pubkey, body, "test", {}, [&promise](SignOutcome o) { promise.set_value(std::move(o)); });
  return future.get();
}

std::string selection_proof(std::uint64_t slot) {
  return R"({"type":"AGGREGATION_SLOT","fork_info":)" + test::fork_info() + R"(,"aggregation_slot":{"slot":")" +
         std::to_string(slot) + R"("}})";
}

using SignatureCaching = SigningDeadline;

TEST_F(SignatureCaching, AnIdenticalSelectionProofIsAnsweredFromTheCache) {
  auto signing = service(std::chrono::seconds(30));
  const auto first = sign_sync(*signing, pubkey_, selection_proof(1234));
  ASSERT_EQ(first.status, 200u) << first.message;
  EXPECT_EQ(signing->signature_cache().hits(), 0u);
  const auto again = sign_sync(*signing, pubkey_, selection_proof(1234));
  ASSERT_EQ(again.status, 200u) << again.message;
  EXPECT_EQ(again.signature, first.signature);
  EXPECT_EQ(again.operation, "AGGREGATION_SLOT");
  EXPECT_EQ(signing->signature_cache().hits(), 1u);
  // Another slot is another message: signed, and different.
  const auto other = sign_sync(*signing, pubkey_, selection_proof(1235));
  ASSERT_EQ(other.status, 200u);
  EXPECT_NE(other.signature, first.signature);
  EXPECT_EQ(signing->signature_cache().hits(), 1u);
  // What the cache answered is what signing gives: a signer without a cache agrees.
  auto uncached = service(std::chrono::seconds(30), 0);
  EXPECT_EQ(sign_sync(*uncached, pubkey_, selection_proof(1234)).signature, first.signature);
  EXPECT_EQ(uncached->signature_cache().hits(), 0u);
}

TEST_F(SignatureCaching, AttestationsAlwaysGoThroughTheAntiSlashingDatabase) {
  auto signing = service(std::chrono::seconds(30));
  const auto first = sign_sync(*signing, pubkey_, test::attestation(10, 11));
  ASSERT_EQ(first.status, 200u) << first.message;
  const auto again = sign_sync(*signing, pubkey_, test::attestation(10, 11));
  ASSERT_EQ(again.status, 200u) << again.message;
  EXPECT_EQ(again.signature, first.signature);
  EXPECT_EQ(signing->signature_cache().hits(), 0u);
  EXPECT_EQ(signing->signature_cache().size(), 0u);
  EXPECT_EQ(sign_sync(*signing, pubkey_, test::attestation(10, 11, 9)).status, 412u);
}

TEST_F(SignatureCaching, AnUnknownKeyIsRefusedEvenForACachedMessage) {
  auto signing = service(std::chrono::seconds(30));
  ASSERT_EQ(sign_sync(*signing, pubkey_, selection_proof(77)).status, 200u);
  keys_.remove(*from_hex_fixed<48>(pubkey_));
  EXPECT_EQ(sign_sync(*signing, pubkey_, selection_proof(77)).status, 404u);
}

}  // namespace
}  // namespace cc::api
