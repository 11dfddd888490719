// Runtime tokens in the signer state: bootstrap with the setup token, policies and client tokens,
// revocation seen at once by another service sharing the state (a replica), expiry, and the
// Auth API's rule that only management tokens manage.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "auth/access_control.hpp"
#include "auth/token_service.hpp"
#include "state/file_store.hpp"

namespace cc::auth {
namespace {

const std::string kKeyA = "0x" + std::string(96, 'a');

bool known(std::string_view op) { return op == "ATTESTATION" || op == "VOLUNTARY_EXIT" || op == "BLOCK_V2"; }

class TokenServiceTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cc-tokens-" + std::to_string(std::random_device{}()));
    store_ = open_store();
    service_ = replica();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::unique_ptr<state::FileDocumentStore> open_store() {
    auto s = state::FileDocumentStore::open(dir_.string());
    EXPECT_TRUE(s.ok());
    return std::move(*s);
  }
  // Another service on the same state, as a second signer process would have.
  std::unique_ptr<TokenService> replica(state::DocumentStore* store = nullptr) {
    auto t = std::make_unique<TokenService>(store != nullptr ? *store : *store_, known, [this] { return now_; });
    EXPECT_TRUE(t->open().ok());
    return t;
  }
  IssuedToken root() {
    auto setup = service_->make_setup_token();
    EXPECT_TRUE(setup.has_value());
    auto issued = service_->exchange_setup_token(setup.value_or(""), "root");
    EXPECT_TRUE(issued.ok()) << issued.error().message;
    return issued.ok() ? *issued : IssuedToken{};
  }
  Policy signer_policy(std::string name = "vc") {
    return {std::move(name), {{true, {Scope::sign, Scope::public_keys}, {}, {}}, {false, {}, {}, {"VOLUNTARY_EXIT"}}}};
  }
  IssuedToken client(std::vector<std::string> policies, std::optional<std::uint64_t> ttl = std::nullopt) {
    auto t = service_->create_token({"vc1", TokenKind::client, std::move(policies), ttl});
    EXPECT_TRUE(t.ok()) << t.error().message;
    return t.ok() ? *t : IssuedToken{};
  }
  std::string state_file() const {
    std::ifstream in(dir_ / "auth.json");
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  std::filesystem::path dir_;
  std::int64_t now_ = 1'800'000'000;
  std::unique_ptr<state::FileDocumentStore> store_;
  std::unique_ptr<TokenService> service_;
};

TEST_F(TokenServiceTest, TheSetupTokenBuysTheFirstManagementTokenOnce) {
  EXPECT_FALSE(service_->has_tokens());
  const auto setup = service_->make_setup_token();
  ASSERT_TRUE(setup.has_value());
  EXPECT_EQ(setup->rfind("cc-setup-", 0), 0u);
  EXPECT_GE(setup->size(), 9u + 32u) << "at least 128 bits of randomness";

  auto wrong = service_->exchange_setup_token("cc-setup-nope", "root");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.error().kind, Error::Kind::unauthenticated);

  auto issued = service_->exchange_setup_token(*setup, "root");
  ASSERT_TRUE(issued.ok()) << issued.error().message;
  EXPECT_EQ(issued->token.rfind("cc_token_", 0), 0u);
  EXPECT_EQ(issued->info.kind, TokenKind::management);
  EXPECT_TRUE(service_->has_tokens());

  auto reused = service_->exchange_setup_token(*setup, "again");
  ASSERT_FALSE(reused.ok());
  EXPECT_EQ(reused.error().kind, Error::Kind::unauthenticated) << "one use only";
  EXPECT_FALSE(service_->make_setup_token().has_value()) << "no setup token once a management token exists";

  const auto found = service_->find(issued->token);
  ASSERT_EQ(found.lookup, Lookup::found);
  EXPECT_TRUE(found.principal.manager);
  EXPECT_EQ(state_file().find(issued->token), std::string::npos) << "only the hash is stored";
  EXPECT_EQ(state_file().find(*setup), std::string::npos) << "the setup token is never stored";
}

TEST_F(TokenServiceTest, ASecondReplicasSetupTokenLosesTheRace) {
  auto other_store = open_store();
  auto other = replica(other_store.get());
  const auto mine = service_->make_setup_token();
  const auto theirs = other->make_setup_token();
  ASSERT_TRUE(mine && theirs);
  ASSERT_TRUE(service_->exchange_setup_token(*mine, "root").ok());
  auto late = other->exchange_setup_token(*theirs, "root");
  ASSERT_FALSE(late.ok());
  EXPECT_EQ(late.error().kind, Error::Kind::conflict) << late.error().message;
  ASSERT_TRUE(service_->tokens().ok());
  EXPECT_EQ(service_->tokens()->size(), 1u);
}

TEST_F(TokenServiceTest, ClientTokensActUnderTheirPoliciesCombined) {
  root();
  ASSERT_TRUE(service_->create_policy(signer_policy()).ok());
  ASSERT_TRUE(service_->create_policy({"exits", {{true, {Scope::sign}, {kKeyA}, {"VOLUNTARY_EXIT"}}}}).ok());
  const auto one = client({"vc"});
  const auto both = client({"vc", "exits"});
  auto f1 = service_->find(one.token);
  ASSERT_EQ(f1.lookup, Lookup::found);
  EXPECT_FALSE(f1.principal.manager);
  EXPECT_EQ(AccessControl::evaluate(f1.principal, {Scope::sign, kKeyA, "ATTESTATION"}), Verdict::allowed);
  EXPECT_EQ(AccessControl::evaluate(f1.principal, {Scope::sign, kKeyA, "VOLUNTARY_EXIT"}), Verdict::denied);
  EXPECT_EQ(AccessControl::evaluate(f1.principal, {Scope::list_keys, "", ""}), Verdict::no_allow_rule);
  auto f2 = service_->find(both.token);
  ASSERT_EQ(f2.lookup, Lookup::found);
  EXPECT_EQ(AccessControl::evaluate(f2.principal, {Scope::sign, kKeyA, "VOLUNTARY_EXIT"}), Verdict::denied)
      << "a deny rule in any bound policy wins";
  EXPECT_NE(f2.principal.who.find(both.info.id), std::string::npos);
  EXPECT_EQ(f2.principal.who.find(both.token), std::string::npos) << "never the secret";
}

TEST_F(TokenServiceTest, ARevocationCountsOnAnotherReplicaAtItsNextLookup) {
  root();
  ASSERT_TRUE(service_->create_policy(signer_policy()).ok());
  auto other_store = open_store();
  auto other = replica(other_store.get());
  const auto t = client({"vc"});
  EXPECT_EQ(other->find(t.token).lookup, Lookup::found) << "created on one replica, known on the other";
  ASSERT_TRUE(service_->revoke_token(t.info.id).ok());
  EXPECT_EQ(other->find(t.token).lookup, Lookup::unknown);
  EXPECT_EQ(service_->find(t.token).lookup, Lookup::unknown);
  auto again = service_->revoke_token(t.info.id);
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.error().kind, Error::Kind::not_found);
}

TEST_F(TokenServiceTest, TokensExpire) {
  root();
  ASSERT_TRUE(service_->create_policy(signer_policy()).ok());
  const auto t = client({"vc"}, 60);
  ASSERT_TRUE(t.info.expires_at.has_value());
  EXPECT_EQ(*t.info.expires_at, now_ + 60);
  EXPECT_EQ(service_->find(t.token).lookup, Lookup::found);
  now_ += 60;
  EXPECT_EQ(service_->find(t.token).lookup, Lookup::expired);
  auto zero = service_->create_token({"x", TokenKind::client, {"vc"}, 0});
  EXPECT_FALSE(zero.ok());
}

TEST_F(TokenServiceTest, BadRequestsChangeNothing) {
  root();
  ASSERT_TRUE(service_->create_policy(signer_policy()).ok());
  auto dup = service_->create_policy(signer_policy());
  ASSERT_FALSE(dup.ok());
  EXPECT_EQ(dup.error().kind, Error::Kind::conflict);
  auto unknown_policy = service_->create_token({"x", TokenKind::client, {"nope"}, std::nullopt});
  ASSERT_FALSE(unknown_policy.ok());
  EXPECT_NE(unknown_policy.error().message.find("nope"), std::string::npos);
  auto no_policy = service_->create_token({"x", TokenKind::client, {}, std::nullopt});
  EXPECT_FALSE(no_policy.ok());
  auto bad_name = service_->create_token({"has space", TokenKind::client, {"vc"}, std::nullopt});
  EXPECT_FALSE(bad_name.ok());
  const auto t = client({"vc"});
  auto bound = service_->delete_policy("vc");
  ASSERT_FALSE(bound.ok());
  EXPECT_EQ(bound.error().kind, Error::Kind::conflict);
  EXPECT_NE(bound.error().message.find(t.info.id), std::string::npos) << bound.error().message;
  EXPECT_EQ(service_->delete_policy("ghost").error().kind, Error::Kind::not_found);
  ASSERT_TRUE(service_->revoke_token(t.info.id).ok());
  EXPECT_TRUE(service_->delete_policy("vc").ok());
  EXPECT_EQ(service_->tokens()->size(), 1u) << "only the management token is left";
}

TEST_F(TokenServiceTest, AnUnreadableStateRefusesRuntimeTokensUntilItReadsAgain) {
  const auto r = root();
  const auto good = state_file();
  std::ofstream(dir_ / "auth.json") << "containment-chamber-state 1 9\n{not json";
  EXPECT_EQ(service_->find(r.token).lookup, Lookup::unavailable) << "a revocation might be hidden in there";
  EXPECT_TRUE(service_->has_tokens()) << "fail closed";
  auto fresh = std::make_unique<TokenService>(*store_, known);
  auto opened = fresh->open();
  ASSERT_FALSE(opened.ok());
  EXPECT_NE(opened.error().message.find("auth"), std::string::npos) << opened.error().message;
  std::ofstream(dir_ / "auth.json") << good;
  EXPECT_EQ(service_->find(r.token).lookup, Lookup::found);
}

TEST(AccessControl, OpenUntilSomethingIsConfiguredAndTheAuthApiNeverOpen) {
  const auto dir = std::filesystem::temp_directory_path() / ("cc-access-" + std::to_string(std::random_device{}()));
  auto store = state::FileDocumentStore::open(dir.string());
  ASSERT_TRUE(store.ok());
  TokenService tokens(**store, known);
  ASSERT_TRUE(tokens.open().ok());
  Authenticator none;
  AccessControl open(none, &tokens);
  EXPECT_FALSE(open.enforcing());
  auto anyone = open.identify("");
  ASSERT_TRUE(anyone.ok());
  EXPECT_FALSE(anyone->has_value()) << "open signer";
  auto admin = open.identify("", true);
  ASSERT_FALSE(admin.ok());
  EXPECT_EQ(admin.error().kind, Error::Kind::unauthenticated);

  // A configured policy naming auth_admin manages; one allowing every scope without naming it does not.
  Authenticator configured({{{"ops", {{true, {Scope::auth_admin, Scope::chamber_status}, {}, {}}}}, "ops-token-0123456789"},
                            {{"all", {{true, {}, {}, {}}}}, "all-token-0123456789"}},
                           std::nullopt);
  AccessControl access(configured, &tokens);
  EXPECT_TRUE(access.enforcing());
  auto ops = access.identify("Bearer ops-token-0123456789");
  ASSERT_TRUE(ops.ok() && ops->has_value());
  EXPECT_EQ(AccessControl::evaluate(**ops, {Scope::auth_admin, "", ""}), Verdict::allowed);
  auto all = access.identify("Bearer all-token-0123456789");
  ASSERT_TRUE(all.ok() && all->has_value());
  EXPECT_EQ(AccessControl::evaluate(**all, {Scope::auth_admin, "", ""}), Verdict::no_allow_rule);
  EXPECT_EQ(AccessControl::evaluate(**all, {Scope::sign, kKeyA, "ATTESTATION"}), Verdict::allowed);
  auto unknown = access.identify("Bearer cc_token_0000");
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().kind, Error::Kind::unauthenticated);
  auto malformed = access.identify("Token abc");
  ASSERT_FALSE(malformed.ok());
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::auth
