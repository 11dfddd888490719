#include <gtest/gtest.h>

#include "core/config.hpp"

namespace cc {
namespace {

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(Config, DefaultsMatchTheDocumentation) {
  Config c;
  EXPECT_EQ(c.network, "mainnet");
  EXPECT_EQ(c.server.listen_address, "0.0.0.0");
  EXPECT_EQ(c.server.listen_port, 9000);
  EXPECT_EQ(c.metrics.listen_port, 3000);
  EXPECT_EQ(c.anti_slashing.backend, "sqlite");
}

TEST(Config, YamlAndJsonFiles) {
  Config c;
  apply_config_text(c,
                    "network: hoodi\nserver:\n  listen_port: 9100\nkey_sources:\n  filesystem:\n    paths: [/a, /b]\n"
                    "anti_slashing: {backend: sqlite, path: /x.db}\n",
                    "c.yaml");
  EXPECT_EQ(c.network, "hoodi");
  EXPECT_EQ(c.server.listen_port, 9100);
  EXPECT_EQ(c.filesystem_keys.paths, (std::vector<std::string>{"/a", "/b"}));
  EXPECT_EQ(c.anti_slashing.path, "/x.db");
  Config j;
  apply_config_text(j, R"({"server":{"listen_address":"127.0.0.1","listen_port":9001},"network":"sepolia"})", "c.json");
  EXPECT_EQ(j.server.listen_address, "127.0.0.1");
  EXPECT_EQ(j.network, "sepolia");
}

TEST(Config, KeyManagerApi) {
  Config c;
  EXPECT_FALSE(c.http.key_manager_api.enabled);
  EXPECT_EQ(c.http.key_manager_api.max_items_per_request, 100u);
  EXPECT_EQ(c.http.key_manager_api.max_concurrent_reads, 50u);
  EXPECT_EQ(c.http.key_manager_api.max_concurrent_writes, 10u);
  EXPECT_EQ(c.http.key_manager_api.request_timeout_seconds, 30u);
  apply_config_text(c, "http:\n  key_manager_api: {enabled: true, max_items_per_request: 7}\n", "k.yaml");
  EXPECT_TRUE(c.http.key_manager_api.enabled);
  EXPECT_EQ(c.http.key_manager_api.max_items_per_request, 7u);
  apply_config_value(c, "http.key_manager_api.enabled", "false", "flag");
  EXPECT_FALSE(c.http.key_manager_api.enabled);
  auto msg = error_of([&] { apply_config_value(c, "http.key_manager_api.enabled", "yes", "flag"); });
  EXPECT_NE(msg.find("http.key_manager_api.enabled"), std::string::npos) << msg;
  EXPECT_NE(msg.find("true or false"), std::string::npos) << msg;
  EXPECT_EQ(find_config_field("http.key_manager_api.enabled")->env(), "CONTAINMENT_HTTP__KEY_MANAGER_API__ENABLED");
}

TEST(Config, UnknownKeysAreNamedWithSuggestion) {
  Config c;
  auto msg = error_of([&] { apply_config_text(c, "anti_slashing: {pth: x}\n", "my.yaml"); });
  EXPECT_NE(msg.find("my.yaml"), std::string::npos) << msg;
  EXPECT_NE(msg.find("anti_slashing.pth"), std::string::npos) << msg;
  EXPECT_NE(msg.find("did you mean 'anti_slashing.path'"), std::string::npos) << msg;
}

TEST(Config, BadValues) {
  Config c;
  EXPECT_NE(error_of([&] { apply_config_text(c, "server: {listen_port: 65536}\n", "f"); }).find("maximum"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_config_text(c, "server: {listen_port: -1}\n", "f"); }).find("server.listen_port"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_config_text(c, "server: {listen_port: abc}\n", "f"); }).find("abc"),
            std::string::npos);
  EXPECT_NE(error_of([&] { apply_config_text(c, "network: [a]\n", "f"); }).find("network"), std::string::npos);
  EXPECT_NE(error_of([&] { apply_config_text(c, "server: 5\n", "f"); }).find("unknown configuration key 'server'"),
            std::string::npos);
}

TEST(Config, EnvironmentVariables) {
  Config c;
  std::string a = "CONTAINMENT_ANTI_SLASHING__PATH=/env.db";
  std::string b = "CONTAINMENT_KEY_SOURCES__FILESYSTEM__PATHS=/k1,/k2";
  std::string other = "PATH=/usr/bin";
  char* env[] = {a.data(), b.data(), other.data(), nullptr};
  apply_config_env(c, env);
  EXPECT_EQ(c.anti_slashing.path, "/env.db");
  EXPECT_EQ(c.filesystem_keys.paths, (std::vector<std::string>{"/k1", "/k2"}));
  std::string typo = "CONTAINMENT_ANTI_SLASHING__PTH=/x";
  char* bad[] = {typo.data(), nullptr};
  auto msg = error_of([&] { apply_config_env(c, bad); });
  EXPECT_NE(msg.find("CONTAINMENT_ANTI_SLASHING__PTH"), std::string::npos) << msg;
}

TEST(Config, FlagAndEnvNamesDeriveFromPath) {
  const auto* f = find_config_field("key_sources.filesystem.paths");
  ASSERT_NE(f, nullptr);
  EXPECT_EQ(f->flag(), "--key-sources-filesystem-paths");
  EXPECT_EQ(f->env(), "CONTAINMENT_KEY_SOURCES__FILESYSTEM__PATHS");
  EXPECT_EQ(find_config_field("anti_slashing.path")->flag(), "--anti-slashing-path");
}

TEST(Config, TeeSection) {
  Config c;
  EXPECT_EQ(c.tee.platform, "none");
  apply_config_text(c, "tee:\n  platform: nitro\n  nitro:\n    aws: {region: eu-west-1}\n", "t.yaml");
  EXPECT_EQ(c.tee.platform, "nitro");
  EXPECT_EQ(c.tee.nitro_aws_region, "eu-west-1");
  std::string env_ok = "CONTAINMENT_TEE__NITRO__AWS__REGION=us-east-2";
  char* env[] = {env_ok.data(), nullptr};
  apply_config_env(c, env);
  EXPECT_EQ(c.tee.nitro_aws_region, "us-east-2");
  auto msg = error_of([&] { apply_config_text(c, "tee: {platfrom: nitro}\n", "t.yaml"); });
  EXPECT_NE(msg.find("did you mean 'tee.platform'"), std::string::npos) << msg;
  EXPECT_NE(error_of([&] { apply_config_text(c, "tee: {platform: sgx}\n", "t.yaml"); }).find("sgx"), std::string::npos);

  // Nitro mode needs aTLS and a signer state that outlives the enclave; aTLS needs Nitro mode.
  Config n;
  n.tee.platform = "nitro";
  EXPECT_NE(error_of([&] { validate_config(n); }).find("needs tls.mode: atls"), std::string::npos);
  n.tls.mode = "atls";
  EXPECT_NE(error_of([&] { validate_config(n); }).find("signer_state.backend: dynamodb"), std::string::npos);
  n.signer_state.backend = "dynamodb";
  n.signer_state.table = "state";
  EXPECT_EQ(error_of([&] { validate_config(n); }), "");
  n.tee.platform = "none";
  EXPECT_NE(error_of([&] { validate_config(n); }).find("only available inside a Nitro Enclave"), std::string::npos);
}

TEST(Config, EgressEndpointsFromTheFileAndTheEnvironment) {
  Config c;
  apply_config_text(c,
                    "tee:\n  nitro:\n    egress:\n      endpoints:\n"
                    "        - {hostname: kms.us-east-1.amazonaws.com, loopback: 127.0.0.2, vsock_port: 8000}\n"
                    "        - {hostname: db.example.internal, port: 5432, loopback: 127.0.0.3, vsock_port: 8001}\n",
                    "e.yaml");
  ASSERT_EQ(c.tee.egress.size(), 2u);
  EXPECT_EQ(c.tee.egress[0], (EgressEndpointConfig{"kms.us-east-1.amazonaws.com", 443, "127.0.0.2", 8000}));
  EXPECT_EQ(c.tee.egress[1].port, 5432);
  // The Helm chart passes config as JSON; an environment variable carries the list as JSON too.
  std::string env = R"(CONTAINMENT_TEE__NITRO__EGRESS__ENDPOINTS=[{"hostname":"sts.amazonaws.com","loopback":"127.0.0.9","vsock_port":8009}])";
  char* vars[] = {env.data(), nullptr};
  apply_config_env(c, vars);
  ASSERT_EQ(c.tee.egress.size(), 1u);
  EXPECT_EQ(c.tee.egress[0].hostname, "sts.amazonaws.com");

  auto msg = error_of([&] {
    apply_config_text(c, "tee: {nitro: {egress: {endpoints: [{hostname: a.b, loopback: 127.0.0.2}]}}}\n", "e.yaml");
  });
  EXPECT_NE(msg.find("tee.nitro.egress.endpoints[0]: 'vsock_port' is required"), std::string::npos) << msg;
  msg = error_of([&] {
    apply_config_text(c, "tee: {nitro: {egress: {endpoints: [{hostname: a.b, loopback: x, vsock_port: 1, port: 70000}]}}}\n",
                      "e.yaml");
  });
  EXPECT_NE(msg.find("tee.nitro.egress.endpoints[0].port: '70000' is not a whole number from 1 to 65535"), std::string::npos)
      << msg;
  msg = error_of([&] {
    apply_config_text(c, "tee: {nitro: {egress: {endpoints: [{hostname: a.b, loopbak: x, vsock_port: 1}]}}}\n", "e.yaml");
  });
  EXPECT_NE(msg.find("unknown configuration key 'tee.nitro.egress.endpoints[0].loopbak'"), std::string::npos) << msg;
  msg = error_of([&] { apply_config_text(c, "tee: {nitro: {egress: {endpoints: 5}}}\n", "e.yaml"); });
  EXPECT_NE(msg.find("expected a list"), std::string::npos) << msg;
}

TEST(Config, UnsealTimeoutMinutesIsRead) {
  Config c;
  EXPECT_EQ(c.signer_state.unseal_timeout_minutes, 30u);
  apply_config_text(c, "signer_state: {backend: file, path: /s, unseal_timeout_minutes: 10}\n", "s.yaml");
  EXPECT_EQ(c.signer_state.unseal_timeout_minutes, 10u);
  EXPECT_NO_THROW(validate_config(c));
  c.signer_state.unseal_timeout_minutes = 0;
  EXPECT_NE(error_of([&] { validate_config(c); }).find("signer_state.unseal_timeout_minutes"), std::string::npos);
}

TEST(Config, Validation) {
  Config c;
  c.anti_slashing.path.clear();
  EXPECT_NE(error_of([&] { validate_config(c); }).find("anti_slashing.path"), std::string::npos);
}

}  // namespace
}  // namespace cc

namespace cc {
namespace {

TEST(ConfigAuth, PoliciesWithRules) {
  Config c;
  apply_config_text(c,
                    "auth:\n"
                    "  policies:\n"
                    "    - name: vc\n"
                    "      token: env:VC_TOKEN\n"
                    "      rules:\n"
                    "        - {effect: allow, scopes: [sign, public_keys]}\n"
                    "        - {effect: deny, operations: [VOLUNTARY_EXIT]}\n"
                    "  unauthenticated_policy:\n"
                    "    rules: [{scopes: [public_keys]}]\n",
                    "a.yaml");
  ASSERT_EQ(c.auth.policies.size(), 1u);
  EXPECT_EQ(c.auth.policies[0].name, "vc");
  EXPECT_EQ(c.auth.policies[0].token, "env:VC_TOKEN");
  ASSERT_EQ(c.auth.policies[0].rules.size(), 2u);
  EXPECT_EQ(c.auth.policies[0].rules[1].effect, "deny");
  EXPECT_TRUE(c.auth.has_unauthenticated_policy);
  EXPECT_EQ(c.auth.unauthenticated_rules.at(0).scopes, (std::vector<std::string>{"public_keys"}));
}

TEST(ConfigAuth, LegacyAuthPolicies) {
  Config c;
  apply_config_text(c, "auth_policies:\n  x:\n    token: abc\n    allowed_scopes: [sign]\n    denied_scopes: [public_keys]\n",
                    "a.yaml");
  ASSERT_EQ(c.auth.policies.size(), 1u);
  EXPECT_EQ(c.auth.policies[0].name, "x");
  ASSERT_EQ(c.auth.policies[0].rules.size(), 2u);
  EXPECT_EQ(c.auth.policies[0].rules[0].scopes, (std::vector<std::string>{"sign"}));
  EXPECT_EQ(c.auth.policies[0].rules[1].effect, "deny");
}

TEST(ConfigAuth, MistakesAreNamed) {
  Config c;
  auto msg = error_of([&] { apply_config_text(c, "auth: {policies: [{name: a, token: b, rulez: []}]}\n", "a.yaml"); });
  EXPECT_NE(msg.find("auth.policies[0].rulez"), std::string::npos) << msg;
  msg = error_of([&] {
    apply_config_text(c, "auth: {policies: [{name: a, token: b, rules: [{effect: maybe}]}]}\n", "a.yaml");
  });
  EXPECT_NE(msg.find("auth.policies[0].rules[0].effect"), std::string::npos) << msg;
  msg = error_of([&] { apply_config_text(c, "auth: {policies: [{name: a}]}\n", "a.yaml"); });
  EXPECT_NE(msg.find("needs a name and a token"), std::string::npos) << msg;
}

}  // namespace
}  // namespace cc
