// End-to-end tests of the signing API: the real binary, real keystores, a real SQLite file, HTTP.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/bytes.hpp"
#include "crypto/bls.hpp"
#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

class SigningApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(make_temp_dir("api"));
    keys_ = new std::vector<std::string>(generate_keys(*dir_, 80));
    ASSERT_EQ(keys_->size(), 80u);
    signer_ = new SignerInstance(*dir_);
    std::string error;
    ASSERT_TRUE(signer_->start(error)) << error;
  }
  static void TearDownTestSuite() {
    delete signer_;
    delete keys_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static std::string sign_path(std::size_t key) { return "/api/v1/eth2/sign/" + (*keys_)[key]; }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline std::vector<std::string>* keys_ = nullptr;
  static inline SignerInstance* signer_ = nullptr;
};

BlsSignature signature_of(const HttpResult& r) {
  auto v = boost::json::parse(r.body);
  auto sig = from_hex_fixed<96>(std::string(v.at("signature").as_string()));
  EXPECT_TRUE(sig.ok()) << r.body;
  return sig.ok() ? *sig : BlsSignature{};
}

std::string reason_of(const HttpResult& r) {
  auto v = boost::json::parse(r.body);
  return std::string(v.at("reason").as_string());
}

// Every request type and fork, with signing roots computed by an independent implementation
// (tests/tools/signing_roots.mjs, @lodestar/types): each returned signature must verify against
// that root under the key's public key.
TEST_F(SigningApiTest, EveryVectorSignsAndVerifiesAgainstIndependentRoot) {
  const char* path = std::getenv("CC_SIGNING_ROOTS");
  ASSERT_NE(path, nullptr) << "CC_SIGNING_ROOTS is not set (the ctest fixture generates it)";
  std::ifstream in(path);
  ASSERT_TRUE(in) << path;
  auto http = signer_->client();
  std::size_t signed_count = 0, key = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto v = boost::json::parse(line).as_object();
    if (!v.contains("request") || v.at("network").as_string() != "mainnet") continue;  // container-only cases
    const std::string name(v.at("name").as_string());
    const auto body = boost::json::serialize(v.at("request"));
    const auto expected = from_hex_fixed<32>(std::string(v.at("signing_root").as_string()));
    ASSERT_TRUE(expected.ok());
    const std::size_t k = key++ % keys_->size();  // a fresh key per slashable message
    auto r = http.post(sign_path(k), body);
    ASSERT_EQ(r.status, 200u) << name << ": " << r.body;
    auto pk = from_hex_fixed<48>((*keys_)[k]);
    ASSERT_TRUE(crypto::verify(*pk, *expected, signature_of(r))) << name << ": signature does not verify";
    ++signed_count;
  }
  EXPECT_GE(signed_count, 30u);
}

TEST_F(SigningApiTest, DoubleVoteRefusedIdenticalResignAllowed) {
  auto http = signer_->client();
  auto first = http.post(sign_path(0), attestation(100, 101, 1));
  ASSERT_EQ(first.status, 200u) << first.body;
  auto again = http.post(sign_path(0), attestation(100, 101, 1));
  ASSERT_EQ(again.status, 200u) << again.body;
  EXPECT_EQ(signature_of(first), signature_of(again));
  auto conflicting = http.post(sign_path(0), attestation(100, 101, 9));
  ASSERT_EQ(conflicting.status, 412u) << conflicting.body;
  EXPECT_EQ(reason_of(conflicting), "double_vote");
}

TEST_F(SigningApiTest, SurroundVotesRefused) {
  auto http = signer_->client();
  ASSERT_EQ(http.post(sign_path(1), attestation(200, 205)).status, 200u);
  auto surrounding = http.post(sign_path(1), attestation(199, 206));
  EXPECT_EQ(surrounding.status, 412u) << surrounding.body;
  auto surrounded = http.post(sign_path(1), attestation(201, 204));
  EXPECT_EQ(surrounded.status, 412u) << surrounded.body;
  auto backwards = http.post(sign_path(1), attestation(210, 209));
  EXPECT_EQ(backwards.status, 412u) << backwards.body;
}

TEST_F(SigningApiTest, BlockDoubleProposalAndLowSlotRefused) {
  auto http = signer_->client();
  ASSERT_EQ(http.post(sign_path(2), block_header(12000000, 4)).status, 200u);
  EXPECT_EQ(http.post(sign_path(2), block_header(12000000, 4)).status, 200u);  // identical re-sign
  auto other = http.post(sign_path(2), block_header(12000000, 8));
  EXPECT_EQ(other.status, 412u) << other.body;
  auto lower = http.post(sign_path(2), block_header(11999999, 4));
  EXPECT_EQ(lower.status, 412u) << lower.body;
}

TEST_F(SigningApiTest, AcceptHeaderChoosesJsonOrText) {
  auto http = signer_->client();
  auto text = http.post(sign_path(3), randao(5), "text/plain");
  ASSERT_EQ(text.status, 200u) << text.body;
  EXPECT_EQ(text.body.size(), 2u + 192u);
  EXPECT_EQ(text.body.rfind("0x", 0), 0u);
  auto json = http.post(sign_path(3), randao(5), "application/json");
  ASSERT_EQ(json.status, 200u);
  EXPECT_EQ(to_hex(signature_of(json)), text.body);
  auto none = http.post(sign_path(3), randao(5), "");
  EXPECT_EQ(none.content_type, "application/json");
}

TEST_F(SigningApiTest, ProbesAndPublicKeys) {
  auto http = signer_->client();
  auto up = http.get("/upcheck");
  EXPECT_EQ(up.status, 200u);
  EXPECT_EQ(up.body, "OK");
  auto upj = http.get("/upcheck", "application/json");
  EXPECT_EQ(upj.body, R"({"status":"OK"})");
  auto health = http.get("/healthcheck");
  EXPECT_EQ(health.status, 200u) << health.body;
  auto keys = boost::json::parse(http.get("/api/v1/eth2/publicKeys").body).as_array();
  EXPECT_EQ(keys.size(), keys_->size());
}

struct BadCase {
  std::string name;
  std::string path;
  std::string body;
  unsigned status;
  std::string mentions;
};

TEST_F(SigningApiTest, BadInputGetsClearErrorsAndNeverCrashes) {
  const std::string k = sign_path(4);
  auto att = attestation(300, 301);
  std::vector<BadCase> cases = {
      {"wrong network", k, attestation(300, 301, 1, root_hex(0xaa)), 403, "genesis_validators_root"},
      {"unknown key", "/api/v1/eth2/sign/0x" + std::string(96, 'a'), att, 404, "no key"},
      {"short pubkey", "/api/v1/eth2/sign/0x1234", att, 400, "public key"},
      {"not JSON", k, "{\"type\":", 400, "JSON"},
      {"empty body", k, "", 400, "JSON"},
      {"array body", k, "[]", 400, "object"},
      {"unknown type", k, R"({"type":"NOT_A_TYPE"})", 400, "NOT_A_TYPE"},
      {"missing fork_info", k, R"({"type":"RANDAO_REVEAL","randao_reveal":{"epoch":"1"}})", 400, "fork_info"},
      {"missing field", k,
       R"({"type":"RANDAO_REVEAL","fork_info":)" + fork_info() + R"(,"randao_reveal":{}})", 400, "epoch"},
      {"uint64 overflow", k,
       R"({"type":"RANDAO_REVEAL","fork_info":)" + fork_info() + R"(,"randao_reveal":{"epoch":"18446744073709551616"}})",
       400, "randao_reveal.epoch"},
      {"negative number", k,
       R"({"type":"RANDAO_REVEAL","fork_info":)" + fork_info() + R"(,"randao_reveal":{"epoch":"-1"}})", 400, "epoch"},
      {"short root", k, attestation(300, 301).replace(attestation(300, 301).find(root_hex(1)), 66, "0x0101"), 400,
       "beacon_block_root"},
      {"bad hex", k, attestation(300, 301).replace(attestation(300, 301).find(root_hex(1)), 4, "0xzz"), 400,
       "beacon_block_root"},
      {"signing root mismatch", k,
       R"({"type":"RANDAO_REVEAL","signingRoot":")" + root_hex(7) + R"(","fork_info":)" + fork_info() +
           R"(,"randao_reveal":{"epoch":"1"}})",
       400, "signing"},
  };
  auto http = signer_->client();
  for (const auto& c : cases) {
    auto r = http.post(c.path, c.body);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    EXPECT_NE(r.body.find(c.mentions), std::string::npos) << c.name << ": body does not mention '" << c.mentions
                                                          << "': " << r.body;
    EXPECT_EQ(r.content_type, "application/json") << c.name;
  }
  // Oversized body: 413 (the default limit is 1 MiB).
  auto big = http.post(k, std::string(2 << 20, ' '));
  EXPECT_EQ(big.status, 413u);
  // Malformed HTTP.
  auto raw = HttpClient("127.0.0.1", signer_->port()).raw("GARBAGE / HTTP/9.9\r\n\r\n");
  EXPECT_NE(raw.find("400"), std::string::npos) << raw;
  // Truncated body: Content-Length larger than what is sent, then the client half-closes.
  auto truncated = HttpClient("127.0.0.1", signer_->port())
                       .raw("POST " + k + " HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"type\":\"ATT");
  EXPECT_EQ(truncated.find("200 OK"), std::string::npos);
  // Still alive and healthy.
  EXPECT_TRUE(signer_->process().running());
  EXPECT_EQ(http.get("/healthcheck").status, 200u);
  EXPECT_EQ(http.post(k, att).status, 200u);
}

TEST_F(SigningApiTest, SecondProcessCannotOpenTheSameDatabase) {
  SignerInstance second(*dir_);
  std::string error;
  EXPECT_FALSE(second.start(error));
  EXPECT_NE(second.process().wait(std::chrono::seconds(10)), 0);
  EXPECT_NE(second.process().log().find("in use"), std::string::npos) << second.process().log();
  EXPECT_TRUE(signer_->process().running());
}

}  // namespace
}  // namespace cc::test
