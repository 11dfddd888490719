// The signer state on DynamoDB (dynalite through the production transport): the same
// compare-and-swap contract as the file store, writers in several "replicas" losing nothing, a
// missing table named at open, and runtime tokens whose revocation reaches another replica
// within its refresh interval.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "../../support/dynamo_test_server.hpp"
#include "auth/token_service.hpp"
#include "concurrent_writers.hpp"
#include "state/dynamodb_store.hpp"

namespace cc::state {
namespace {

class DynamoStateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cc::test::dynamo_endpoint()) GTEST_SKIP() << cc::test::kNoDynamoServer;
    transport_ = cc::test::dynamo_transport();
    ASSERT_NE(transport_, nullptr);
    table_ = cc::test::unique_table("state");
    ASSERT_TRUE(aws::DynamoDb(*transport_, table_).create_table("pk", "").ok());
    auto s = DynamoDbDocumentStore::open(*transport_, table_);
    ASSERT_TRUE(s.ok()) << s.error().message;
    store_ = std::move(*s);
  }
  std::unique_ptr<aws::Transport> transport_;
  std::string table_;
  std::unique_ptr<DynamoDbDocumentStore> store_;
};

TEST_F(DynamoStateTest, WritesAreVersionedAndOnlyLandOnTheVersionTheyRead) {
  auto absent = store_->get("auth");
  ASSERT_TRUE(absent.ok());
  EXPECT_FALSE(absent->has_value());
  EXPECT_TRUE(*store_->put("auth", "one", 0));
  EXPECT_FALSE(*store_->put("auth", "other", 0));
  EXPECT_TRUE(*store_->put("auth", "two", 1));
  EXPECT_FALSE(*store_->put("auth", "stale", 1));
  auto doc = store_->get("auth");
  ASSERT_TRUE(doc.ok() && doc->has_value());
  EXPECT_EQ((*doc)->content, "two");
  EXPECT_EQ((*doc)->version, 2u);
  EXPECT_FALSE(store_->change_stamp("auth").has_value()) << "DynamoDB cannot tell cheaply: readers poll";
}

TEST_F(DynamoStateTest, ConcurrentReplicasLoseNothing) {
  std::vector<std::unique_ptr<aws::Transport>> transports(4);  // each replica its own connections
  std::atomic<int> next{0};
  test::expect_concurrent_writers_lose_nothing(
      [&]() -> std::unique_ptr<DocumentStore> {
        auto& transport = transports[static_cast<std::size_t>(next++)];
        transport = cc::test::dynamo_transport();
        auto own = DynamoDbDocumentStore::open(*transport, table_);
        return own ? std::move(*own) : nullptr;
      },
      *store_, 4, 10);
}

TEST_F(DynamoStateTest, AMissingTableIsNamedAtOpen) {
  auto s = DynamoDbDocumentStore::open(*transport_, "no-such-table");
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.error().message.find("no-such-table"), std::string::npos) << s.error().message;
  EXPECT_NE(s.error().message.find("does not exist"), std::string::npos) << s.error().message;
}

TEST_F(DynamoStateTest, ARevocationReachesAnotherReplicaWithinItsRefreshInterval) {
  auto known = [](std::string_view op) { return op == "ATTESTATION"; };
  auth::TokenService one(*store_, known, {}, std::chrono::milliseconds(200));
  auto other_transport = cc::test::dynamo_transport();
  auto other_store = DynamoDbDocumentStore::open(*other_transport, table_);
  ASSERT_TRUE(other_store.ok());
  auth::TokenService two(**other_store, known, {}, std::chrono::milliseconds(200));
  ASSERT_TRUE(one.open().ok());
  ASSERT_TRUE(two.open().ok());
  auto setup = one.make_setup_token();
  ASSERT_TRUE(setup.has_value());
  ASSERT_TRUE(one.exchange_setup_token(*setup, "root").ok());
  ASSERT_TRUE(one.create_policy({"vc", {{true, {auth::Scope::sign}, {}, {}}}}).ok());
  auto token = one.create_token({"vc1", auth::TokenKind::client, {"vc"}, std::nullopt});
  ASSERT_TRUE(token.ok()) << token.error().message;

  auto lookup_on_two = [&] { return two.find(token->token).lookup; };
  const auto start = std::chrono::steady_clock::now();
  while (lookup_on_two() != auth::Lookup::found && std::chrono::steady_clock::now() - start < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(lookup_on_two(), auth::Lookup::found) << "a token created on one replica reaches the other";
  ASSERT_TRUE(one.revoke_token(token->info.id).ok());
  EXPECT_EQ(one.find(token->token).lookup, auth::Lookup::unknown) << "at once where it was revoked";
  const auto revoked_at = std::chrono::steady_clock::now();
  while (lookup_on_two() == auth::Lookup::found && std::chrono::steady_clock::now() - revoked_at < std::chrono::seconds(5)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const auto took = std::chrono::steady_clock::now() - revoked_at;
  EXPECT_EQ(lookup_on_two(), auth::Lookup::unknown);
  EXPECT_LT(took, std::chrono::milliseconds(1500)) << "within the 200 ms refresh interval (plus a loaded machine)";
}

}  // namespace
}  // namespace cc::state
