// The chamber's operator-quorum mode over a real signer-state directory, with several Chamber
// objects on it standing for replicas: registration (tokens single-use across replicas, short
// passphrases refused), unseal with any M of N passphrases and never fewer, wrong passphrases
// refused and locked out across replicas, restarts waiting in kms_unsealed, replicas following
// each other's submissions until their deadline, KMS keys unavailable below and above the
// threshold, the master key dropped on seal, and every rotation keeping the master key.
#include <gtest/gtest.h>
#include <openssl/rand.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "core/json.hpp"
#include "seal/chamber.hpp"
#include "state/file_store.hpp"
#include "test_kms.hpp"

namespace cc::seal {
namespace {

const std::string kPass[] = {"correct horse battery staple", "tr0ub4dor & three more words",
                             "a third long passphrase!"};

class QuorumTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cc-quorum-" + std::to_string(std::random_device{}()));
    for (const auto& arn : arns_) {
      Bytes<32> k{};
      RAND_bytes(k.data(), 32);
      kms_.keys[arn] = k;
    }
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A replica: its own store object on the shared directory, and its own Chamber.
  struct Replica {
    std::unique_ptr<state::FileDocumentStore> store;
    std::unique_ptr<Chamber> chamber;
    Chamber* operator->() { return chamber.get(); }
  };
  Replica replica(bool open = true) {
    auto s = state::FileDocumentStore::open(dir_.string());
    EXPECT_TRUE(s.ok());
    Replica r;
    r.store = std::move(*s);
    ChamberOptions o;
    o.scrypt_n = 1u << 10;  // light for tests; the default is 2^17
    o.unseal_timeout = std::chrono::minutes(30);
    o.now = [this] { return clock_.load(); };
    r.chamber = std::make_unique<Chamber>(*r.store, factory(), o);
    if (open) (void)r.chamber->open();
    return r;
  }
  WrapperFactory factory() {
    return [this](const std::string& arn) -> Result<std::unique_ptr<ShareWrapper>> {
      if (kms_.keys.count(arn) == 0) return Error::not_found("NotFoundException: " + arn);
      return std::unique_ptr<ShareWrapper>(std::make_unique<TestWrapper>(kms_, arn));
    };
  }
  static Bytes<32> key_bytes(const Chamber& c) {
    auto k = c.master_key();
    Bytes<32> out{};
    if (k) std::copy(k->secret.data(), k->secret.data() + 32, out.begin());
    return out;
  }
  // init 2-of-3 KMS, `m`-of-3 operators, and every operator registered: sealed.
  void init_and_register(Replica& r, unsigned m = 2) {
    auto tokens = r->init_quorum(arns_, 2, {3, m, {}});
    ASSERT_TRUE(tokens.ok()) << tokens.error().message;
    ASSERT_EQ(tokens->size(), 3u);
    EXPECT_EQ(r->state(), State::awaiting_registration);
    for (std::size_t i = 0; i < 3; ++i) {
      auto reg = r->register_operator((*tokens)[i].token, kPass[i]);
      ASSERT_TRUE(reg.ok()) << reg.error().message;
      EXPECT_EQ(reg->registered, i + 1);
    }
    EXPECT_EQ(r->state(), State::sealed);
    EXPECT_EQ(r->master_key(), nullptr);
  }
  // Unseals `r` with operators `ops` (indices), expecting success.
  void unseal_with(Replica& r, std::initializer_list<int> ops) {
    for (int i : ops) {
      auto p = r->submit_passphrase(kPass[i], "op-" + std::to_string(i + 1));
      ASSERT_TRUE(p.ok()) << p.error().message;
    }
    ASSERT_EQ(r->state(), State::unsealed);
  }

  std::filesystem::path dir_;
  const std::vector<std::string> arns_ = {"arn:aws:kms:us-east-1:111111111111:key/a",
                                          "arn:aws:kms:eu-west-1:222222222222:key/b",
                                          "arn:aws:kms:ap-southeast-1:333333333333:key/c"};
  TestKms kms_;
  std::atomic<std::int64_t> clock_{1'700'000'000};
};

TEST_F(QuorumTest, AnyTwoOfThreePassphrasesUnsealTheSameKeyAndOneDoesNot) {
  auto r = replica();
  init_and_register(r);
  std::optional<Bytes<32>> key;
  for (auto [a, b] : {std::pair{0, 1}, std::pair{0, 2}, std::pair{2, 1}}) {
    auto node = replica();  // a restart: KMS opens the outer layer, passphrases are still needed
    ASSERT_TRUE(node->unseal().ok());
    EXPECT_EQ(node->state(), State::kms_unsealed);
    auto first = node->submit_passphrase(kPass[a], "");  // no operator named: each is tried
    ASSERT_TRUE(first.ok()) << first.error().message;
    EXPECT_EQ(first->operator_id, "op-" + std::to_string(a + 1));
    EXPECT_EQ(first->submitted, 1u);
    EXPECT_EQ(first->threshold, 2u);
    EXPECT_EQ(node->state(), State::kms_unsealed) << "one share of two is not enough";
    EXPECT_EQ(node->master_key(), nullptr);
    auto second = node->submit_passphrase(kPass[b], "op-" + std::to_string(b + 1));
    ASSERT_TRUE(second.ok()) << second.error().message;
    EXPECT_EQ(second->state, State::unsealed);
    ASSERT_NE(node->master_key(), nullptr);
    if (!key) key = key_bytes(*node.chamber);
    EXPECT_EQ(key_bytes(*node.chamber), *key) << "every pair rebuilds the same master key";
    ASSERT_TRUE(node->seal().ok());  // discards the submissions for the next pair
  }
  EXPECT_NE(*key, Bytes<32>{});
}

TEST_F(QuorumTest, RegistrationTokensAreSingleUseAcrossReplicas) {
  auto a = replica();
  auto tokens = a->init_quorum(arns_, 2, {3, 2, {}});
  ASSERT_TRUE(tokens.ok());
  auto b = replica();
  EXPECT_EQ(b->state(), State::awaiting_registration);
  ASSERT_TRUE(a->register_operator((*tokens)[0].token, kPass[0]).ok());
  auto again = b->register_operator((*tokens)[0].token, kPass[1]);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, Error::Kind::unauthenticated);
  EXPECT_NE(again.error().message.find("already used"), std::string::npos);

  // Two replicas racing with the same token: exactly one registers.
  std::atomic<int> won{0}, lost{0};
  std::thread t1([&] { (a->register_operator((*tokens)[1].token, kPass[1]).ok() ? won : lost)++; });
  std::thread t2([&] { (b->register_operator((*tokens)[1].token, kPass[2]).ok() ? won : lost)++; });
  t1.join();
  t2.join();
  EXPECT_EQ(won.load(), 1);
  EXPECT_EQ(lost.load(), 1);

  auto forged = a->register_operator("cc-reg-" + std::string(64, '0'), kPass[2]);
  EXPECT_EQ(forged.error().kind, Error::Kind::unauthenticated);
  auto short_pass = a->register_operator((*tokens)[2].token, "short");
  ASSERT_FALSE(short_pass.ok());
  EXPECT_EQ(short_pass.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(short_pass.error().message.find("at least 12"), std::string::npos) << short_pass.error().message;
  EXPECT_TRUE(a->register_operator((*tokens)[2].token, kPass[2]).ok())
      << "a refused passphrase leaves the token usable";
  ASSERT_TRUE(b->refresh().ok());
  EXPECT_EQ(b->state(), State::sealed) << "the last registration seals the chamber for every replica";
  EXPECT_FALSE(a->register_operator((*tokens)[2].token, kPass[2]).ok());
}

TEST_F(QuorumTest, WrongPassphrasesNeverUnsealAndAreLockedOutAcrossReplicas) {
  auto a = replica();
  init_and_register(a);
  auto b = replica();
  ASSERT_TRUE(a->unseal().ok());
  for (int i = 1; i <= 3; ++i) {
    auto wrong = a->submit_passphrase("not the passphrase of op-1", "op-1");
    ASSERT_FALSE(wrong.ok());
    EXPECT_EQ(wrong.error().kind, Error::Kind::unauthenticated);
    EXPECT_NE(wrong.error().message.find("wrong passphrase"), std::string::npos);
    EXPECT_EQ(a->master_key(), nullptr);
  }
  // Locked out now, on every replica, even with the right passphrase.
  std::chrono::seconds retry{0};
  auto locked = b->submit_passphrase(kPass[0], "op-1", &retry);
  ASSERT_FALSE(locked.ok());
  EXPECT_EQ(locked.error().kind, Error::Kind::unavailable);
  EXPECT_EQ(retry, std::chrono::seconds(30));
  EXPECT_NE(locked.error().message.find("retry in 30 s"), std::string::npos) << locked.error().message;
  EXPECT_EQ(b->status().operators[0].failures, 3u);
  // Another operator is not affected.
  ASSERT_TRUE(b->submit_passphrase(kPass[1], "op-2").ok());
  clock_ += 31;
  auto wrong = a->submit_passphrase("still not the passphrase", "op-1");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.error().message.find("locked out for 60 s"), std::string::npos) << "doubles" << wrong.error().message;
  clock_ += 61;
  auto ok = a->submit_passphrase(kPass[0], "op-1");
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(a->state(), State::unsealed);
  EXPECT_EQ(a->status().operators[0].failures, 0u) << "a success clears the count";
  // Unnamed attempts have their own counter.
  auto c = replica();
  ASSERT_TRUE(c->seal().ok());
  ASSERT_TRUE(c->unseal().ok());
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(c->submit_passphrase("nobody's passphrase here", "").ok());
  EXPECT_EQ(c->submit_passphrase(kPass[0], "").error().kind, Error::Kind::unavailable);
  EXPECT_TRUE(c->submit_passphrase(kPass[0], "op-1").ok()) << "naming the operator uses its own counter";
}

TEST_F(QuorumTest, ARestartWaitsInKmsUnsealedAndReplicasFollowSharedSubmissionsUntilTheirDeadline) {
  auto a = replica();
  init_and_register(a);
  auto b = replica();
  auto c = replica();
  ASSERT_TRUE(b->submit_passphrase(kPass[0], "op-1").ok());  // from sealed: KMS step, then the share
  ASSERT_TRUE(a->refresh().ok());
  EXPECT_EQ(a->state(), State::kms_unsealed);
  EXPECT_EQ(a->status().submitted, 1u);
  ASSERT_TRUE(c->submit_passphrase(kPass[2], "op-3").ok());
  EXPECT_EQ(c->state(), State::unsealed);
  ASSERT_TRUE(a->refresh().ok());
  EXPECT_EQ(a->state(), State::unsealed) << "the shared submissions unseal every replica";
  ASSERT_TRUE(b->refresh().ok());
  EXPECT_EQ(key_bytes(*a.chamber), key_bytes(*b.chamber));
  EXPECT_EQ(key_bytes(*a.chamber), key_bytes(*c.chamber));

  auto restarted = replica();
  EXPECT_EQ(restarted->state(), State::unsealed) << "within the deadline a restart follows too";
  clock_ += 31 * 60;
  auto late = replica();
  EXPECT_EQ(late->state(), State::kms_unsealed) << "expired submissions are discarded: passphrases needed again";
  EXPECT_EQ(late->master_key(), nullptr);
  EXPECT_EQ(late->status().submitted, 0u);
  EXPECT_EQ(a->state(), State::unsealed) << "replicas holding the key keep it";
  unseal_with(late, {0, 1});
}

TEST_F(QuorumTest, KmsKeysUnavailableBelowTheThresholdStillOpenTheOuterLayerAndAboveItFailClearly) {
  auto a = replica();
  init_and_register(a);
  kms_.down = {arns_[1]};
  auto one_down = replica();
  ASSERT_TRUE(one_down->unseal().ok());
  EXPECT_EQ(one_down->state(), State::kms_unsealed);
  unseal_with(one_down, {0, 2});
  kms_.down = {arns_[0], arns_[1]};
  auto two_down = replica(false);
  auto failed = two_down->open();
  ASSERT_FALSE(failed.ok());
  EXPECT_EQ(two_down->state(), State::sealed);
  EXPECT_NE(failed.error().message.find("1 of the 2"), std::string::npos) << failed.error().message;
  EXPECT_NE(failed.error().message.find(arns_[0]), std::string::npos);
  EXPECT_FALSE(two_down->submit_passphrase(kPass[0], "op-1").ok());
}

TEST_F(QuorumTest, SealDropsTheMasterAndOuterKeysAndKeepsNoCopy) {
  auto a = replica();
  init_and_register(a);
  unseal_with(a, {0, 1});
  auto key = a->master_key();
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key.use_count(), 2) << "the chamber's reference and ours, no other copy";
  EXPECT_TRUE(a->holds_outer_key());
  ASSERT_TRUE(a->seal().ok());
  EXPECT_EQ(a->master_key(), nullptr);
  EXPECT_EQ(key.use_count(), 1) << "the chamber dropped its reference";
  EXPECT_FALSE(a->holds_outer_key());
  EXPECT_EQ(a->status().submitted, 0u) << "the seal discards submissions";
  auto restarted = replica();
  EXPECT_EQ(restarted->state(), State::sealed);
  EXPECT_FALSE(restarted->holds_outer_key()) << "sealed: not even the outer key is rebuilt";
}

TEST_F(QuorumTest, RotationsKeepTheMasterKey) {
  auto a = replica();
  init_and_register(a);
  unseal_with(a, {0, 1});
  const auto key = key_bytes(*a.chamber);

  // kms: a fourth KMS key, 3 of 4 now.
  kms_.keys["arn:aws:kms:us-west-2:444444444444:key/d"] = Bytes<32>{1};
  auto arns = arns_;
  arns.push_back("arn:aws:kms:us-west-2:444444444444:key/d");
  ASSERT_TRUE(a->rotate_kms(arns, 3).ok());
  kms_.down = {arns_[0]};
  clock_ += 31 * 60;  // past the submissions' deadline: each restart below needs passphrases
  {
    auto r = replica();
    EXPECT_EQ(r->status().kms_threshold, 3u);
    unseal_with(r, {1, 2});
    EXPECT_EQ(key_bytes(*r.chamber), key);
  }
  kms_.down.clear();

  // unseal: new passphrases, same operators; signing goes on meanwhile.
  auto tokens = a->rotate_unseal();
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  EXPECT_EQ(a->state(), State::awaiting_rotation);
  EXPECT_NE(a->master_key(), nullptr) << "signing continues during a rotation";
  const std::string fresh[] = {"op one's fresh passphrase", "op two's fresh passphrase", "op three's fresh one"};
  for (std::size_t i = 0; i < 3; ++i) ASSERT_TRUE(a->register_operator((*tokens)[i].token, fresh[i]).ok());
  EXPECT_EQ(a->state(), State::unsealed);
  clock_ += 31 * 60;
  {
    auto r = replica();
    EXPECT_FALSE(r->submit_passphrase(kPass[0], "op-1").ok()) << "the old passphrase is worthless";
    ASSERT_TRUE(r->submit_passphrase(fresh[0], "op-1").ok());
    ASSERT_TRUE(r->submit_passphrase(fresh[2], "op-3").ok());
    EXPECT_EQ(key_bytes(*r.chamber), key);
  }

  // quorum: two named operators, both needed.
  QuorumSpec spec{0, 2, {"alice", "bob"}};
  tokens = a->rotate_quorum(spec);
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  EXPECT_EQ((*tokens)[0].operator_id, "alice");
  ASSERT_TRUE(a->register_operator((*tokens)[0].token, "alice's long passphrase").ok());
  clock_ += 31 * 60;
  {
    auto r = replica();  // during the rotation, the current operators still unseal a restart
    ASSERT_TRUE(r->submit_passphrase(fresh[0], "op-1").ok());
    ASSERT_TRUE(r->submit_passphrase(fresh[1], "op-2").ok());
    EXPECT_EQ(r->state(), State::awaiting_rotation);
  }
  ASSERT_TRUE(a->register_operator((*tokens)[1].token, "bob's long passphrase!").ok());
  EXPECT_EQ(a->state(), State::unsealed);
  ASSERT_TRUE(a->seal().ok());
  {
    auto r = replica();
    EXPECT_EQ(r->submit_passphrase(fresh[0], "op-1").error().kind, Error::Kind::not_found);
    ASSERT_TRUE(r->submit_passphrase("alice's long passphrase", "alice").ok());
    EXPECT_EQ(r->state(), State::kms_unsealed);
    ASSERT_TRUE(r->submit_passphrase("bob's long passphrase!", "").ok());
    EXPECT_EQ(key_bytes(*r.chamber), key);
  }
  ASSERT_TRUE(a->refresh().ok());
  ASSERT_EQ(a->state(), State::unsealed);

  // mode: quorum → KMS-only (at once), then back to quorum (operators register).
  ASSERT_TRUE(a->rotate_mode(Mode::kms_only, {}).ok());
  EXPECT_FALSE(a->holds_outer_key());
  {
    auto r = replica();
    EXPECT_EQ(r->state(), State::unsealed) << "KMS-only: a restart unseals by itself";
    EXPECT_EQ(key_bytes(*r.chamber), key);
    EXPECT_EQ(r->status().mode, Mode::kms_only);
  }
  ASSERT_TRUE(a->rotate_kms({arns_[2], arns_[0]}, 1).ok());
  tokens = a->rotate_mode(Mode::quorum, {2, 1, {}});
  ASSERT_TRUE(tokens.ok()) << tokens.error().message;
  {
    auto r = replica();
    EXPECT_EQ(r->state(), State::awaiting_rotation) << "KMS-only until every operator registered";
    EXPECT_EQ(key_bytes(*r.chamber), key);
  }
  ASSERT_TRUE(a->register_operator((*tokens)[0].token, "first operator passphrase").ok());
  ASSERT_TRUE(a->register_operator((*tokens)[1].token, "second operator passphrase").ok());
  EXPECT_EQ(a->status().mode, Mode::quorum);
  {
    auto r = replica();
    EXPECT_EQ(r->state(), State::kms_unsealed);
    ASSERT_TRUE(r->submit_passphrase("second operator passphrase", "").ok());
    EXPECT_EQ(r->state(), State::unsealed);
    EXPECT_EQ(key_bytes(*r.chamber), key);
  }
  const auto counters = a->counters();
  EXPECT_EQ(counters.init, 1u);
  EXPECT_EQ(counters.rotations.at("kms"), 2u);
  EXPECT_EQ(counters.rotations.at("unseal"), 1u);
  EXPECT_EQ(counters.rotations.at("quorum"), 1u);
  EXPECT_EQ(counters.rotations.at("mode"), 2u);
  EXPECT_EQ(counters.unseal_shares.at("op-1"), 1u);
  EXPECT_GE(counters.seal, 1u);
}

TEST_F(QuorumTest, ASealOrACancelVoidsARotationsTokens) {
  auto a = replica();
  init_and_register(a);
  unseal_with(a, {0, 1});
  auto tokens = a->rotate_quorum({2, 2, {}});
  ASSERT_TRUE(tokens.ok());
  EXPECT_FALSE(a->rotate_kms(arns_, 2).ok()) << "one rotation at a time";
  ASSERT_TRUE(a->cancel_rotation().ok());
  EXPECT_EQ(a->state(), State::unsealed);
  EXPECT_EQ(a->register_operator((*tokens)[0].token, "a long enough passphrase").error().kind,
            Error::Kind::unauthenticated);
  tokens = a->rotate_unseal();
  ASSERT_TRUE(tokens.ok());
  ASSERT_TRUE(a->seal().ok());
  EXPECT_EQ(a->register_operator((*tokens)[0].token, "a long enough passphrase").error().kind,
            Error::Kind::unauthenticated);
  auto r = replica();
  unseal_with(r, {0, 2});  // the old passphrases still hold
  EXPECT_EQ(r->status().rotation, "");
}

TEST_F(QuorumTest, RefusalsNameTheProblemAndChangeNothing) {
  auto a = replica();
  EXPECT_EQ(a->init_quorum(arns_, 2, {3, 4, {}}).error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(a->init_quorum(arns_, 2, {0, 0, {}}).error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(a->init_quorum(arns_, 2, {0, 1, {"x", "x"}}).error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(a->init_quorum(arns_, 4, {3, 2, {}}).error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(a->state(), State::uninitialized);
  EXPECT_FALSE(a->submit_passphrase(kPass[0], "").ok());
  init_and_register(a);
  EXPECT_EQ(a->rotate_quorum({2, 2, {}}).error().kind, Error::Kind::conflict) << "sealed: no rotation";
  auto kms_only_dir = dir_;
  EXPECT_EQ(a->init_kms_only(arns_, 2).error().kind, Error::Kind::conflict);
  auto status = a->status();
  EXPECT_EQ(status.mode, Mode::quorum);
  EXPECT_EQ(status.unseal_threshold, 2u);
  ASSERT_EQ(status.operators.size(), 3u);
  EXPECT_TRUE(status.operators[2].registered);
  ASSERT_FALSE(status.transitions.empty());
  EXPECT_EQ(status.transitions.back().event, "complete the registration");
  EXPECT_EQ(status.transitions.back().state, "sealed");
}

TEST(SealDocument, FormatOneIsReadAsKmsOnlyAndInconsistentDocumentsAreRefused) {
  const std::string v1 =
      R"({"format":1,"state":"sealed","mode":"kms_only","master_key_id":"m-1","threshold":1,"commitment":"0x)" +
      std::string(64, 'a') + R"(","shares":[{"x":1,"kms_key":"arn:k","blob":"AAAA"}]})";
  const auto d = parse_seal_document(v1);
  EXPECT_EQ(d.mode, Mode::kms_only);
  EXPECT_EQ(d.state, State::sealed);
  EXPECT_EQ(d.kms.secret, KmsLayer::Secret::master);
  EXPECT_EQ(d.kms.secret_id, "m-1");
  EXPECT_EQ(d.kms.shares.size(), 1u);
  // Written back as format 2, read back the same.
  const auto again = parse_seal_document(serialize_seal_document(d));
  EXPECT_EQ(again.kms.commitment, d.kms.commitment);
  EXPECT_EQ(again.master_key_id, "m-1");
  auto text = serialize_seal_document(d);
  const auto at = text.find("\"kms_only\"");
  ASSERT_NE(at, std::string::npos);
  text.replace(at, 10, "\"quorum\"");
  EXPECT_THROW(parse_seal_document(text), json::InputError) << "quorum mode without operators";
  EXPECT_THROW(parse_seal_document(R"({"format":3,"state":"sealed"})"), json::InputError);
}

}  // namespace
}  // namespace cc::seal
