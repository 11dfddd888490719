// The chamber's KMS-only lifecycle over a real signer-state directory: init splits and wraps the
// master key, a restart rebuilds it, an unavailable KMS key below the threshold still unseals and
// one above it fails clearly, a seal on one replica drops the key on another at its refresh, and
// a corrupted wrapped share never yields a wrong key. KMS sits behind ShareWrapper; here a
// test wrapper keeps one AES-256-GCM key per "KMS key" (the real client against the KMS
// simulator is tested in the aws layer).
#include <gtest/gtest.h>
#include <openssl/rand.h>

#include <filesystem>
#include <map>
#include <set>
#include <random>

#include "seal/chamber.hpp"
#include "state/file_store.hpp"
#include "test_kms.hpp"

namespace cc::seal {
namespace {

class ChamberTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cc-chamber-" + std::to_string(std::random_device{}()));
    for (const auto& arn : arns_) {
      Bytes<32> k{};
      RAND_bytes(k.data(), 32);
      kms_.keys[arn] = k;
    }
    store_ = open_store();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::unique_ptr<state::FileDocumentStore> open_store() {
    auto s = state::FileDocumentStore::open(dir_.string());
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }
  WrapperFactory factory() {
    return [this](const std::string& arn) -> Result<std::unique_ptr<ShareWrapper>> {
      if (kms_.keys.count(arn) == 0) return Error::not_found("NotFoundException: " + arn);
      return std::unique_ptr<ShareWrapper>(std::make_unique<TestWrapper>(kms_, arn));
    };
  }
  Bytes<32> key_bytes(const Chamber& c) {
    auto k = c.master_key();
    Bytes<32> out{};
    if (k) std::copy(k->secret.data(), k->secret.data() + 32, out.begin());
    return out;
  }

  std::filesystem::path dir_;
  const std::vector<std::string> arns_ = {"arn:aws:kms:us-east-1:111111111111:key/a",
                                          "arn:aws:kms:eu-west-1:222222222222:key/b",
                                          "arn:aws:kms:ap-southeast-1:333333333333:key/c"};
  TestKms kms_;
  std::unique_ptr<state::FileDocumentStore> store_;
};

TEST_F(ChamberTest, InitUnsealsAndARestartRebuildsTheSameKey) {
  Chamber one(*store_, factory());
  ASSERT_TRUE(one.open().ok());
  EXPECT_EQ(one.state(), State::uninitialized);
  EXPECT_EQ(one.master_key(), nullptr);
  ASSERT_TRUE(one.init_kms_only(arns_, 2).ok());
  EXPECT_EQ(one.state(), State::unsealed);
  ASSERT_NE(one.master_key(), nullptr);
  const auto key = key_bytes(one);

  Chamber restarted(*store_, factory());
  ASSERT_TRUE(restarted.open().ok());
  EXPECT_EQ(restarted.state(), State::unsealed);
  EXPECT_EQ(key_bytes(restarted), key);
  EXPECT_EQ(restarted.master_key()->id, one.master_key()->id);
  EXPECT_EQ(kms_.unwraps.load(), 2) << "only as many KMS calls as the threshold needs";

  auto again = restarted.init_kms_only(arns_, 2);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, Error::Kind::conflict);
}

TEST_F(ChamberTest, UnavailableKmsKeysBelowTheThresholdStillUnsealAndAboveItFailClearly) {
  Chamber init(*store_, factory());
  ASSERT_TRUE(init.open().ok());
  ASSERT_TRUE(init.init_kms_only(arns_, 2).ok());
  const auto key = key_bytes(init);
  kms_.down = {arns_[0]};
  Chamber one_down(*store_, factory());
  ASSERT_TRUE(one_down.open().ok());
  EXPECT_EQ(key_bytes(one_down), key);
  kms_.down = {arns_[0], arns_[2]};
  Chamber two_down(*store_, factory());
  auto failed = two_down.open();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(two_down.state(), State::sealed);
  EXPECT_EQ(two_down.master_key(), nullptr);
  EXPECT_NE(failed.error().message.find("1 of the 2"), std::string::npos) << failed.error().message;
  EXPECT_NE(failed.error().message.find(arns_[0]), std::string::npos) << "names each KMS key that failed";
  EXPECT_NE(failed.error().message.find(arns_[2]), std::string::npos);
}

TEST_F(ChamberTest, ASealOnOneReplicaDropsTheKeyOnAnotherAtItsRefresh) {
  Chamber a(*store_, factory());
  ASSERT_TRUE(a.open().ok());
  ASSERT_TRUE(a.init_kms_only(arns_, 2).ok());
  auto other_store = open_store();
  Chamber b(*other_store, factory());
  ASSERT_TRUE(b.open().ok());
  ASSERT_NE(b.master_key(), nullptr);
  ASSERT_TRUE(a.seal().ok());
  EXPECT_EQ(a.master_key(), nullptr) << "at once where sealed";
  EXPECT_NE(b.master_key(), nullptr);
  ASSERT_TRUE(b.refresh().ok());
  EXPECT_EQ(b.master_key(), nullptr);
  EXPECT_EQ(b.state(), State::sealed);
  Chamber restarted(*store_, factory());
  ASSERT_TRUE(restarted.open().ok());
  EXPECT_EQ(restarted.master_key(), nullptr) << "sealed by an operator: a restart stays sealed";
  ASSERT_TRUE(restarted.unseal().ok());
  EXPECT_NE(restarted.master_key(), nullptr);
  ASSERT_TRUE(b.refresh().ok());
  EXPECT_NE(b.master_key(), nullptr) << "unsealed again for every replica";
  EXPECT_FALSE(a.seal().ok() && a.seal().ok()) << "sealing twice: the second is refused";
}

TEST_F(ChamberTest, ACorruptedWrappedShareNeverYieldsAWrongKey) {
  Chamber init(*store_, factory());
  ASSERT_TRUE(init.open().ok());
  ASSERT_TRUE(init.init_kms_only(arns_, 3).ok());
  // Swap two wrapped shares' KMS keys in the stored document: each unwrap now fails (or would
  // give the wrong share), and the chamber must stay sealed rather than rebuild a wrong key.
  auto doc = store_->get("seal");
  ASSERT_TRUE(doc.ok() && doc->has_value());
  std::string text = (*doc)->content;
  const auto a = text.find(arns_[0]), b = text.find(arns_[1]);
  ASSERT_NE(a, std::string::npos);
  text.replace(b, arns_[1].size(), arns_[0]);
  text.replace(a, arns_[0].size(), arns_[1]);
  ASSERT_TRUE(*store_->put("seal", text, (*doc)->version));
  Chamber broken(*store_, factory());
  EXPECT_FALSE(broken.open().ok());
  EXPECT_EQ(broken.master_key(), nullptr);
}

TEST_F(ChamberTest, BadInitArgumentsChangeNothing) {
  Chamber c(*store_, factory());
  ASSERT_TRUE(c.open().ok());
  EXPECT_FALSE(c.init_kms_only({}, 1).ok());
  EXPECT_FALSE(c.init_kms_only(arns_, 4).ok());
  EXPECT_FALSE(c.init_kms_only({arns_[0], arns_[0]}, 1).ok());
  auto unknown = c.init_kms_only({arns_[0], "arn:aws:kms:us-east-1:1:key/none"}, 1);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("key/none"), std::string::npos) << unknown.error().message;
  EXPECT_EQ(c.state(), State::uninitialized);
  auto doc = store_->get("seal");
  ASSERT_TRUE(doc.ok());
  EXPECT_FALSE(doc->has_value()) << "nothing written";
  EXPECT_FALSE(c.seal().ok());
  EXPECT_FALSE(c.unseal().ok());
}

}  // namespace
}  // namespace cc::seal
