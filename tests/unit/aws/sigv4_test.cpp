// SigV4 against the official AWS test suite (aws-c-auth's v4 cases, read in place from the shared
// vectors folder): for every case the canonical request, the string to sign and the signature,
// for header signing and for query signing, must equal the expected files byte for byte.
#include "aws/sigv4.hpp"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace cc::aws {
namespace {

namespace fs = std::filesystem;

fs::path suite_dir() {
  const char* env = std::getenv("CC_VECTORS_DIR");
  return fs::path(env != nullptr && *env != '\0' ? env : CC_VECTORS_DIR) / "aws-sigv4-test-suite" / "v4";
}

std::vector<std::string> case_names() {
  std::vector<std::string> names;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(suite_dir(), ec)) {
    if (entry.is_directory() && fs::exists(entry.path() / "context.json")) names.push_back(entry.path().filename());
  }
  std::sort(names.begin(), names.end());
  if (names.empty()) names.push_back("");  // one case that reports the skip
  return names;
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::ostringstream out;
  out << in.rdbuf();
  return std::move(out).str();
}

// request.txt: "METHOD target HTTP/1.1", header lines (a line starting with white space
// continues the previous value), a blank line, the body. The target may contain spaces.
AwsRequest parse_request(const std::string& text) {
  AwsRequest request;
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  const auto first = line.find(' ');
  const auto last = line.rfind(' ');
  request.method = line.substr(0, first);
  const auto target = line.substr(first + 1, last - first - 1);
  const auto q = target.find('?');
  request.path = target.substr(0, q);
  if (q != std::string::npos) request.query = target.substr(q + 1);
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) break;
    if (line[0] == ' ' || line[0] == '\t') {
      request.headers.back().second += "\n" + line;
      continue;
    }
    const auto colon = line.find(':');
    request.headers.emplace_back(line.substr(0, colon), line.substr(colon + 1));
  }
  std::ostringstream body;
  body << in.rdbuf();
  request.body = std::move(body).str();
  return request;
}

std::chrono::system_clock::time_point parse_time(const std::string& text) {
  int y = 0, mo = 0, d = 0, h = 0, mi = 0, s = 0;
  if (std::sscanf(text.c_str(), "%d-%d-%dT%d:%d:%dZ", &y, &mo, &d, &h, &mi, &s) != 6) {
    throw std::runtime_error("bad timestamp " + text);
  }
  const auto day = std::chrono::sys_days{std::chrono::year{y} / mo / d};
  return day + std::chrono::hours{h} + std::chrono::minutes{mi} + std::chrono::seconds{s};
}

struct Case {
  AwsRequest request;
  Credentials credentials;
  SigningParams params;
  std::chrono::seconds expires{0};
};

Case load_case(const fs::path& dir) {
  Case c;
  c.request = parse_request(read_file(dir / "request.txt"));
  const auto context = boost::json::parse(read_file(dir / "context.json")).as_object();
  const auto& creds = context.at("credentials").as_object();
  c.credentials.access_key_id = creds.at("access_key_id").as_string().c_str();
  c.credentials.secret_access_key = creds.at("secret_access_key").as_string().c_str();
  if (creds.contains("token")) c.credentials.session_token = creds.at("token").as_string().c_str();
  c.params.region = context.at("region").as_string().c_str();
  c.params.service = context.at("service").as_string().c_str();
  c.params.time = parse_time(context.at("timestamp").as_string().c_str());
  c.params.normalize_path = context.at("normalize").as_bool();
  c.params.sign_body = context.at("sign_body").as_bool();
  if (const auto* omit = context.if_contains("omit_session_token")) c.params.sign_session_token = !omit->as_bool();
  c.expires = std::chrono::seconds(context.at("expiration_in_seconds").to_number<std::int64_t>());
  return c;
}

// The value of `name` among the header lines of a signed request file.
std::string header_in(const std::string& signed_request, const std::string& name) {
  std::istringstream in(signed_request);
  std::string line;
  while (std::getline(in, line) && !line.empty()) {
    if (line.rfind(name + ":", 0) == 0) return line.substr(name.size() + 1);
  }
  return "";
}

class SigV4Suite : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    if (GetParam().empty()) {
      GTEST_SKIP() << "AWS SigV4 test suite not found at " << suite_dir()
                   << " (set CC_VECTORS_DIR to the shared vectors folder)";
    }
    dir_ = suite_dir() / GetParam();
    case_ = load_case(dir_);
  }
  std::string expected(const std::string& file) { return read_file(dir_ / file); }

  fs::path dir_;
  Case case_;
};

TEST_P(SigV4Suite, HeaderSigning) {
  const auto signed_request = sign_headers(case_.request, case_.credentials, case_.params);
  EXPECT_EQ(signed_request.canonical_request, expected("header-canonical-request.txt"));
  EXPECT_EQ(signed_request.string_to_sign, expected("header-string-to-sign.txt"));
  EXPECT_EQ(signed_request.signature, expected("header-signature.txt"));

  // The headers added must be those of the expected signed request.
  const auto want = expected("header-signed-request.txt");
  auto added = [&](const std::string& name) {
    for (const auto& [n, v] : signed_request.headers) {
      if (n == name) return v;
    }
    return std::string();
  };
  EXPECT_EQ(added("Authorization"), header_in(want, "Authorization"));
  EXPECT_EQ(added("X-Amz-Date"), header_in(want, "X-Amz-Date"));
  EXPECT_EQ(added("X-Amz-Security-Token"), header_in(want, "X-Amz-Security-Token"));
  EXPECT_EQ(added("x-amz-content-sha256"), header_in(want, "x-amz-content-sha256"));
}

TEST_P(SigV4Suite, QuerySigning) {
  const auto presigned = presign_query(case_.request, case_.credentials, case_.params, case_.expires);
  EXPECT_EQ(presigned.canonical_request, expected("query-canonical-request.txt"));
  EXPECT_EQ(presigned.string_to_sign, expected("query-string-to-sign.txt"));
  EXPECT_EQ(presigned.signature, expected("query-signature.txt"));
  // The request line of the signed request carries the full query.
  const auto want = expected("query-signed-request.txt");
  const auto line = want.substr(0, want.find('\n'));
  EXPECT_NE(line.find("?" + presigned.query + " HTTP/1.1"), std::string::npos) << line;
}

INSTANTIATE_TEST_SUITE_P(Official, SigV4Suite, ::testing::ValuesIn(case_names()), [](const auto& test) {
  std::string name = test.param.empty() ? "suite_absent" : test.param;
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
});

TEST(SigV4SuiteCompleteness, AllThirtyEightCasesPresent) {
  if (!fs::exists(suite_dir())) GTEST_SKIP() << "AWS SigV4 test suite not found at " << suite_dir();
  EXPECT_EQ(case_names().size(), 38u) << "the suite in " << suite_dir() << " changed: review the new cases";
}

// The documented example of the signing key derivation (secret wJalr..., 20120215, us-east-1, iam).
TEST(SigV4, SigningKeyMatchesDocumentedExample) {
  const auto key = derive_signing_key("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "20120215", "us-east-1", "iam");
  std::string hex;
  char buf[3];
  for (std::size_t i = 0; i < key.size(); ++i) {
    std::snprintf(buf, sizeof buf, "%02x", key.data()[i]);
    hex += buf;
  }
  EXPECT_EQ(hex, "f4780e2d9f65fa895f9c67b32ce1baf0b0d8a43505a000a1a9e090d414db404d");
}

TEST(SigV4, SigningTwiceReplacesTheSignerHeaders) {
  AwsRequest request;
  request.headers = {{"Host", "dynamodb.eu-west-1.amazonaws.com"}, {"X-Amz-Target", "DynamoDB_20120810.GetItem"}};
  request.body = "{}";
  const Credentials credentials("AKID", "secret", "token");
  SigningParams params{"eu-west-1", "dynamodb", parse_time("2024-01-02T03:04:05Z")};
  sign_request(request, credentials, params);
  params.time += std::chrono::seconds(30);
  sign_request(request, credentials, params);
  int dates = 0, auths = 0;
  std::string date;
  for (const auto& [name, value] : request.headers) {
    if (name == "X-Amz-Date") ++dates, date = value;
    if (name == "Authorization") ++auths;
  }
  EXPECT_EQ(dates, 1);
  EXPECT_EQ(auths, 1);
  EXPECT_EQ(date, "20240102T030435Z");
}

TEST(SigV4, CanonicalPieces) {
  EXPECT_EQ(canonical_uri("", true), "/");
  EXPECT_EQ(canonical_uri("/a/b/..", true), "/a/");
  EXPECT_EQ(canonical_uri("/a%2Fb", true), "/a%252Fb");  // non-S3 services encode the path twice
  EXPECT_EQ(canonical_query("b=2&a=1&a=0&c"), "a=0&a=1&b=2&c=");
  EXPECT_EQ(canonical_query("k=a+b&s=%2f%zz"), "k=a%2Bb&s=%2F%25zz");
  EXPECT_EQ(uri_encode("a b/ü", true), "a%20b/%C3%BC");
  EXPECT_EQ(sha256_hex(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

}  // namespace
}  // namespace cc::aws
