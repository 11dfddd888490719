#pragma once
// The DynamoDB-compatible test server (dynalite, scripts/dynamo-test-server.sh), started by the
// ctest fixture `test_servers`; tests find its endpoint in $CC_TEST_SERVERS/dynamo/endpoint (or
// the file named by CC_DYNAMO_ENDPOINT_FILE). They reach it through the production HttpsTransport (plain http to
// loopback, SigV4-signed with fixed test credentials: dynalite accepts any signature, and the
// signing itself is proven by the AWS known-answer suite), each test in tables of its own.
#include <atomic>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <optional>
#include <random>
#include <string>

#include "aws/https_transport.hpp"

namespace cc::test {

inline constexpr const char* kNoDynamoServer =
    "no DynamoDB test server (CC_DYNAMO_ENDPOINT_FILE unset or unreadable): run through ctest, whose fixture "
    "test_servers starts scripts/dynamo-test-server.sh";

inline std::optional<std::string> dynamo_endpoint() {
  std::string file;
  if (const char* f = std::getenv("CC_DYNAMO_ENDPOINT_FILE"); f != nullptr && *f != '\0') {
    file = f;
  } else if (const char* servers = std::getenv("CC_TEST_SERVERS"); servers != nullptr && *servers != '\0') {
    file = std::string(servers) + "/dynamo/endpoint";  // the test_servers fixture (tests/CMakeLists.txt)
  } else {
    return std::nullopt;
  }
  std::ifstream in(file);
  std::string endpoint;
  if (!std::getline(in, endpoint) || endpoint.empty()) return std::nullopt;
  return endpoint;
}

// A transport to the test server at `endpoint` (default: the fixture's), or null without one.
inline std::unique_ptr<aws::Transport> dynamo_transport(std::optional<std::string> endpoint = dynamo_endpoint()) {
  if (!endpoint) return nullptr;
  std::vector<std::unique_ptr<aws::CredentialsProvider>> providers;
  providers.push_back(std::make_unique<aws::StaticCredentials>(aws::Credentials("AKIDEXAMPLE", "test-secret")));
  aws::HttpsTransportOptions o;
  o.service = "dynamodb";
  o.region = "us-east-1";
  o.endpoint = *endpoint;
  o.credentials = std::make_shared<aws::CredentialChain>(std::move(providers));
  o.attempt_timeout = std::chrono::seconds(10);  // a loaded CI machine is not an outage
  auto t = aws::HttpsTransport::create(std::move(o));
  return t ? std::move(*t) : nullptr;
}

// A table name no other test uses.
inline std::string unique_table(const std::string& prefix) {
  static std::atomic<unsigned> counter{0};
  return prefix + "-" + std::to_string(std::random_device{}()) + "-" + std::to_string(counter++);
}

}  // namespace cc::test
