// What the controller hands the enclave, and how the enclave reads it.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "app/controller_command.hpp"

namespace cc::app {
namespace {

constexpr const char* kNitroConfig =
    "tee: {platform: nitro}\n"
    "tls: {mode: atls}\n"
    "signer_state: {backend: dynamodb, table: state}\n"
    "auth:\n  policies:\n    - {name: vc, token: env:SIGNING_TOKEN, rules: [{scopes: [sign]}]}\n";

TEST(BootPackageFor, CarriesOverridesReferencedVariablesAndTheRegionOnly) {
  std::string vars[] = {"CONTAINMENT_NETWORK=hoodi", "SIGNING_TOKEN=abcdefghijklmnop-1", "AWS_REGION=eu-west-1",
                        "HOME=/root", "PATH=/usr/bin", "AWS_PROFILE=dev"};
  std::vector<char*> env;
  for (auto& v : vars) env.push_back(v.data());
  env.push_back(nullptr);
  const auto p = boot_package_for("/etc/cc/config.yaml", kNitroConfig, env.data());
  EXPECT_EQ(p.config_name, "/etc/cc/config.yaml");
  EXPECT_EQ(p.config_text, kNitroConfig);
  EXPECT_EQ(p.environment, (std::map<std::string, std::string>{{"AWS_REGION", "eu-west-1"},
                                                               {"CONTAINMENT_NETWORK", "hoodi"},
                                                               {"SIGNING_TOKEN", "abcdefghijklmnop-1"}}));
}

TEST(ConfigOfBootPackage, AppliesTheFileThenTheEnvironmentAndInsistsOnNitro) {
  tee::BootPackage p;
  p.config_name = "c.yaml";
  p.config_text = kNitroConfig;
  p.environment = {{"CONTAINMENT_NETWORK", "hoodi"}};
  auto c = config_of_boot_package(p);
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->network, "hoodi");
  EXPECT_EQ(c->tee.platform, "nitro");

  p.config_text = "network: hoodi\n";
  p.environment.clear();
  auto plain = config_of_boot_package(p);
  ASSERT_FALSE(plain.ok());
  EXPECT_NE(plain.error().message.find("an enclave runs only with tee.platform: nitro"), std::string::npos);

  p.config_text = "tee: {platform: nitro}\n";
  auto incomplete = config_of_boot_package(p);
  ASSERT_FALSE(incomplete.ok());
  EXPECT_NE(incomplete.error().message.find("needs tls.mode: atls"), std::string::npos) << incomplete.error().message;

  p.config_text = "netwrk: hoodi\n";
  auto typo = config_of_boot_package(p);
  ASSERT_FALSE(typo.ok());
  EXPECT_NE(typo.error().message.find("c.yaml"), std::string::npos) << "the controller's file is named";
}

TEST(BootPackageFor, IrsaTravelsAsTheRoleAndTheTokenTextNotTheParentsPath) {
  std::string vars[] = {"AWS_ROLE_ARN=arn:aws:iam::111122223333:role/signer", "AWS_ROLE_SESSION_NAME=pod-1",
                        "AWS_WEB_IDENTITY_TOKEN_FILE=/var/run/secrets/eks.amazonaws.com/serviceaccount/token"};
  std::vector<char*> env;
  for (auto& v : vars) env.push_back(v.data());
  env.push_back(nullptr);
  // Even when the configuration names it, the parent's path is not handed over.
  const auto p = boot_package_for("c.yaml", std::string(kNitroConfig) + "# env:AWS_WEB_IDENTITY_TOKEN_FILE\n", env.data());
  EXPECT_EQ(p.environment, (std::map<std::string, std::string>{
                               {"AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/signer"},
                               {"AWS_ROLE_SESSION_NAME", "pod-1"}}));
}

TEST(ConfigOfBootPackage, ATokenRenewalIsNotAConfiguration) {
  tee::BootPackage renewal;
  renewal.web_identity_token = "eyJhbGciOi.token.sig";
  ASSERT_TRUE(renewal.token_only());
  auto c = config_of_boot_package(renewal);
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("token renewal arrived before any configuration"), std::string::npos);
}

TEST(WriteTokenFile, ReplacesTheFileWithOwnerOnlyAccess) {
  const auto dir = std::filesystem::temp_directory_path() / ("cc-token-" + std::to_string(::getpid()));
  const auto file = dir / "irsa" / "token";
  ASSERT_TRUE(write_token_file(file.string(), "first").ok());
  ASSERT_TRUE(write_token_file(file.string(), "second").ok());
  std::ifstream in(file);
  std::string text;
  std::getline(in, text);
  EXPECT_EQ(text, "second");
  EXPECT_EQ(std::filesystem::status(file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::app
