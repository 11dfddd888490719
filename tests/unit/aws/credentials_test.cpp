// The credential providers against stand-in servers on 127.0.0.1 (STS answering XML, a container
// credentials endpoint, IMDSv2 with its session token), and the chain: caching, refresh before
// expiry, keeping credentials when a refresh fails, one fetch for many callers, and errors that
// say what was tried.
#include "aws/credentials.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <thread>

#include "stand_in_server.hpp"

namespace cc::aws {
namespace {

using namespace std::chrono_literals;
using test::StandInReply;
using test::StandInRequest;
using test::StandInServer;
using Time = std::chrono::system_clock::time_point;

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end() || it->second.empty()) return std::nullopt;
    return it->second;
  };
}

std::string iso(Time t) {
  const auto date = amz_date(t);  // 20240102T030405Z
  return date.substr(0, 4) + "-" + date.substr(4, 2) + "-" + date.substr(6, 2) + "T" + date.substr(9, 2) + ":" +
         date.substr(11, 2) + ":" + date.substr(13, 2) + "Z";
}

std::string credentials_json(const std::string& key_id, Time expires) {
  return R"({"AccessKeyId":")" + key_id + R"(","SecretAccessKey":"secret-)" + key_id + R"(","Token":"token-)" + key_id +
         R"(","Expiration":")" + iso(expires) + R"("})";
}

class TempDir {
 public:
  TempDir() : path_(std::filesystem::temp_directory_path() / ("cc-aws-" + std::to_string(std::random_device{}()))) {
    std::filesystem::create_directories(path_);
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  std::string write(const std::string& name, const std::string& content) const {
    const auto file = path_ / name;
    std::ofstream(file) << content;
    return file.string();
  }

 private:
  std::filesystem::path path_;
};

const Time kStart = std::chrono::sys_days{std::chrono::year{2030} / 1 / 1} + 12h;

// ---- single providers ---------------------------------------------------------------------------

TEST(EnvironmentCredentials, ReadsKeysAndSessionToken) {
  EnvironmentCredentials provider(
      env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"}, {"AWS_SECRET_ACCESS_KEY", "s3cret"}, {"AWS_SESSION_TOKEN", "tok"}}));
  auto c = provider.fetch();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "AKIDENV");
  EXPECT_EQ(c->secret_access_key, "s3cret");
  EXPECT_EQ(c->session_token, "tok");
  EXPECT_FALSE(c->expiration.has_value());
}

TEST(EnvironmentCredentials, HalfConfiguredIsAnErrorNotASkip) {
  EnvironmentCredentials provider(env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"}}));
  auto c = provider.fetch();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().kind, Error::Kind::not_found);
  EXPECT_NE(c.error().message.find("AWS_SECRET_ACCESS_KEY"), std::string::npos) << c.error().message;
  EXPECT_EQ(EnvironmentCredentials(env_of({})).fetch().error().kind, Error::Kind::not_found);
}

StandInReply sts_answer(const std::string& key_id, Time expires) {
  StandInReply r;
  r.headers = {{"Content-Type", "text/xml"}};
  r.body = R"(<AssumeRoleWithWebIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">
  <AssumeRoleWithWebIdentityResult>
    <SubjectFromWebIdentityToken>system:serviceaccount:signer:cc</SubjectFromWebIdentityToken>
    <Credentials>
      <SessionToken>session&amp;token</SessionToken>
      <SecretAccessKey>wJalr/secret</SecretAccessKey>
      <Expiration>)" +
           iso(expires) + R"(</Expiration>
      <AccessKeyId>)" +
           key_id + R"(</AccessKeyId>
    </Credentials>
  </AssumeRoleWithWebIdentityResult>
</AssumeRoleWithWebIdentityResponse>)";
  return r;
}

TEST(WebIdentityCredentials, AssumesTheRoleWithTheTokenFile) {
  TempDir dir;
  const auto token_file = dir.write("token", "eyJhbGciOi.first\n");
  StandInServer sts([](const StandInRequest&) { return sts_answer("ASIAIRSA", kStart + 1h); });
  WebIdentityCredentials provider(
      WebIdentityOptions::from_environment(env_of({{"AWS_WEB_IDENTITY_TOKEN_FILE", token_file},
                                                   {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/signer"},
                                                   {"AWS_ROLE_SESSION_NAME", "pod-1"},
                                                   {"AWS_ENDPOINT_URL_STS", sts.url()}}),
                                           "eu-west-1"));
  auto c = provider.fetch();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAIRSA");
  EXPECT_EQ(c->secret_access_key, "wJalr/secret");
  EXPECT_EQ(c->session_token, "session&token");
  EXPECT_EQ(c->expiration, kStart + 1h);

  // The kubelet rotates the token file: every fetch reads it again.
  dir.write("token", "eyJhbGciOi.second");
  ASSERT_TRUE(provider.fetch().ok());
  const auto requests = sts.requests();
  ASSERT_EQ(requests.size(), 2u);
  const auto& first = requests[0];
  EXPECT_EQ(first.method, "POST");
  EXPECT_EQ(first.header("Content-Type"), "application/x-www-form-urlencoded; charset=utf-8");
  EXPECT_EQ(first.header("Authorization"), "") << "AssumeRoleWithWebIdentity is not signed";
  EXPECT_EQ(first.body,
            "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2F"
            "signer&RoleSessionName=pod-1&WebIdentityToken=eyJhbGciOi.first");
  EXPECT_NE(requests[1].body.find("WebIdentityToken=eyJhbGciOi.second"), std::string::npos);
}

TEST(WebIdentityCredentials, NamesStsRefusal) {
  TempDir dir;
  StandInServer sts([](const StandInRequest&) {
    StandInReply r;
    r.status = 400;
    r.body = R"(<ErrorResponse><Error><Type>Sender</Type><Code>InvalidIdentityToken</Code>
      <Message>Incorrect token audience</Message></Error></ErrorResponse>)";
    return r;
  });
  WebIdentityOptions options;
  options.token_file = dir.write("token", "jwt");
  options.role_arn = "arn:aws:iam::123456789012:role/signer";
  options.sts_endpoint = sts.url();
  auto c = WebIdentityCredentials(options).fetch();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("HTTP 400 InvalidIdentityToken: Incorrect token audience"), std::string::npos)
      << c.error().message;
  EXPECT_NE(c.error().message.find("role/signer"), std::string::npos) << c.error().message;
  EXPECT_EQ(sts.requests().size(), 1u) << "a refused token is not retried";
}

TEST(WebIdentityCredentials, StsEndpointFollowsRegionAndSettings) {
  auto endpoint = [](std::map<std::string, std::string> env, std::string_view region) {
    return WebIdentityOptions::from_environment(env_of(std::move(env)), region).sts_endpoint;
  };
  EXPECT_EQ(endpoint({}, "eu-west-1"), "https://sts.eu-west-1.amazonaws.com");
  EXPECT_EQ(endpoint({}, ""), "https://sts.amazonaws.com");
  EXPECT_EQ(endpoint({{"AWS_STS_REGIONAL_ENDPOINTS", "legacy"}}, "us-east-1"), "https://sts.amazonaws.com");
  EXPECT_EQ(endpoint({{"AWS_STS_REGIONAL_ENDPOINTS", "legacy"}}, "af-south-1"), "https://sts.af-south-1.amazonaws.com");
  EXPECT_EQ(endpoint({}, "cn-north-1"), "https://sts.cn-north-1.amazonaws.com.cn");
  EXPECT_EQ(endpoint({{"AWS_ENDPOINT_URL_STS", "http://127.0.0.1:9"}}, "eu-west-1"), "http://127.0.0.1:9");
}

TEST(ContainerCredentials, SendsTheTokenFromTheFile) {
  TempDir dir;
  StandInServer agent([](const StandInRequest& r) {
    if (r.header("Authorization") != "pod-identity-token") return StandInReply::json(401, R"({"message":"no"})");
    return StandInReply::json(200, credentials_json("ASIAPOD", kStart + 6h));
  });
  ContainerCredentials provider(ContainerOptions::from_environment(
      env_of({{"AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.url() + "/v1/credentials"},
              {"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", dir.write("token", "pod-identity-token\n")},
              {"AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored-when-a-file-is-given"}})));
  auto c = provider.fetch();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAPOD");
  EXPECT_EQ(c->session_token, "token-ASIAPOD");
  EXPECT_EQ(c->expiration, kStart + 6h);
  ASSERT_EQ(agent.requests().size(), 1u);
  EXPECT_EQ(agent.requests()[0].method, "GET");
  EXPECT_EQ(agent.requests()[0].target, "/v1/credentials");
}

TEST(ContainerCredentials, ReportsRefusalAndRefusesPlainHttpToOtherHosts) {
  StandInServer agent([](const StandInRequest&) { return StandInReply::json(401, R"({"message":"bad token"})"); });
  ContainerOptions options;
  options.uri = agent.url() + "/v1/credentials";
  options.token = "wrong";
  auto refused = ContainerCredentials(options).fetch();
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("HTTP 401"), std::string::npos) << refused.error().message;

  options.uri = "http://10.1.2.3/v1/credentials";
  auto remote = ContainerCredentials(options).fetch();
  ASSERT_FALSE(remote.ok());
  EXPECT_NE(remote.error().message.find("refusing plain http to 10.1.2.3"), std::string::npos)
      << remote.error().message;
}

// IMDSv2: a token from PUT /latest/api/token (with its TTL header) must come with every GET.
StandInServer::Handler imds(const std::string& role, Time expires) {
  return [role, expires](const StandInRequest& r) {
    const std::string token = "imds-session-token";
    if (r.method == "PUT" && r.target == "/latest/api/token") {
      if (r.header("X-aws-ec2-metadata-token-ttl-seconds").empty()) return StandInReply::json(400, "");
      return StandInReply::json(200, token);
    }
    if (r.header("X-aws-ec2-metadata-token") != token) return StandInReply::json(401, "");
    const std::string base = "/latest/meta-data/iam/security-credentials/";
    if (r.target == base) return role.empty() ? StandInReply::json(404, "") : StandInReply::json(200, role + "\n");
    if (!role.empty() && r.target == base + role) {
      auto body = credentials_json("ASIAEC2", expires);
      body.insert(1, R"("Code":"Success","Type":"AWS-HMAC",)");
      return StandInReply::json(200, body);
    }
    return StandInReply::json(404, "");
  };
}

TEST(InstanceMetadataCredentials, UsesASessionToken) {
  StandInServer metadata(imds("signer-node", kStart + 6h));
  InstanceMetadataCredentials provider(
      InstanceMetadataOptions::from_environment(env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url()}})));
  auto c = provider.fetch();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ(c->access_key_id, "ASIAEC2");
  EXPECT_EQ(c->expiration, kStart + 6h);
  const auto requests = metadata.requests();
  ASSERT_EQ(requests.size(), 3u);
  EXPECT_EQ(requests[0].method + " " + requests[0].target, "PUT /latest/api/token");
  EXPECT_EQ(requests[1].target, "/latest/meta-data/iam/security-credentials/");
  EXPECT_EQ(requests[2].target, "/latest/meta-data/iam/security-credentials/signer-node");
}

TEST(InstanceMetadataCredentials, SaysWhenNoRoleIsAttached) {
  StandInServer metadata(imds("", kStart));
  InstanceMetadataOptions options;
  options.endpoint = metadata.url();
  auto c = InstanceMetadataCredentials(options).fetch();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(c.error().message.find("no IAM role is attached"), std::string::npos) << c.error().message;
}

// ---- the chain ------------------------------------------------------------------------------------

struct FakeClock {
  std::atomic<std::int64_t> offset_seconds{0};
  CredentialChain::Clock clock() {
    return [this] { return kStart + std::chrono::seconds(offset_seconds.load()); };
  }
  void advance(std::chrono::seconds by) { offset_seconds += by.count(); }
};

std::shared_ptr<CredentialChain> container_chain(const StandInServer& agent, FakeClock& clock) {
  ContainerOptions options;
  options.uri = agent.url() + "/creds";
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<ContainerCredentials>(options));
  return std::make_shared<CredentialChain>(std::move(providers), clock.clock());
}

TEST(CredentialChain, CachesUntilFiveMinutesBeforeExpiry) {
  FakeClock clock;
  std::atomic<int> issued{0};
  StandInServer agent([&](const StandInRequest&) {
    const int n = ++issued;
    return StandInReply::json(200, credentials_json("KEY" + std::to_string(n), clock.clock()() + 1h));
  });
  auto chain = container_chain(agent, clock);
  auto first = chain->get();
  ASSERT_TRUE(first.ok()) << first.error().message;
  EXPECT_EQ((*first)->access_key_id, "KEY1");

  clock.advance(54min);
  EXPECT_EQ((*chain->get())->access_key_id, "KEY1");
  EXPECT_EQ(agent.requests().size(), 1u);

  clock.advance(2min);  // 4 minutes left: refreshed
  EXPECT_EQ((*chain->get())->access_key_id, "KEY2");
  EXPECT_EQ(agent.requests().size(), 2u);
  EXPECT_EQ((*first)->access_key_id, "KEY1") << "holders of the old credentials keep them";
}

TEST(CredentialChain, KeepsCurrentCredentialsWhileARefreshFails) {
  FakeClock clock;
  std::atomic<bool> healthy{true};
  StandInServer agent([&](const StandInRequest&) {
    if (!healthy) return StandInReply::json(500, R"({"message":"agent restarting"})");
    return StandInReply::json(200, credentials_json("KEY1", kStart + 1h));
  });
  auto chain = container_chain(agent, clock);
  ASSERT_TRUE(chain->get().ok());
  healthy = false;

  clock.advance(56min);
  auto stale = chain->get();
  ASSERT_TRUE(stale.ok()) << "still valid for 4 minutes: " << stale.error().message;
  EXPECT_EQ((*stale)->access_key_id, "KEY1");
  const auto after_failure = agent.requests().size();
  EXPECT_GT(after_failure, 1u);

  clock.advance(1s);  // within kRetryAfterFailure: the agent is not asked again
  ASSERT_TRUE(chain->get().ok());
  EXPECT_EQ(agent.requests().size(), after_failure);

  clock.advance(5min);  // expired
  auto expired = chain->get();
  ASSERT_FALSE(expired.ok());
  EXPECT_EQ(expired.error().kind, Error::Kind::unavailable);
  EXPECT_NE(expired.error().message.find("container (EKS Pod Identity / ECS) failed"), std::string::npos)
      << expired.error().message;
  EXPECT_NE(expired.error().message.find("HTTP 500"), std::string::npos) << expired.error().message;
}

TEST(CredentialChain, ManyCallersShareOneFetch) {
  FakeClock clock;
  StandInServer agent([](const StandInRequest&) {
    auto r = StandInReply::json(200, credentials_json("KEY1", kStart + 1h));
    r.delay = 100ms;
    return r;
  });
  auto chain = container_chain(agent, clock);
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&] { ok += chain->get().ok() ? 1 : 0; });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(agent.requests().size(), 1u);
}

TEST(CredentialChain, ListsWhatWasTriedWhenNothingWorks) {
  const auto imds_endpoint = "http://127.0.0.1:" + std::to_string(test::closed_port());
  auto chain = default_credential_chain("eu-west-1", env_of({{"AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_endpoint}}));
  auto c = chain->get();
  ASSERT_FALSE(c.ok());
  const auto& m = c.error().message;
  EXPECT_EQ(c.error().kind, Error::Kind::unavailable);
  for (const auto* part : {"environment: AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set",
                           "web identity (IRSA): AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set",
                           "container (EKS Pod Identity / ECS): AWS_CONTAINER_CREDENTIALS_FULL_URI",
                           "instance metadata (IMDSv2 at http://127.0.0.1:", "cannot connect"}) {
    EXPECT_NE(m.find(part), std::string::npos) << "missing '" << part << "' in: " << m;
  }
}

TEST(CredentialChain, StopsAtAConfiguredProviderThatFails) {
  // IRSA is configured but its token file is missing: the node's instance role must not be used instead.
  StandInServer metadata(imds("signer-node", kStart + 6h));
  auto chain = default_credential_chain("eu-west-1", env_of({{"AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token"},
                                                             {"AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/signer"},
                                                             {"AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url()}}));
  auto c = chain->get();
  ASSERT_FALSE(c.ok());
  EXPECT_NE(
      c.error().message.find("web identity (IRSA) failed: cannot read web identity token file /nonexistent/token"),
      std::string::npos)
      << c.error().message;
  EXPECT_EQ(metadata.requests().size(), 0u);
}

TEST(CredentialChain, EnvironmentComesFirst) {
  StandInServer metadata(imds("signer-node", kStart + 6h));
  auto chain = default_credential_chain("", env_of({{"AWS_ACCESS_KEY_ID", "AKIDENV"},
                                                    {"AWS_SECRET_ACCESS_KEY", "s"},
                                                    {"AWS_EC2_METADATA_SERVICE_ENDPOINT", metadata.url()}}));
  auto c = chain->get();
  ASSERT_TRUE(c.ok()) << c.error().message;
  EXPECT_EQ((*c)->access_key_id, "AKIDENV");
  EXPECT_EQ(metadata.requests().size(), 0u);
}

TEST(ParseAwsTime, AcceptsTheFormsAwsWrites) {
  const auto t = std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 3min + 4s;
  EXPECT_EQ(parse_aws_time("2024-05-01T12:03:04Z"), t);
  EXPECT_EQ(parse_aws_time("2024-05-01T12:03:04.123Z"), t);
  EXPECT_EQ(parse_aws_time("2024-05-01T12:03:04+00:00"), t);
  EXPECT_FALSE(parse_aws_time("2024-05-01 12:03:04Z"));
  EXPECT_FALSE(parse_aws_time("2024-02-30T12:03:04Z"));
  EXPECT_FALSE(parse_aws_time("2024-05-01T12:03:04+02:00"));
  EXPECT_FALSE(parse_aws_time(""));
  // Found by fuzzing: a year past 2262 overflowed the conversion to system_clock (undefined
  // behaviour); years AWS does not write are refused instead.
  EXPECT_FALSE(parse_aws_time("3026-11-28T06:22:26Z"));
  EXPECT_FALSE(parse_aws_time("9999-12-31T23:59:59Z"));
  EXPECT_FALSE(parse_aws_time("1969-12-31T23:59:59Z"));
  EXPECT_TRUE(parse_aws_time("2200-01-01T00:00:00Z"));
}

}  // namespace
}  // namespace cc::aws
