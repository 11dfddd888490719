// What the controller hands the enclave, and how the enclave reads it.
#include <gtest/gtest.h>

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

}  // namespace
}  // namespace cc::app
