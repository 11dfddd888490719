#include <gtest/gtest.h>

#include "auth/authenticator.hpp"
#include "auth/policy.hpp"

namespace cc::auth {
namespace {

const std::string kKeyA = "0x" + std::string(96, 'a');
const std::string kKeyB = "0x" + std::string(96, 'b');

Policy documented_example() {
  // The documentation's example: sign and list with two keys, never a voluntary exit.
  return {"validator-client-alpha",
          {{true, {Scope::sign, Scope::public_keys}, {kKeyA}, {}}, {false, {}, {}, {"VOLUNTARY_EXIT"}}}};
}

TEST(Policy, AllowRuleLimitsKeysButNotRoutesWithoutKeys) {
  const auto p = documented_example();
  EXPECT_EQ(evaluate(p, {Scope::sign, kKeyA, "ATTESTATION"}), Verdict::allowed);
  EXPECT_EQ(evaluate(p, {Scope::sign, kKeyB, "ATTESTATION"}), Verdict::no_allow_rule);
  EXPECT_EQ(evaluate(p, {Scope::public_keys, "", ""}), Verdict::allowed);
  EXPECT_EQ(evaluate(p, {Scope::list_keys, "", ""}), Verdict::no_allow_rule);
}

TEST(Policy, DenyWinsAndOnlyMatchesWhatItNames) {
  const auto p = documented_example();
  EXPECT_EQ(evaluate(p, {Scope::sign, kKeyA, "VOLUNTARY_EXIT"}), Verdict::denied);
  EXPECT_EQ(evaluate(p, {Scope::public_keys, "", ""}), Verdict::allowed) << "deny on an operation blocked listing";
  Policy all{"all", {{true, {}, {}, {}}, {false, {Scope::sign}, {kKeyB}, {}}}};
  EXPECT_EQ(evaluate(all, {Scope::sign, kKeyB, "ATTESTATION"}), Verdict::denied);
  EXPECT_EQ(evaluate(all, {Scope::sign, kKeyA, "ATTESTATION"}), Verdict::allowed);
  EXPECT_EQ(evaluate(all, {Scope::public_keys, "", ""}), Verdict::allowed);
}

TEST(Policy, NoRulesAllowsNothing) {
  EXPECT_EQ(evaluate(Policy{"empty", {}}, {Scope::sign, kKeyA, "ATTESTATION"}), Verdict::no_allow_rule);
}

TEST(Policy, ScopeNamesRoundTrip) {
  for (auto name : {"sign", "public_keys", "list_keys", "import_keystores", "delete_keys", "chamber_status",
                    "chamber_seal", "chamber_rotate", "chamber_keys_list", "chamber_keys_generate",
                    "chamber_keys_import", "chamber_keys_patch", "chamber_keys_delete", "auth_admin"}) {
    auto s = parse_scope(name);
    ASSERT_TRUE(s.has_value()) << name;
    EXPECT_EQ(scope_name(*s), name);
  }
  EXPECT_FALSE(parse_scope("signing").has_value());
}

TEST(Header, BearerAndBasic) {
  EXPECT_EQ(token_from_header("Bearer abc-123"), "abc-123");
  EXPECT_EQ(token_from_header("bearer   abc "), "abc");
  // "policy:the-token" in Basic; the user name is ignored.
  EXPECT_EQ(token_from_header("Basic cG9saWN5OnRoZS10b2tlbg=="), "the-token");
  EXPECT_EQ(token_from_header("Basic OnRoZS10b2tlbg=="), "the-token");  // ":the-token"
  EXPECT_FALSE(token_from_header("").has_value());
  EXPECT_FALSE(token_from_header("Bearer ").has_value());
  EXPECT_FALSE(token_from_header("Basic !!!!").has_value());
  EXPECT_FALSE(token_from_header("Basic cG9saWN5").has_value());      // "policy", no colon
  EXPECT_FALSE(token_from_header("Basic cG9saWN5Og==").has_value());  // "policy:", empty password
  EXPECT_FALSE(token_from_header("Digest abc").has_value());
}

TEST(StaticToken, Format) {
  EXPECT_TRUE(check_static_token("abcdefghij-12345").ok());
  EXPECT_FALSE(check_static_token("short-token").ok());
  EXPECT_FALSE(check_static_token("abcdefghij_123456").ok());
  EXPECT_FALSE(check_static_token("abcdefghij 123456").ok());
}

TEST(Authenticator, FindsThePolicyOfAToken) {
  Authenticator open;
  EXPECT_FALSE(open.enabled());
  Authenticator a({{{"one", {{true, {}, {}, {}}}}, "token-one-0123456789"},
                   {{"two", {{true, {Scope::public_keys}, {}, {}}}}, "token-two-0123456789"}},
                  std::nullopt);
  EXPECT_TRUE(a.enabled());
  ASSERT_NE(a.find("token-one-0123456789"), nullptr);
  EXPECT_EQ(a.find("token-one-0123456789")->name, "one");
  EXPECT_EQ(a.find("token-two-0123456789")->name, "two");
  EXPECT_EQ(a.find("token-two-012345678"), nullptr);
  EXPECT_EQ(a.find(""), nullptr);
  EXPECT_EQ(a.unauthenticated(), nullptr);
}

}  // namespace
}  // namespace cc::auth
