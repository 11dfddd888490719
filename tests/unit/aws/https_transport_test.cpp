// HttpsTransport against stand-in servers on 127.0.0.1: which answers are retried (5xx,
// throttling) and which are returned (validation errors), what happens when no answer comes
// (retried only when idempotent; otherwise "outcome unknown"), timeouts, keep-alive reuse,
// SigV4 on every attempt (verified as the service would), and TLS certificate and host checks.
#include "aws/https_transport.hpp"

#include "aws/error_counts.hpp"

#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <regex>
#include <thread>

#include "stand_in_server.hpp"

namespace cc::aws {
namespace {

using namespace std::chrono_literals;
using test::StandInReply;
using test::StandInRequest;
using test::StandInServer;

std::shared_ptr<CredentialChain> static_chain(std::string token = "session-token") {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<StaticCredentials>(Credentials("AKIDTEST", "test-secret", std::move(token))));
  return std::make_shared<CredentialChain>(std::move(providers));
}

HttpsTransportOptions options_for(const std::string& endpoint) {
  HttpsTransportOptions o;
  o.service = "dynamodb";
  o.region = "eu-west-1";
  o.endpoint = endpoint;
  o.credentials = static_chain();
  o.attempt_timeout = 1000ms;
  o.max_attempts = 3;
  o.backoff_base = 1ms;
  o.backoff_cap = 5ms;
  return o;
}

std::unique_ptr<HttpsTransport> transport_for(const std::string& endpoint, unsigned max_attempts = 3) {
  auto o = options_for(endpoint);
  o.max_attempts = max_attempts;
  auto t = HttpsTransport::create(std::move(o));
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? std::move(*t) : nullptr;
}

AwsRequest get_item() {
  AwsRequest r;
  r.headers = {{"Content-Type", "application/x-amz-json-1.0"}, {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
  r.body = R"({"TableName":"slashing","Key":{"pk":{"S":"0xabc"}}})";
  return r;
}

// Answers from a script, one per request; the last one repeats.
StandInServer::Handler script(std::vector<StandInReply> replies) {
  auto next = std::make_shared<std::atomic<std::size_t>>(0);
  return [replies = std::move(replies), next](const StandInRequest&) {
    const auto i = next->fetch_add(1);
    return replies[std::min(i, replies.size() - 1)];
  };
}

const StandInReply kOk = StandInReply::json(200, R"({"Item":{}})");

TEST(HttpsTransport, RetriesServerErrorsUntilAnAnswer) {
  StandInServer server(script({StandInReply::json(500, "{}"), StandInReply::json(503, "{}"), kOk}));
  auto response = transport_for(server.url())->send(get_item(), Retry::not_idempotent);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(response->body, R"({"Item":{}})");
  EXPECT_EQ(server.requests().size(), 3u);
}

TEST(HttpsTransport, RetriesHttp429) {
  StandInServer server(script({StandInReply::json(429, "{}"), kOk}));
  auto response = transport_for(server.url())->send(get_item(), Retry::not_idempotent);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(HttpsTransport, RetriesThrottlingErrorTypes) {
  for (const std::string type : {"com.amazonaws.dynamodb.v20120810#ThrottlingException",
                                 "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException",
                                 "com.amazonaws.dynamodb.v20120810#RequestLimitExceeded"}) {
    StandInServer server(
        script({StandInReply::json(400, R"({"__type":")" + type + R"(","message":"slow down"})"), kOk}));
    auto response = transport_for(server.url())->send(get_item(), Retry::not_idempotent);
    ASSERT_TRUE(response.ok()) << response.error().message;
    EXPECT_EQ(response->status, 200u) << type;
    EXPECT_EQ(server.requests().size(), 2u) << type;
  }
}

TEST(HttpsTransport, ReturnsValidationErrorsAtOnce) {
  const std::string body = R"({"__type":"com.amazon.coral.validate#ValidationException","message":"bad key"})";
  StandInServer server(script({StandInReply::json(400, body), kOk}));
  auto response = transport_for(server.url())->send(get_item(), Retry::idempotent);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 400u);
  EXPECT_EQ(response->body, body);
  EXPECT_EQ(server.requests().size(), 1u);
}

TEST(HttpsTransport, ReturnsTheLastAnswerWhenRetriesRunOut) {
  StandInServer server(script({StandInReply::json(503, R"({"message":"still down"})")}));
  auto response = transport_for(server.url(), 4)->send(get_item(), Retry::idempotent);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 503u);
  EXPECT_EQ(server.requests().size(), 4u);
}

TEST(HttpsTransport, RetriesAnIdempotentRequestThatGotNoAnswer) {
  StandInServer server(script({StandInReply::hang_up(), kOk}));
  auto response = transport_for(server.url())->send(get_item(), Retry::idempotent);
  ASSERT_TRUE(response.ok()) << response.error().message;
  EXPECT_EQ(response->status, 200u);
  EXPECT_EQ(server.requests().size(), 2u);
}

TEST(HttpsTransport, NotIdempotentRequestWithoutAnswerHasAnUnknownOutcome) {
  StandInServer server(script({StandInReply::hang_up(), kOk}));
  auto transport = transport_for(server.url());
  auto response = transport->send(get_item(), Retry::not_idempotent);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, Error::Kind::unavailable);
  EXPECT_NE(response.error().message.find("outcome unknown"), std::string::npos) << response.error().message;
  EXPECT_NE(response.error().message.find(transport->describe()), std::string::npos) << response.error().message;
  EXPECT_EQ(server.requests().size(), 1u) << "sent once, never again";
}

TEST(HttpsTransport, RequestNeverSentIsRetriedEvenWhenNotIdempotent) {
  // A refused connection carried no request, so trying again cannot apply it twice.
  const auto endpoint = "http://127.0.0.1:" + std::to_string(test::closed_port());
  auto response = transport_for(endpoint)->send(get_item(), Retry::not_idempotent);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().kind, Error::Kind::unavailable);
  EXPECT_NE(response.error().message.find("no answer after 3 attempts: cannot connect to " + endpoint),
            std::string::npos)
      << response.error().message;
}

TEST(HttpsTransport, SlowServerTimesOut) {
  StandInServer server([](const StandInRequest&) {
    auto r = kOk;
    r.delay = 2s;
    return r;
  });
  auto o = options_for(server.url());
  o.attempt_timeout = 150ms;
  o.max_attempts = 2;
  auto transport = HttpsTransport::create(std::move(o)).value();
  const auto start = std::chrono::steady_clock::now();
  auto response = transport->send(get_item(), Retry::idempotent);
  const auto elapsed = std::chrono::steady_clock::now() - start;
  ASSERT_FALSE(response.ok());
  EXPECT_NE(response.error().message.find("timed out after 150 ms waiting for the answer"), std::string::npos)
      << response.error().message;
  EXPECT_EQ(server.requests().size(), 2u);
  EXPECT_LT(elapsed, 1s);
}

TEST(HttpsTransport, ReusesKeepAliveConnections) {
  StandInServer server([](const StandInRequest&) { return kOk; });
  auto transport = transport_for(server.url());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(transport->send(get_item(), Retry::idempotent).ok());
  EXPECT_EQ(server.connections(), 1u);

  // Four threads at once need at most four connections, whatever the number of requests.
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ok += transport->send(get_item(), Retry::idempotent).ok() ? 1 : 0;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 100);
  EXPECT_LE(server.connections(), 4u);
  EXPECT_EQ(transport->connections_opened(), server.connections());
}

TEST(HttpsTransport, ConnectionClosedByTheServerWhileIdleIsNotReused) {
  // The server closes each connection after answering; the next request must not be written to
  // the dead one (for a write, that would make the outcome unknown for nothing).
  StandInServer server([](const StandInRequest&) {
    auto r = kOk;
    r.close_after_answer = true;
    return r;
  });
  auto transport = transport_for(server.url(), 1);
  for (int i = 0; i < 3; ++i) {
    auto response = transport->send(get_item(), Retry::not_idempotent);
    ASSERT_TRUE(response.ok()) << "request " << i << ": " << response.error().message;
    // Once the server has closed it, the FIN is already in the client's socket (loopback).
    const auto give_up = std::chrono::steady_clock::now() + 2s;
    while (server.closed_connections() < static_cast<std::size_t>(i + 1) &&
           std::chrono::steady_clock::now() < give_up) {
      std::this_thread::sleep_for(1ms);
    }
  }
  EXPECT_EQ(server.connections(), 3u);
}

// What the service does: recompute the signature from the request as received.
void expect_valid_signature(const StandInRequest& received) {
  static const std::regex kAuthorization(
      R"(AWS4-HMAC-SHA256 Credential=AKIDTEST/(\d{8})/eu-west-1/dynamodb/aws4_request, )"
      R"(SignedHeaders=content-type;host;x-amz-date;x-amz-security-token;x-amz-target, Signature=([0-9a-f]{64}))");
  const auto authorization = received.header("Authorization");
  std::smatch m;
  ASSERT_TRUE(std::regex_match(authorization, m, kAuthorization)) << authorization;
  const auto date = received.header("X-Amz-Date");
  ASSERT_EQ(date.substr(0, 8), m[1].str());
  EXPECT_EQ(received.header("X-Amz-Security-Token"), "session-token");

  AwsRequest request;
  request.method = received.method;
  request.path = received.target;
  request.body = received.body;
  for (const char* name : {"Content-Type", "Host", "X-Amz-Target"})
    request.headers.emplace_back(name, received.header(name));
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  ASSERT_EQ(std::sscanf(date.c_str(), "%4d%2d%2dT%2d%2d%2dZ", &y, &mo, &d, &h, &mi, &s), 6) << date;
  const auto time = std::chrono::sys_days{std::chrono::year{y} / mo / d} + std::chrono::hours{h} +
                    std::chrono::minutes{mi} + std::chrono::seconds{s};
  const auto expected = sign_headers(request, Credentials("AKIDTEST", "test-secret", "session-token"),
                                     SigningParams{"eu-west-1", "dynamodb", time});
  EXPECT_EQ(m[2].str(), expected.signature);
}

TEST(HttpsTransport, SignsEveryAttempt) {
  StandInServer server(script({StandInReply::json(500, "{}"), kOk}));
  auto request = get_item();
  request.headers.emplace_back("Host", "wrong.example");  // the transport sets the real one
  ASSERT_TRUE(transport_for(server.url())->send(request, Retry::idempotent).ok());
  const auto requests = server.requests();
  ASSERT_EQ(requests.size(), 2u);
  for (const auto& r : requests) {
    SCOPED_TRACE(r.header("Authorization"));
    EXPECT_EQ(r.header("Host"), "127.0.0.1:" + std::to_string(server.port()));
    expect_valid_signature(r);
  }
}

TEST(HttpsTransport, MissingCredentialsAreNamed) {
  auto o = options_for("http://127.0.0.1:9");
  std::vector<std::unique_ptr<CredentialsProvider>> none;
  o.credentials = std::make_shared<CredentialChain>(std::move(none));
  auto transport = HttpsTransport::create(std::move(o)).value();
  auto response = transport->send(get_item(), Retry::idempotent);
  ASSERT_FALSE(response.ok());
  EXPECT_EQ(response.error().message,
            "dynamodb eu-west-1 (http://127.0.0.1:9): no AWS credentials found; tried no provider");
}

TEST(HttpsTransport, DescribesItsEndpoint) {
  auto o = options_for("");
  EXPECT_EQ((*HttpsTransport::create(o))->describe(), "dynamodb eu-west-1 (https://dynamodb.eu-west-1.amazonaws.com)");
  o.endpoint = "http://127.0.0.1:8000";
  EXPECT_EQ((*HttpsTransport::create(o))->describe(), "dynamodb eu-west-1 (http://127.0.0.1:8000)");
}

TEST(HttpsTransport, RefusesOptionsThatCannotWork) {
  auto expect_refused = [](HttpsTransportOptions o, const std::string& words) {
    auto t = HttpsTransport::create(std::move(o));
    ASSERT_FALSE(t.ok()) << words;
    EXPECT_EQ(t.error().kind, Error::Kind::invalid_argument);
    EXPECT_NE(t.error().message.find(words), std::string::npos) << t.error().message;
  };
  auto o = options_for("ftp://127.0.0.1");
  expect_refused(o, "expected an http:// or https:// URL");
  o = options_for("http://127.0.0.1:8000/prefix");
  expect_refused(o, "has a path or query");
  o = options_for("");
  o.region = "EU West";
  expect_refused(o, "is not a region name");
  o = options_for("");
  o.credentials = nullptr;
  expect_refused(o, "no credentials");
  o = options_for("https://127.0.0.1:1");
  o.ca_file = "/nonexistent/ca.pem";
  expect_refused(o, "/nonexistent/ca.pem");
}

std::uint64_t errors_of(std::string_view operation) {
  for (const auto& e : aws_error_counts()) {
    if (e.service == "dynamodb" && e.operation == operation) return e.count;
  }
  return 0;
}

AwsRequest call(std::string operation) {
  auto r = get_item();
  r.headers[1].second = "DynamoDB_20120810." + operation;
  return r;
}

// Each failed request counts once, after its retries; successes and conditional writes' "no"
// never count (operation names of this test's own, since the counts are process-wide).
TEST(HttpsTransport, CountsFailedRequestsByServiceAndOperation) {
  StandInServer server([](const StandInRequest& r) {
    const auto target = r.header("X-Amz-Target");
    if (target.ends_with("CountedServerError")) return StandInReply::json(500, "{}");
    if (target.ends_with("CountedDenied")) {
      return StandInReply::json(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#AccessDeniedException"})");
    }
    if (target.ends_with("CountedCondition")) {
      return StandInReply::json(400,
                                R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"})");
    }
    if (target.ends_with("CountedCancel")) {
      return StandInReply::json(400, R"({"__type":"com.amazonaws.dynamodb.v20120810#TransactionCanceledException"})");
    }
    return kOk;
  });
  auto t = transport_for(server.url());
  ASSERT_TRUE(t->send(call("CountedServerError"), Retry::idempotent).ok());  // an answer: HTTP 500 after 3 tries
  EXPECT_EQ(errors_of("CountedServerError"), 1u);
  EXPECT_EQ(server.requests().size(), 3u);
  ASSERT_TRUE(t->send(call("CountedDenied"), Retry::idempotent).ok());
  ASSERT_TRUE(t->send(call("CountedDenied"), Retry::idempotent).ok());
  EXPECT_EQ(errors_of("CountedDenied"), 2u);
  ASSERT_TRUE(t->send(call("CountedCondition"), Retry::not_idempotent).ok());
  ASSERT_TRUE(t->send(call("CountedCancel"), Retry::not_idempotent).ok());
  ASSERT_TRUE(t->send(call("CountedFine"), Retry::idempotent).ok());
  EXPECT_EQ(errors_of("CountedCondition"), 0u);
  EXPECT_EQ(errors_of("CountedCancel"), 0u);
  EXPECT_EQ(errors_of("CountedFine"), 0u);

  // No answer at all.
  auto nowhere = transport_for("http://127.0.0.1:" + std::to_string(test::closed_port()));
  EXPECT_FALSE(nowhere->send(call("CountedUnreachable"), Retry::idempotent).ok());
  EXPECT_EQ(errors_of("CountedUnreachable"), 1u);
}

TEST(OperationOf, ReadsTheTargetOrTheQueryAction) {
  EXPECT_EQ(operation_of(get_item()), "GetItem");
  AwsRequest kms;
  kms.headers = {{"x-amz-target", "TrentService.Decrypt"}};
  EXPECT_EQ(operation_of(kms), "Decrypt");
  AwsRequest sts;
  sts.body = "Version=2011-06-15&Action=AssumeRoleWithWebIdentity&WebIdentityToken=eyJ.secret";
  EXPECT_EQ(operation_of(sts), "AssumeRoleWithWebIdentity");
  AwsRequest odd;
  odd.query = "Action=has%20space";
  EXPECT_EQ(operation_of(odd), "unknown");
  EXPECT_EQ(operation_of(AwsRequest{}), "unknown");
}

TEST(IsThrottling, ReadsHeaderJsonAndXml) {
  EXPECT_TRUE(is_throttling({429, {}, ""}));
  EXPECT_TRUE(is_throttling({400, {{"X-Amzn-ErrorType", "ThrottlingException:http://internal.amazon.com/"}}, ""}));
  EXPECT_TRUE(is_throttling({400, {}, R"({"__type":"ThrottlingException"})"}));
  EXPECT_TRUE(is_throttling({400, {}, "<ErrorResponse><Error><Code>Throttling</Code></Error></ErrorResponse>"}));
  EXPECT_FALSE(
      is_throttling({400, {}, R"({"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException"})"}));
  EXPECT_FALSE(is_throttling({400, {}, "not json"}));
  EXPECT_FALSE(is_throttling({500, {}, ""}));  // retried as a 5xx, not as throttling
}

// ---- TLS ------------------------------------------------------------------------------------------

class TlsTransport : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / ("cc-aws-tls-" + std::to_string(std::random_device{}()));
    std::filesystem::create_directories(dir_);
    // The test's own self-signed certificate for "localhost", made with the openssl tool.
    const auto command =
        "/usr/bin/openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 "
        "-subj /CN=localhost -addext subjectAltName=DNS:localhost -keyout " +
        (dir_ / "key.pem").string() + " -out " + (dir_ / "cert.pem").string() + " 2>/dev/null";
    if (std::system(command.c_str()) != 0) GTEST_SKIP() << "the openssl tool could not make a test certificate";
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string cert() const { return (dir_ / "cert.pem").string(); }
  std::string key() const { return (dir_ / "key.pem").string(); }

  std::filesystem::path dir_;
};

TEST_F(TlsTransport, VerifiesTheCertificateAndTheHostName) {
  StandInServer server([](const StandInRequest&) { return kOk; }, {cert(), key()});
  const auto port = std::to_string(server.port());

  auto o = options_for("https://localhost:" + port);
  o.ca_file = cert();
  auto trusted = (*HttpsTransport::create(o))->send(get_item(), Retry::idempotent);
  ASSERT_TRUE(trusted.ok()) << trusted.error().message;
  EXPECT_EQ(trusted->status, 200u);

  // Same certificate, but the endpoint names 127.0.0.1, which the certificate does not.
  o.endpoint = "https://127.0.0.1:" + port;
  auto wrong_name = (*HttpsTransport::create(o))->send(get_item(), Retry::idempotent);
  ASSERT_FALSE(wrong_name.ok());
  EXPECT_NE(wrong_name.error().message.find("certificate verify failed"), std::string::npos)
      << wrong_name.error().message;

  // The system trust store does not know the test's certificate.
  o.endpoint = "https://localhost:" + port;
  o.ca_file.clear();
  auto untrusted = (*HttpsTransport::create(o))->send(get_item(), Retry::idempotent);
  ASSERT_FALSE(untrusted.ok());
  EXPECT_NE(untrusted.error().message.find("certificate verify failed"), std::string::npos)
      << untrusted.error().message;
  EXPECT_EQ(server.requests().size(), 1u) << "no request may cross an unverified connection";
}

}  // namespace
}  // namespace cc::aws
