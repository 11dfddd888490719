// Batch signing (POST /api/v1/eth2/sign) against the real binary over a real socket, with a
// SQLite anti-slashing file and a token scoped to some keys: one result per identifier in request
// order, each signature verified with blst against the signing root computed by an independent
// implementation (tests/tools/signing_roots.mjs); a slashable attestation, an unknown key and a
// key outside the token's scope refused inside the batch, each with its own code and reason;
// an oversized batch, a malformed body, a type that cannot be batched refused whole with a JSON
// 4xx naming the problem; the votes recorded durably (a conflicting single request afterwards
// is refused); metrics counted.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>

#include "core/bytes.hpp"
#include "crypto/bls.hpp"
#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

constexpr const char* kVcToken = "vc-batch-token-0123456789abcdef";
constexpr std::size_t kKeys = 6;       // key 5 is outside the token's scope
constexpr int kMaxBatchKeys = 8;

// A mainnet request of `type` from the independent signing-root vectors, and its signing root.
struct Vector {
  boost::json::object request;
  Root signing_root{};
};

Vector vector_of(const std::string& type) {
  const char* path = std::getenv("CC_SIGNING_ROOTS");
  EXPECT_NE(path, nullptr) << "CC_SIGNING_ROOTS is not set (the ctest fixture generates it)";
  std::ifstream in(path != nullptr ? path : "");
  for (std::string line; std::getline(in, line);) {
    if (line.empty()) continue;
    auto v = boost::json::parse(line).as_object();
    if (!v.contains("request") || v.at("network").as_string() != "mainnet") continue;
    if (v.at("request").at("type").as_string() != type) continue;
    return {v.at("request").as_object(), *from_hex_fixed<32>(std::string(v.at("signing_root").as_string()))};
  }
  ADD_FAILURE() << "no mainnet " << type << " vector in " << (path != nullptr ? path : "(unset)");
  return {};
}

std::string batch_body(const std::vector<std::string>& identifiers, const boost::json::object& request) {
  boost::json::array ids;
  for (const auto& id : identifiers) ids.emplace_back(id);
  return boost::json::serialize(boost::json::object{{"identifiers", ids}, {"signing_request", request}});
}

class BatchSigningTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(make_temp_dir("batch"));
    keys_ = new std::vector<std::string>(generate_keys(*dir_, kKeys));
    ASSERT_EQ(keys_->size(), kKeys);
    std::ofstream cfg(*dir_ / "auth.yaml");
    cfg << "auth:\n  policies:\n    - name: vc\n      token: env:CC_TEST_VC_TOKEN\n      rules:\n"
           "        - {effect: allow, scopes: [sign, public_keys], keys: [";
    for (std::size_t k = 0; k + 1 < kKeys; ++k) cfg << (k ? ", " : "") << (*keys_)[k];
    // A key the token may use but the signer does not hold: 404, not 403.
    unknown_ = new std::string(to_hex(crypto::SecretKey::generate().public_key()));
    cfg << ", " << *unknown_ << "]}\n";
    cfg.close();
    signer_ = new SignerInstance(*dir_,
                                 {"--config", (*dir_ / "auth.yaml").string(), "--server-max-batch-keys",
                                  std::to_string(kMaxBatchKeys)},
                                 {std::string("CC_TEST_VC_TOKEN=") + kVcToken});
    std::string error;
    ASSERT_TRUE(signer_->start(error)) << error;
  }
  static void TearDownTestSuite() {
    delete signer_;
    delete keys_;
    delete unknown_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static HttpClient client() {
    auto c = signer_->client();
    c.set_authorization(std::string("Bearer ") + kVcToken);
    return c;
  }
  static BlsPublicKey pubkey(std::size_t k) { return *from_hex_fixed<48>((*keys_)[k]); }

  static inline std::filesystem::path* dir_ = nullptr;
  static inline std::vector<std::string>* keys_ = nullptr;
  static inline std::string* unknown_ = nullptr;
  static inline SignerInstance* signer_ = nullptr;
};

// The error of a refused batch: JSON {"code", "message", "reason"}.
boost::json::object error_of(const HttpResult& r) {
  auto v = boost::json::parse(r.body);
  EXPECT_TRUE(v.is_object()) << r.body;
  return v.is_object() ? v.as_object() : boost::json::object{};
}

TEST_F(BatchSigningTest, AttestationsSignedAndRefusedPerKeyInOrder) {
  auto http = client();
  const auto vote = vector_of("ATTESTATION");
  // Key 1 has voted for the same target with another block root: the batch's vote is slashable.
  auto conflicting = vote.request;
  conflicting["attestation"].as_object()["beacon_block_root"] = root_hex(0xee);
  conflicting.erase("signingRoot");
  ASSERT_EQ(http.post("/api/v1/eth2/sign/" + (*keys_)[1], boost::json::serialize(conflicting)).status, 200u);

  const std::vector<std::string> ids = {(*keys_)[0], (*keys_)[1], *unknown_, (*keys_)[5], (*keys_)[2], (*keys_)[3]};
  const auto r = http.post("/api/v1/eth2/sign", batch_body(ids, vote.request));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_NE(r.content_type.find("application/json"), std::string::npos);
  const auto results = boost::json::parse(r.body).as_array();
  ASSERT_EQ(results.size(), ids.size()) << r.body;
  const std::vector<std::pair<unsigned, std::string>> expected = {{200, ""}, {412, "double_vote"}, {404, "unknown_key"},
                                                                  {403, "forbidden"}, {200, ""}, {200, ""}};
  for (std::size_t i = 0; i < ids.size(); ++i) {
    const auto& item = results[i].as_object();
    EXPECT_EQ(item.at("identifier").as_string(), ids[i]) << "results out of request order: " << r.body;
    if (expected[i].first == 200) {
      ASSERT_TRUE(item.contains("signature")) << i << ": " << r.body;
      EXPECT_FALSE(item.contains("error"));
      auto sig = from_hex_fixed<96>(std::string(item.at("signature").as_string()));
      ASSERT_TRUE(sig.ok());
      EXPECT_TRUE(crypto::verify(*from_hex_fixed<48>(ids[i]), vote.signing_root, *sig))
          << i << ": signature does not verify against the independent signing root";
    } else {
      EXPECT_FALSE(item.contains("signature")) << i << ": " << r.body;
      const auto& error = item.at("error").as_object();
      EXPECT_EQ(error.at("code").as_int64(), expected[i].first) << i << ": " << r.body;
      EXPECT_EQ(error.at("reason").as_string(), expected[i].second) << i << ": " << r.body;
      EXPECT_FALSE(error.at("message").as_string().empty());
    }
  }
  const std::string scope_refusal(results[3].as_object().at("error").as_object().at("message").as_string());
  EXPECT_NE(scope_refusal.find(ids[3]), std::string::npos) << scope_refusal;

  // The votes were recorded, each for its own key: key 0 may repeat its vote, not change it;
  // key 5 (refused before the database) was not recorded and may still vote otherwise.
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + (*keys_)[0], boost::json::serialize(vote.request)).status, 200u);
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + (*keys_)[0], boost::json::serialize(conflicting)).status, 412u);
  // Without a token the batch is refused whole.
  auto anonymous = signer_->client();
  const auto no_token = anonymous.post("/api/v1/eth2/sign", batch_body({(*keys_)[5]}, vote.request));
  EXPECT_EQ(no_token.status, 401u) << no_token.body;

  // The same batch again: identical votes re-sign, with the same signatures.
  const auto again = http.post("/api/v1/eth2/sign", batch_body(ids, vote.request));
  ASSERT_EQ(again.status, 200u);
  const auto again_results = boost::json::parse(again.body).as_array();
  EXPECT_EQ(again_results[0].as_object().at("signature"), results[0].as_object().at("signature"));
  EXPECT_EQ(again_results[1].as_object().at("error").as_object().at("code").as_int64(), 412);
}

TEST_F(BatchSigningTest, SelectionProofsForEveryKeyVerify) {
  auto http = client();
  const auto proof = vector_of("AGGREGATION_SLOT");
  std::vector<std::string> ids(keys_->begin(), keys_->begin() + 5);
  const auto r = http.post("/api/v1/eth2/sign", batch_body(ids, proof.request));
  ASSERT_EQ(r.status, 200u) << r.body;
  const auto results = boost::json::parse(r.body).as_array();
  ASSERT_EQ(results.size(), ids.size());
  for (std::size_t i = 0; i < ids.size(); ++i) {
    auto sig = from_hex_fixed<96>(std::string(results[i].as_object().at("signature").as_string()));
    ASSERT_TRUE(sig.ok()) << r.body;
    EXPECT_TRUE(crypto::verify(pubkey(i), proof.signing_root, *sig)) << i;
  }
}

TEST_F(BatchSigningTest, WholeBatchRefusalsAreJsonNamingTheProblem) {
  auto http = client();
  const auto vote = vector_of("ATTESTATION");
  std::vector<std::string> too_many;
  for (int i = 0; i <= kMaxBatchKeys; ++i) too_many.push_back(to_hex(crypto::SecretKey::generate().public_key()));
  struct Case {
    std::string name, body;
    unsigned status;
    std::string reason, names;
  };
  auto block = vector_of("BLOCK_V2");
  const std::vector<Case> cases = {
      {"oversized batch", batch_body(too_many, vote.request), 400, "batch_too_large", "server.max_batch_keys"},
      {"malformed JSON", R"({"identifiers": [")", 400, "bad_request", ""},
      {"identifiers not a list", R"({"identifiers": "0x12", "signing_request": {}})", 400, "bad_request", "identifiers"},
      {"empty batch", batch_body({}, vote.request), 400, "bad_request", "identifiers"},
      {"duplicate key", batch_body({(*keys_)[0], (*keys_)[0]}, vote.request), 400, "bad_request", "repeats"},
      {"not a key", batch_body({"0xnothex"}, vote.request), 400, "bad_request", "identifiers[0]"},
      {"block cannot be batched", batch_body({(*keys_)[0]}, block.request), 400, "unsupported_batch_type", "BLOCK"},
  };
  for (const auto& c : cases) {
    const auto r = http.post("/api/v1/eth2/sign", c.body);
    EXPECT_EQ(r.status, c.status) << c.name << ": " << r.body;
    auto e = error_of(r);
    EXPECT_EQ(e["code"].as_int64(), c.status) << c.name;
    EXPECT_EQ(e["reason"].as_string(), c.reason) << c.name << ": " << r.body;
    EXPECT_NE(std::string(e["message"].as_string()).find(c.names), std::string::npos) << c.name << ": " << r.body;
  }
  EXPECT_EQ(http.get("/api/v1/eth2/sign").status, 405u);
  // The signer is still serving.
  EXPECT_EQ(http.get("/upcheck").status, 200u);
}

TEST_F(BatchSigningTest, BatchesAndTheirKeysAreCounted) {
  auto http = client();
  const auto r = http.post("/api/v1/eth2/sign", batch_body({(*keys_)[0], (*keys_)[1]}, vector_of("RANDAO_REVEAL").request));
  ASSERT_EQ(r.status, 200u) << r.body;
  HttpClient metrics("127.0.0.1", signer_->metrics_port());
  const auto m = metrics.get("/metrics");
  ASSERT_EQ(m.status, 200u);
  EXPECT_NE(m.body.find(R"(containment_signing_batches_total{status="200",operation="RANDAO_REVEAL"})"),
            std::string::npos);
  EXPECT_NE(m.body.find("containment_signing_batch_keys_count"), std::string::npos);
  EXPECT_NE(m.body.find(R"(containment_signing_requests_total{status="200",operation="RANDAO_REVEAL"} 2)"),
            std::string::npos)
      << "each key of a batch counts as a signing request";
}

}  // namespace
}  // namespace cc::test
