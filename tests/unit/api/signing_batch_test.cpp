// SigningService::sign_batch: one signing request for many keys. Each key is answered on its
// own, in request order (a signature that verifies, or the refusal the single-key request would
// get); attestations are checked and recorded per key, all in one group commit; what is common
// to the batch (body, size, type, network, admission) refuses it whole with a 4xx/503 naming the
// problem. Real SQLite store, real BLS.
#include <gtest/gtest.h>

#include <unistd.h>

#include <filesystem>
#include <future>

#include "api/signing_service.hpp"
#include "core/json.hpp"
#include "crypto/bls.hpp"
#include "requests.hpp"
#include "slashing/sqlite_store.hpp"
#include "ssz/network.hpp"

namespace cc::api {
namespace {

namespace fs = std::filesystem;

std::string batch_body(const std::vector<std::string>& identifiers, const std::string& request) {
  std::string body = R"({"identifiers":[)";
  for (std::size_t i = 0; i < identifiers.size(); ++i) body += (i ? ",\"" : "\"") + identifiers[i] + "\"";
  return body + R"(],"signing_request":)" + request + "}";
}

std::string selection_proof(std::uint64_t slot) {
  return R"({"type":"AGGREGATION_SLOT","fork_info":)" + test::fork_info() + R"(,"aggregation_slot":{"slot":")" +
         std::to_string(slot) + R"("}})";
}

class SigningBatch : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("cc-api-batch-" + std::to_string(::getpid()) + "-" +
                                        ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    slashing::SqliteOptions options;
    options.path = (dir_ / "slashing.sqlite").string();
    auto store = slashing::open_sqlite_store(options);
    ASSERT_TRUE(store) << store.error().message;
    store_ = std::move(*store);
    for (int i = 0; i < 8; ++i) {
      auto key = std::make_shared<const crypto::SecretKey>(crypto::SecretKey::generate());
      pubkeys_.push_back(key->public_key());
      hex_.push_back(to_hex(key->public_key()));
      keys_.add(key);
    }
  }
  void TearDown() override {
    store_.reset();
    fs::remove_all(dir_);
  }
  std::unique_ptr<SigningService> service(std::size_t max_batch_keys = 1024, std::uint32_t max_pending = 100000) {
    SigningService::Options o;
    o.signing_threads = 2;
    o.max_pending = max_pending;
    o.max_batch_keys = max_batch_keys;
    return std::make_unique<SigningService>(*ssz::find_network("mainnet"), keys_, *store_, o, nullptr);
  }
  static BatchOutcome sign_batch(SigningService& signing, const std::string& body, const BatchKeyCheck& check = {}) {
    std::promise<BatchOutcome> promise;
    auto future = promise.get_future();
    signing.sign_batch(body, "test", check, [&promise](BatchOutcome o) { promise.set_value(std::move(o)); });
    return future.get();
  }
  static SignOutcome sign_one(SigningService& signing, const std::string& pubkey, const std::string& body) {
    std::promise<SignOutcome> promise;
    auto future = promise.get_future();
    signing.sign(pubkey, body, "test", {}, [&promise](SignOutcome o) { promise.set_value(std::move(o)); });
    return future.get();
  }

  fs::path dir_;
  std::unique_ptr<slashing::SlashingStore> store_;
  keys::KeyRegistry keys_;
  std::vector<BlsPublicKey> pubkeys_;
  std::vector<std::string> hex_;
};

TEST_F(SigningBatch, EachKeyAnsweredInOrderWithItsOwnRefusalAndOneGroupCommit) {
  auto signing = service();
  // Key 1 has already voted differently for target 11: the batch's vote is a double vote for it.
  ASSERT_EQ(sign_one(*signing, hex_[1], test::attestation(10, 11, 9)).status, 200u);
  ASSERT_TRUE(keys_.set_canary(pubkeys_[3], true));
  const std::string unknown = to_hex(crypto::SecretKey::generate().public_key());
  // Key 4 is outside the caller's scope.
  BatchKeyCheck check = [&](const BlsPublicKey& pk, std::string_view, std::string_view op) -> std::optional<SignOutcome> {
    EXPECT_EQ(op, "ATTESTATION");
    if (pk != pubkeys_[4]) return std::nullopt;
    SignOutcome o;
    o.status = 403;
    o.message = "not yours";
    o.reason = "forbidden";
    return o;
  };
  const std::vector<std::string> ids = {hex_[0], hex_[1], unknown, hex_[3], hex_[4], hex_[5], hex_[6]};
  const auto commits_before = store_->stats().commits;
  const auto batch = sign_batch(*signing, batch_body(ids, test::attestation(10, 11)), check);
  ASSERT_EQ(batch.status, 200u) << batch.message;
  EXPECT_EQ(batch.operation, "ATTESTATION");
  ASSERT_EQ(batch.items.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) EXPECT_EQ(batch.items[i].identifier, ids[i]);
  const std::vector<std::pair<unsigned, std::string>> expected = {
      {200, ""}, {412, "double_vote"}, {404, "unknown_key"}, {403, "canary_key"}, {403, "forbidden"}, {200, ""}, {200, ""}};
  const auto root = ssz::decode_signing_request(json::parse(test::attestation(10, 11)), *ssz::find_network("mainnet"))
                        .signing_root;
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto& o = batch.items[i].outcome;
    EXPECT_EQ(o.status, expected[i].first) << i << ": " << o.message;
    EXPECT_EQ(o.reason, expected[i].second) << i;
    EXPECT_EQ(o.operation, "ATTESTATION");
    if (o.status == 200) {
      EXPECT_TRUE(crypto::verify(*from_hex_fixed<48>(ids[i]), root, o.signature)) << i;
    }
  }
  // Keys 0, 1, 5 and 6 were decided by the database, together.
  EXPECT_EQ(store_->stats().commits, commits_before + 1);
  EXPECT_EQ(signing->pending(), 0u);

  // Each recorded vote binds its key alone: key 0 may sign the identical vote again, not another.
  EXPECT_EQ(sign_one(*signing, hex_[0], test::attestation(10, 11)).status, 200u);
  EXPECT_EQ(sign_one(*signing, hex_[0], test::attestation(10, 11, 7)).status, 412u);
  // Key 4 was never recorded (refused before the database): another vote of it is free.
  EXPECT_EQ(sign_one(*signing, hex_[4], test::attestation(10, 11, 7)).status, 200u);
}

TEST_F(SigningBatch, SelectionProofsAreSignedInParallelAndCached) {
  auto signing = service();
  const auto first = sign_batch(*signing, batch_body(hex_, selection_proof(640)));
  ASSERT_EQ(first.status, 200u) << first.message;
  ASSERT_EQ(first.items.size(), hex_.size());
  const auto root =
      ssz::decode_signing_request(json::parse(selection_proof(640)), *ssz::find_network("mainnet")).signing_root;
  for (std::size_t i = 0; i < hex_.size(); ++i) {
    ASSERT_EQ(first.items[i].outcome.status, 200u) << first.items[i].outcome.message;
    EXPECT_TRUE(crypto::verify(pubkeys_[i], root, first.items[i].outcome.signature)) << i;
  }
  const auto again = sign_batch(*signing, batch_body(hex_, selection_proof(640)));
  ASSERT_EQ(again.status, 200u);
  for (std::size_t i = 0; i < hex_.size(); ++i) EXPECT_EQ(again.items[i].outcome.signature, first.items[i].outcome.signature);
  EXPECT_EQ(signing->signature_cache().hits(), hex_.size());
}

TEST_F(SigningBatch, WhatIsCommonToTheBatchRefusesItWhole) {
  auto signing = service(4, 100000);
  struct Case {
    std::string name, body;
    unsigned status;
    std::string reason, names;  // `names`: a part of the message
  };
  std::string upper = hex_[0];
  for (auto& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  upper[1] = 'x';
  const std::vector<Case> cases = {
      {"malformed JSON", R"({"identifiers":[)", 400, "bad_request", ""},
      {"not an object", "[1]", 400, "bad_request", "body"},
      {"no identifiers", R"({"signing_request":)" + test::randao(1) + "}", 400, "bad_request", "identifiers"},
      {"no signing request", R"({"identifiers":[")" + hex_[0] + R"("]})", 400, "bad_request", "signing_request"},
      {"empty", batch_body({}, test::randao(1)), 400, "bad_request", "identifiers: empty"},
      {"too many", batch_body({hex_[0], hex_[1], hex_[2], hex_[3], hex_[4]}, test::randao(1)), 400, "batch_too_large",
       "server.max_batch_keys"},
      {"bad key", batch_body({hex_[0], "0x1234"}, test::randao(1)), 400, "bad_request", "identifiers[1]"},
      {"duplicate", batch_body({hex_[0], hex_[1], upper}, test::randao(1)), 400, "bad_request",
       "identifiers[2] repeats identifiers[0]"},
      {"block", batch_body({hex_[0]}, test::block_header(100)), 400, "unsupported_batch_type", "BLOCK_V2"},
      {"bad field", batch_body({hex_[0]}, R"({"type":"RANDAO_REVEAL","fork_info":)" + test::fork_info() + "}"), 400,
       "bad_request", "signing_request."},
      {"other network", batch_body({hex_[0]}, test::attestation(1, 2, 1, test::root_hex(0x77))), 403,
       "genesis_validators_root_mismatch", ""},
  };
  const auto commits_before = store_->stats().commits;
  for (const auto& c : cases) {
    const auto o = sign_batch(*signing, c.body);
    EXPECT_EQ(o.status, c.status) << c.name << ": " << o.message;
    EXPECT_EQ(o.reason, c.reason) << c.name << ": " << o.message;
    EXPECT_NE(o.message.find(c.names), std::string::npos) << c.name << ": " << o.message;
    EXPECT_TRUE(o.items.empty()) << c.name;
  }
  EXPECT_EQ(store_->stats().commits, commits_before) << "a refused batch wrote to the database";
  EXPECT_EQ(signing->pending(), 0u);
}

TEST_F(SigningBatch, ACallerAllowedNoKeyOfTheBatchIsRefusedWhole) {
  auto signing = service();
  BatchKeyCheck none = [](const BlsPublicKey&, std::string_view key, std::string_view) -> std::optional<SignOutcome> {
    SignOutcome o;
    o.status = 403;
    o.message = "not allowed to use sign for key " + std::string(key);
    o.reason = "forbidden";
    return o;
  };
  const auto commits_before = store_->stats().commits;
  const auto o = sign_batch(*signing, batch_body({hex_[0], hex_[1]}, test::attestation(3, 4)), none);
  EXPECT_EQ(o.status, 403u);
  EXPECT_EQ(o.reason, "forbidden");
  EXPECT_NE(o.message.find(hex_[0]), std::string::npos) << o.message;
  EXPECT_NE(o.message.find("nor with any other key"), std::string::npos) << o.message;
  EXPECT_TRUE(o.items.empty());
  EXPECT_EQ(store_->stats().commits, commits_before);
  EXPECT_EQ(signing->pending(), 0u);
}

TEST_F(SigningBatch, ABatchCountsEachKeyAgainstAdmission) {
  auto signing = service(1024, 3);
  const auto o = sign_batch(*signing, batch_body({hex_[0], hex_[1], hex_[2], hex_[3]}, test::randao(5)));
  EXPECT_EQ(o.status, 503u);
  EXPECT_EQ(o.reason, "overloaded");
  EXPECT_EQ(signing->pending(), 0u);
  const auto fits = sign_batch(*signing, batch_body({hex_[0], hex_[1], hex_[2]}, test::randao(5)));
  EXPECT_EQ(fits.status, 200u) << fits.message;
  EXPECT_EQ(signing->pending(), 0u);
}

}  // namespace
}  // namespace cc::api
