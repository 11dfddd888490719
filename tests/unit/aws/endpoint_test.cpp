// Where requests go: the region (configuration, then AWS_REGION, then AWS_DEFAULT_REGION), the
// default service endpoints, and endpoint URLs as overrides give them.
#include <gtest/gtest.h>

#include "aws/http_client.hpp"
#include "aws/region.hpp"

namespace cc::aws {
namespace {

TEST(ResolveRegion, ConfigThenAwsRegionThenDefaultRegion) {
  auto env = [](std::optional<std::string> region, std::optional<std::string> fallback) -> EnvLookup {
    return [=](std::string_view name) -> std::optional<std::string> {
      if (name == "AWS_REGION") return region;
      if (name == "AWS_DEFAULT_REGION") return fallback;
      return std::nullopt;
    };
  };
  EXPECT_EQ(*resolve_region("eu-west-1", env("us-east-1", "us-west-2")), "eu-west-1");
  EXPECT_EQ(*resolve_region("", env("us-east-1", "us-west-2")), "us-east-1");
  EXPECT_EQ(*resolve_region("", env(std::nullopt, "us-west-2")), "us-west-2");
  auto none = resolve_region("", env(std::nullopt, std::nullopt));
  ASSERT_FALSE(none.ok());
  for (const auto* name : {"configuration", "AWS_REGION", "AWS_DEFAULT_REGION"}) {
    EXPECT_NE(none.error().message.find(name), std::string::npos) << none.error().message;
  }
  auto bad = resolve_region("", env("eu-west-1\nX: y", std::nullopt));
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("AWS_REGION"), std::string::npos) << bad.error().message;
  EXPECT_EQ(default_endpoint("kms", "cn-north-1"), "https://kms.cn-north-1.amazonaws.com.cn");
}

TEST(ParseUrl, SplitsEndpoints) {
  auto u = parse_url("http://127.0.0.1:8000");
  ASSERT_TRUE(u.ok());
  EXPECT_FALSE(u->tls);
  EXPECT_EQ(u->host_header(), "127.0.0.1:8000");
  EXPECT_EQ(u->target, "/");
  u = parse_url("https://[fd00:ec2::23]/v1/credentials?x=1");
  ASSERT_TRUE(u.ok());
  EXPECT_EQ(u->host, "fd00:ec2::23");
  EXPECT_EQ(u->port, "443");
  EXPECT_EQ(u->host_header(), "[fd00:ec2::23]");
  EXPECT_EQ(u->target, "/v1/credentials?x=1");
  EXPECT_FALSE(parse_url("http://user:pw@host").ok());
  EXPECT_FALSE(parse_url("http://host:99999").ok());
  EXPECT_FALSE(parse_url("http://:80").ok());
}

}  // namespace
}  // namespace cc::aws
