#include <gtest/gtest.h>
#include <stdlib.h>

#include "app/aws_factory.hpp"
#include "app/store_factory.hpp"

namespace cc::app {
namespace {

TEST(ConninfoSecrets, WholeValueFromEnvironment) {
  setenv("CC_TEST_PG_URL", "host=db dbname=x", 1);
  auto r = resolve_conninfo_secrets("env:CC_TEST_PG_URL");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "host=db dbname=x");
  unsetenv("CC_TEST_PG_URL");
  auto missing = resolve_conninfo_secrets("env:CC_TEST_PG_URL");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("CC_TEST_PG_URL"), std::string::npos);
}

TEST(ConninfoSecrets, PasswordItemFromEnvironmentIsQuoted) {
  setenv("CC_TEST_PG_PW", "it's a \\secret", 1);
  auto r = resolve_conninfo_secrets("host=db password=env:CC_TEST_PG_PW dbname=x");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, "host=db password='it\\'s a \\\\secret' dbname=x");
  EXPECT_EQ(*resolve_conninfo_secrets("host=db password=plain"), "host=db password=plain");
  unsetenv("CC_TEST_PG_PW");
  auto missing = resolve_conninfo_secrets("host=db password=env:CC_TEST_PG_PW");
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error().message.find("secret"), std::string::npos);
}

TEST(ConninfoSecrets, DescriptionHidesPasswords) {
  EXPECT_EQ(describe_conninfo("host=db password=hunter2 dbname=x"), "host=db password=*** dbname=x");
  EXPECT_EQ(describe_conninfo("host=db password='a b' dbname=x"), "host=db password=*** dbname=x");
  EXPECT_EQ(describe_conninfo("postgresql://signer:hunter2@db:5432/x?hostaddr=127.0.0.2"),
            "postgresql://signer:***@db:5432/x?hostaddr=127.0.0.2");
  EXPECT_EQ(describe_conninfo("postgresql://db/x?password=hunter2"), "postgresql://db/x?password=***");
  EXPECT_EQ(describe_conninfo("env:PG_URL"), "(from env:PG_URL)");
}

TEST(AwsRegion, NitroRegionOrAwsRegionMustAgree) {
  Config config;
  config.tee.nitro_aws_region = "eu-west-1";
  EXPECT_EQ(*aws_region(config), "eu-west-1");
  config.aws.region = "eu-west-1";
  EXPECT_EQ(*aws_region(config), "eu-west-1");
  config.aws.region = "us-east-1";
  auto both = aws_region(config);
  ASSERT_FALSE(both.ok());
  EXPECT_NE(both.error().message.find("tee.nitro.aws.region (eu-west-1) and aws.region (us-east-1)"), std::string::npos)
      << both.error().message;
  config.tee.nitro_aws_region.clear();
  EXPECT_EQ(*aws_region(config), "us-east-1");
  config.tee.nitro_aws_region = "Not A Region";
  config.aws.region.clear();
  auto bad = aws_region(config);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("tee.nitro.aws.region"), std::string::npos) << bad.error().message;
}

}  // namespace
}  // namespace cc::app
