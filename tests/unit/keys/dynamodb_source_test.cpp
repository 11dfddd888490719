// The DynamoDB key source against the DynamoDB test server: keys stored by one replica appear in
// another's registry at its next refresh, deleted ones disappear, a tampered or moved item is
// refused and reported (never loaded), and nothing loads while sealed.
#include <gtest/gtest.h>

#include "../../support/dynamo_test_server.hpp"
#include "keys/dynamodb_source.hpp"

namespace cc::keys {
namespace {

std::shared_ptr<const crypto::MasterKey> master_key(std::string id = "m1", std::uint8_t fill = 42) {
  Bytes<32> raw{};
  raw.fill(fill);
  return std::make_shared<const crypto::MasterKey>(crypto::MasterKey{std::move(id), SecretBytes<32>(raw)});
}

class DynamoKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!cc::test::dynamo_endpoint()) GTEST_SKIP() << cc::test::kNoDynamoServer;
    transport_ = cc::test::dynamo_transport();
    ASSERT_NE(transport_, nullptr);
    table_ = cc::test::unique_table("keys");
    ASSERT_TRUE(DynamoDbKeySource::create_table(*transport_, table_).ok());
  }
  DynamoDbKeySource::MasterKeyProvider unsealed() {
    return [m = master_key()] { return m; };
  }
  std::unique_ptr<aws::Transport> transport_;
  std::string table_;
};

TEST_F(DynamoKeysTest, KeysStoredByOneReplicaAppearAndDisappearAtTheOthersRefresh) {
  KeyRegistry here, there;
  DynamoDbKeySource writer(*transport_, table_, here, unsealed());
  auto other_transport = cc::test::dynamo_transport();
  DynamoDbKeySource reader(*other_transport, table_, there, unsealed());
  ASSERT_TRUE(writer.check_table().ok());
  auto a = crypto::SecretKey::generate();
  auto b = crypto::SecretKey::generate();
  const auto pa = a.public_key(), pb = b.public_key();
  ASSERT_TRUE(writer.store(a).ok());
  ASSERT_TRUE(writer.store(b).ok());
  EXPECT_TRUE(here.contains(pa)) << "loaded at once where stored";
  auto dup = writer.store(crypto::SecretKey::from_bytes(a.export_secret().span()).value());
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, Error::Kind::conflict);

  auto r = reader.refresh();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->added, 2u);
  EXPECT_EQ(r->loaded, 2u);
  ASSERT_TRUE(there.contains(pa) && there.contains(pb));
  Root root{};
  root[0] = 9;
  EXPECT_EQ(there.find(pa)->sign(root), a.sign(root)) << "the same key, not just the same public key";

  ASSERT_TRUE(writer.erase(pa).ok());
  EXPECT_FALSE(here.contains(pa));
  r = reader.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed, 1u);
  EXPECT_FALSE(there.contains(pa));
  EXPECT_TRUE(there.contains(pb));
  EXPECT_EQ(writer.erase(pa).error().kind, Error::Kind::not_found);
}

TEST_F(DynamoKeysTest, ATamperedOrMovedItemIsRefusedAndReportedNeverLoaded) {
  KeyRegistry registry;
  DynamoDbKeySource source(*transport_, table_, registry, unsealed());
  auto good = crypto::SecretKey::generate();
  ASSERT_TRUE(source.store(good, false).ok());
  // Copy the good item's ciphertext under another public key (a tampered table).
  aws::DynamoDb db(*transport_, table_);
  auto item = db.get({{"pk", aws::attr_s(to_hex(good.public_key()))}});
  ASSERT_TRUE(item.ok() && item->has_value());
  aws::Item moved = **item;
  const auto other = crypto::SecretKey::generate().public_key();
  moved["pk"] = aws::attr_s(to_hex(other));
  ASSERT_TRUE(db.put(moved, std::nullopt, aws::Retry::idempotent).ok());

  auto r = source.refresh();
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_TRUE(registry.contains(good.public_key()));
  EXPECT_FALSE(registry.contains(other)) << "a moved ciphertext must never load";
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_EQ(r->failures[0].first, to_hex(other));
  EXPECT_NE(r->failures[0].second.find("authentication failed"), std::string::npos) << r->failures[0].second;
  r = source.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->failures.size(), 1u) << "reported at every refresh until fixed";

  // Another master key: nothing opens.
  KeyRegistry elsewhere;
  DynamoDbKeySource wrong(*transport_, table_, elsewhere, [m = master_key("m1", 7)] { return m; });
  r = wrong.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(elsewhere.size(), 0u);
  EXPECT_EQ(r->failures.size(), 2u);
}

TEST_F(DynamoKeysTest, NothingLoadsWhileSealed) {
  KeyRegistry registry;
  std::shared_ptr<const crypto::MasterKey> current;  // sealed
  DynamoDbKeySource source(*transport_, table_, registry, [&] { return current; });
  auto key = crypto::SecretKey::generate();
  auto refused = source.store(key);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Error::Kind::unavailable);
  current = master_key();
  ASSERT_TRUE(source.store(key, false).ok());
  current.reset();
  auto r = source.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(registry.size(), 0u);
  current = master_key();
  r = source.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(registry.size(), 1u);
  current.reset();  // sealed again: the decrypted keys leave memory at the next refresh
  r = source.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed, 1u);
  EXPECT_EQ(registry.size(), 0u);
}

TEST_F(DynamoKeysTest, AMissingTableIsNamed) {
  KeyRegistry registry;
  DynamoDbKeySource source(*transport_, "no-such-keys", registry, unsealed());
  auto ok = source.check_table();
  ASSERT_FALSE(ok.ok());
  EXPECT_NE(ok.error().message.find("no-such-keys"), std::string::npos) << ok.error().message;
}

}  // namespace
}  // namespace cc::keys
