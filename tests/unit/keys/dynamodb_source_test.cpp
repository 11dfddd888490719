// The DynamoDB key source against the DynamoDB test server: keys stored by one replica appear in
// another's registry at its next refresh, deleted ones disappear, a tampered or moved item is
// refused and reported (never loaded), and nothing loads while sealed. Deactivated keys stay
// stored but unloaded on every replica; memory keys never reach the table and go with a seal.
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


TEST_F(DynamoKeysTest, AnInactiveKeyStaysStoredButIsDroppedHereAtOnceAndElsewhereAtRefresh) {
  KeyRegistry here, there;
  DynamoDbKeySource writer(*transport_, table_, here, unsealed());
  auto other_transport = cc::test::dynamo_transport();
  DynamoDbKeySource reader(*other_transport, table_, there, unsealed());
  auto a = crypto::SecretKey::generate();
  auto b = crypto::SecretKey::generate();
  const auto pa = a.public_key(), pb = b.public_key();
  ASSERT_TRUE(writer.store(a).ok());
  ASSERT_TRUE(writer.store(b).ok());
  ASSERT_TRUE(reader.refresh().ok());
  ASSERT_TRUE(there.contains(pa));

  ASSERT_TRUE(writer.set_active(pa, false).ok());
  EXPECT_FALSE(here.contains(pa)) << "dropped where deactivated, at once";
  EXPECT_TRUE(there.contains(pa)) << "the other replica follows at its refresh";
  auto r = reader.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(there.contains(pa));
  EXPECT_TRUE(there.contains(pb));
  EXPECT_EQ(r->inactive, 1u);
  EXPECT_EQ(r->removed, 1u);
  EXPECT_TRUE(r->failures.empty());
  r = writer.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(here.contains(pa)) << "a refresh does not bring an inactive key back";

  auto listed = writer.list();
  ASSERT_TRUE(listed.ok()) << listed.error().message;
  ASSERT_EQ(listed->size(), 2u);
  for (const auto& k : *listed) {
    EXPECT_EQ(k.active, k.public_key != pa);
    EXPECT_EQ(k.storage, DynamoDbKeySource::Storage::persistent);
    EXPECT_GT(k.created_at, 1600000000u);
  }

  ASSERT_TRUE(writer.set_active(pa, true).ok());
  EXPECT_TRUE(here.contains(pa)) << "activated keys load at once where activated";
  ASSERT_TRUE(reader.refresh().ok());
  EXPECT_TRUE(there.contains(pa));

  const auto unknown = crypto::SecretKey::generate().public_key();
  EXPECT_EQ(writer.set_active(unknown, false).error().kind, Error::Kind::not_found);
  aws::DynamoDb db(*transport_, table_);
  EXPECT_FALSE(db.get({{"pk", aws::attr_s(to_hex(unknown))}})->has_value()) << "no item created for an unknown key";
}

TEST_F(DynamoKeysTest, AnUnknownStatusValueIsRefusedNotLoaded) {
  KeyRegistry registry;
  DynamoDbKeySource source(*transport_, table_, registry, unsealed());
  auto a = crypto::SecretKey::generate();
  ASSERT_TRUE(source.store(a).ok());
  aws::DynamoDb db(*transport_, table_);
  ASSERT_TRUE(db.update({{"pk", aws::attr_s(to_hex(a.public_key()))}}, "SET key_status = :s",
                        aws::Condition{"", {{":s", aws::attr_s("paused")}}, {}}, aws::Retry::idempotent)
                  .ok());
  auto r = source.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(registry.contains(a.public_key()));
  ASSERT_EQ(r->failures.size(), 1u);
  EXPECT_NE(r->failures[0].second.find("paused"), std::string::npos);
}

TEST_F(DynamoKeysTest, MemoryKeysNeverReachTheTableAndGoWithASeal) {
  KeyRegistry registry;
  std::shared_ptr<const crypto::MasterKey> current = master_key();
  DynamoDbKeySource source(*transport_, table_, registry, [&] { return current; });
  auto m = std::make_shared<const crypto::SecretKey>(crypto::SecretKey::generate());
  const auto pm = m->public_key();
  ASSERT_TRUE(source.hold_in_memory(m).ok());
  EXPECT_TRUE(registry.contains(pm));
  aws::DynamoDb db(*transport_, table_);
  EXPECT_FALSE(db.get({{"pk", aws::attr_s(to_hex(pm))}})->has_value());
  EXPECT_EQ(source.hold_in_memory(m).error().kind, Error::Kind::conflict);
  auto r = source.refresh();
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(registry.contains(pm)) << "a refresh keeps memory keys";
  EXPECT_EQ(r->loaded, 1u);

  // A stored key cannot also be a memory key, inactive or not.
  auto s = crypto::SecretKey::generate();
  ASSERT_TRUE(source.store(s, false).ok());
  ASSERT_TRUE(source.set_active(s.public_key(), false).ok());
  auto dup = source.hold_in_memory(std::make_shared<const crypto::SecretKey>(
      crypto::SecretKey::from_bytes(s.export_secret().span()).value()));
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, Error::Kind::conflict);
  EXPECT_NE(dup.error().message.find("inactive"), std::string::npos) << dup.error().message;

  ASSERT_TRUE(source.set_active(pm, false).ok());
  EXPECT_FALSE(registry.contains(pm));
  ASSERT_TRUE(source.set_active(pm, true).ok());
  EXPECT_TRUE(registry.contains(pm));
  auto listed = source.list();
  ASSERT_TRUE(listed.ok());
  ASSERT_EQ(listed->size(), 2u);
  std::size_t memory = 0;
  for (const auto& k : *listed) memory += k.storage == DynamoDbKeySource::Storage::memory ? 1 : 0;
  EXPECT_EQ(memory, 1u);

  current.reset();  // sealed
  ASSERT_TRUE(source.refresh().ok());
  EXPECT_FALSE(registry.contains(pm));
  current = master_key();
  ASSERT_TRUE(source.refresh().ok());
  EXPECT_FALSE(registry.contains(pm)) << "memory keys do not survive a seal";
  EXPECT_EQ(source.erase(pm).error().kind, Error::Kind::not_found);

  auto again = std::make_shared<const crypto::SecretKey>(crypto::SecretKey::generate());
  ASSERT_TRUE(source.hold_in_memory(again).ok());
  ASSERT_TRUE(source.erase(again->public_key()).ok());
  EXPECT_FALSE(registry.contains(again->public_key()));
  EXPECT_EQ(source.erase(again->public_key()).error().kind, Error::Kind::not_found);
}

}  // namespace
}  // namespace cc::keys
