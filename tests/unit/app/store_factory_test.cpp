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

TEST(EnclaveConninfo, KeyValueStringsGetTheLoopbackOfTheirEgressEntry) {
  const std::vector<EgressEndpointConfig> egress = {
      {"kms.us-east-1.amazonaws.com", 443, "127.0.0.2", 8000},
      {"db.cluster-x.us-east-1.rds.amazonaws.com", 5432, "127.0.0.4", 8002}};
  auto r = enclave_postgres_conninfo("host=db.cluster-x.us-east-1.rds.amazonaws.com dbname=slashing sslmode=verify-full",
                                     egress);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(*r, "host=db.cluster-x.us-east-1.rds.amazonaws.com dbname=slashing sslmode=verify-full hostaddr=127.0.0.4");
  // Already there and right: unchanged.
  const std::string with = "host=DB.cluster-x.us-east-1.rds.amazonaws.com hostaddr=127.0.0.4 port=5432";
  EXPECT_EQ(*enclave_postgres_conninfo(with, egress), with);

  auto msg = [&](const std::string& c) {
    auto e = enclave_postgres_conninfo(c, egress);
    return e.ok() ? std::string("accepted") : e.error().message;
  };
  EXPECT_NE(msg("host=other.example dbname=x").find("host other.example has no tee.nitro.egress.endpoints entry"),
            std::string::npos);
  EXPECT_NE(msg("host=db.cluster-x.us-east-1.rds.amazonaws.com port=6432").find("port 6432 differs"), std::string::npos);
  EXPECT_NE(msg("host=db.cluster-x.us-east-1.rds.amazonaws.com hostaddr=127.0.0.9").find("not the loopback"),
            std::string::npos);
  EXPECT_NE(msg("host=a.example,b.example").find("several hosts"), std::string::npos);
  EXPECT_NE(msg("dbname=x").find("host=<its DNS name>"), std::string::npos);
  EXPECT_NE(msg("host='unterminated").find("invalid PostgreSQL connection string"), std::string::npos);
}

TEST(EnclaveConninfo, UrlsMustCarryHostaddrThemselves) {
  const std::vector<EgressEndpointConfig> egress = {{"db.example.internal", 5432, "127.0.0.4", 8002}};
  auto missing = enclave_postgres_conninfo("postgresql://u:p@db.example.internal/slashing?sslmode=verify-full", egress);
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("must carry hostaddr=127.0.0.4"), std::string::npos) << missing.error().message;
  EXPECT_NE(missing.error().message.find("certificate"), std::string::npos) << "it says why";
  const std::string ok = "postgresql://u:p@db.example.internal/slashing?hostaddr=127.0.0.4&sslmode=verify-full";
  EXPECT_EQ(*enclave_postgres_conninfo(ok, egress), ok);
}

}  // namespace
}  // namespace cc::app
