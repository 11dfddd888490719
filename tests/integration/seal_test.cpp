// The chamber end to end, KMS-only mode, with the real binary: DynamoDB (dynalite) for the signer
// state and the key table, and the KMS simulator (SigV4-checked, real JSON protocol) for the
// KMS keys. operator init with the setup token; keys sealed under the master key appear and
// sign; operator seal stops them (503) at once and across a restart; operator unseal brings
// them back; a restart with one KMS key unavailable still unseals (2 of 3). The operator-quorum
// ceremony the same way: init with three operators, register, unseal with two passphrases (a
// wrong one refused and locked out), keys sign; another process follows the shared submissions; a
// rotation of the passphrases while signing goes on; a restart waits in kms_unsealed (503) until
// two new passphrases are given.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <regex>
#include <thread>

#include "../support/dynamo_test_server.hpp"
#include "kms_simulator.hpp"
#include "keys/dynamodb_source.hpp"
#include "chamber_rig.hpp"
#include "requests.hpp"
#include "seal/kms_wrapper.hpp"
#include "server_fixture.hpp"
#include "state/dynamodb_store.hpp"

namespace cc::test {
namespace {


std::string field_of(const std::string& out, const char* name) {
  const auto start = out.find('{');
  const auto end = out.rfind('}');
  if (start == std::string::npos || end == std::string::npos) return "";
  boost::system::error_code ec;
  auto v = boost::json::parse(out.substr(start, end - start + 1), ec);
  if (ec || !v.is_object()) return "";
  const auto* f = v.as_object().if_contains(name);
  return f != nullptr && f->is_string() ? std::string(f->as_string()) : "";
}

HttpResult sign_until(HttpClient& http, const std::string& key, unsigned want, std::chrono::seconds within) {
  HttpResult r;
  const auto until = std::chrono::steady_clock::now() + within;
  for (std::uint64_t epoch = 1; std::chrono::steady_clock::now() < until; ++epoch) {
    r = http.post("/api/v1/eth2/sign/" + key, randao(epoch));
    if (r.status == want) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r;
}

boost::json::object json_of(const std::string& out) {
  const auto start = out.find('{');
  const auto end = out.rfind('}');
  if (start == std::string::npos || end == std::string::npos) return {};
  boost::system::error_code ec;
  auto v = boost::json::parse(out.substr(start, end - start + 1), ec);
  return !ec && v.is_object() ? v.as_object() : boost::json::object{};
}

std::vector<std::string> registration_tokens(const std::string& out) {
  std::vector<std::string> tokens;
  const auto doc = json_of(out);
  if (const auto* list = doc.if_contains("registration_tokens"); list != nullptr && list->is_array()) {
    for (const auto& t : list->as_array()) tokens.emplace_back(t.at("registration_token").as_string());
  }
  return tokens;
}

std::string seal_status(const std::string& out) {
  const auto doc = json_of(out);
  const auto* seal = doc.if_contains("seal");
  return seal != nullptr ? std::string(seal->at("status").as_string()) : "";
}

TEST(Seal, KmsOnlyLifecycleEndToEnd) {
  ChamberRig rig("seal");
  ASSERT_TRUE(rig.start());
  const auto& dir = rig.dir();
  auto* dynamo = &rig.dynamo();
  auto& kms = rig.kms();
  const auto& arns = rig.arns();
  const auto args = rig.args();
  const auto env = rig.env();
  auto signer = std::make_unique<SignerInstance>(dir, args, env);
  std::string error;
  ASSERT_TRUE(signer->start(error)) << error;
  auto op = [&](std::vector<std::string> a) {
    std::vector<std::string> argv = {binary_path(), "operator"};
    argv.insert(argv.end(), a.begin(), a.end());
    argv.insert(argv.end(), {"--signer-url", "http://127.0.0.1:" + std::to_string(signer->port()),
                             "--allow-plaintext-signer"});
    return run_command(argv);
  };

  // init with the setup token: unsealed at once, and the first management token comes back.
  ASSERT_TRUE(signer->process().wait_for_log("setup_token=cc-setup-", std::chrono::seconds(10)));
  std::smatch m;
  const auto log = signer->process().log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("setup_token=(cc-setup-[0-9a-f]+)")));
  auto [init_code, init_out] = op({"init", "--setup-token", m[1], "--kms-key-arns",
                                   arns[0] + "," + arns[1] + "," + arns[2], "--kms-threshold", "2"});
  ASSERT_EQ(init_code, 0) << init_out;
  const auto root = field_of(init_out, "management_token");
  ASSERT_EQ(root.rfind("cc_token_", 0), 0u) << init_out;
  EXPECT_NE(init_out.find("\"unsealed\""), std::string::npos) << init_out;
  EXPECT_GE(kms.served("Encrypt"), 3u) << "one wrapped share per KMS key";

  // Keys stored under the master key (as a key-generation API would): rebuilt here from the
  // same state and KMS, the way any replica does.
  auto state = state::DynamoDbDocumentStore::open(*dynamo, "state");
  ASSERT_TRUE(state.ok());
  seal::Chamber mine(**state, rig.wrappers());
  ASSERT_TRUE(mine.open().ok());
  ASSERT_NE(mine.master_key(), nullptr);
  keys::KeyRegistry scratch;
  keys::DynamoDbKeySource writer(*dynamo, "keys", scratch, [&] { return mine.master_key(); });
  auto a = crypto::SecretKey::generate();
  const auto key = to_hex(a.public_key());
  ASSERT_TRUE(writer.store(a, false).ok());

  auto client = [&] {
    auto c = std::make_unique<HttpClient>(signer->client());
    c->set_authorization("Bearer " + root);
    return c;
  };
  auto http = client();
  EXPECT_EQ(sign_until(*http, key, 200, std::chrono::seconds(10)).status, 200u) << "stored keys appear and sign";

  // Seal: 503 at once, and the status says so.
  auto [seal_code, seal_out] = op({"seal", "--auth-token", root});
  ASSERT_EQ(seal_code, 0) << seal_out;
  auto sealed = http->post("/api/v1/eth2/sign/" + key, randao(100));
  EXPECT_EQ(sealed.status, 503u) << sealed.body;
  EXPECT_NE(sealed.body.find("sealed"), std::string::npos) << sealed.body;
  auto [st_code, st_out] = op({"status", "--auth-token", root});
  EXPECT_NE(st_out.find("\"sealed\""), std::string::npos) << st_out;

  // A restart stays sealed: an operator sealed it.
  signer = std::make_unique<SignerInstance>(dir, args, env);
  ASSERT_TRUE(signer->start(error)) << error;
  http = client();
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(http->post("/api/v1/eth2/sign/" + key, randao(101)).status, 503u);

  // Unseal with KMS: signing resumes.
  auto [unseal_code, unseal_out] = op({"unseal", "--auth-token", root});
  ASSERT_EQ(unseal_code, 0) << unseal_out;
  EXPECT_EQ(sign_until(*http, key, 200, std::chrono::seconds(10)).status, 200u);

  // One KMS key away: a restart still unseals by itself (2 of 3).
  kms.set_unavailable(arns[0], true);
  signer = std::make_unique<SignerInstance>(dir, args, env);
  ASSERT_TRUE(signer->start(error)) << error;
  http = client();
  EXPECT_EQ(sign_until(*http, key, 200, std::chrono::seconds(10)).status, 200u) << signer->process().log();

  signer.reset();
}

TEST(Seal, OperatorQuorumCeremonyEndToEnd) {
  ChamberRig rig("seal-quorum");
  ASSERT_TRUE(rig.start());
  const auto& dir = rig.dir();
  auto* dynamo = &rig.dynamo();
  const auto& arns = rig.arns();
  const auto args = rig.args();
  const auto env = rig.env();
  auto signer = std::make_unique<SignerInstance>(dir, args, env);
  std::string error;
  ASSERT_TRUE(signer->start(error)) << error;
  // Passphrases reach the CLI through the environment (env:VAR), never the command line.
  const std::vector<std::string> pass_env = {"PASS1=first operator's passphrase", "PASS2=second operator's passphrase",
                                             "PASS3=third operator's passphrase", "NEW1=op-1 after the rotation",
                                             "NEW2=op-2 after the rotation", "NEW3=op-3 after the rotation",
                                             "WRONG=not anybody's passphrase"};
  auto op = [&](std::vector<std::string> a) {
    std::vector<std::string> argv = {binary_path(), "operator"};
    argv.insert(argv.end(), a.begin(), a.end());
    argv.insert(argv.end(), {"--signer-url", "http://127.0.0.1:" + std::to_string(signer->port()),
                             "--allow-plaintext-signer"});
    return run_command(argv, pass_env);
  };

  ASSERT_TRUE(signer->process().wait_for_log("setup_token=cc-setup-", std::chrono::seconds(10)));
  std::smatch m;
  const auto log = signer->process().log();
  ASSERT_TRUE(std::regex_search(log, m, std::regex("setup_token=(cc-setup-[0-9a-f]+)")));
  auto [init_code, init_out] = op({"init", "--setup-token", m[1], "--kms-key-arns", arns[0] + "," + arns[1] + "," + arns[2],
                                   "--kms-threshold", "2", "--operators", "3", "--unseal-threshold", "2"});
  ASSERT_EQ(init_code, 0) << init_out;
  const auto root = field_of(init_out, "management_token");
  ASSERT_FALSE(root.empty()) << init_out;
  auto tokens = registration_tokens(init_out);
  ASSERT_EQ(tokens.size(), 3u) << init_out;
  EXPECT_EQ(seal_status(init_out), "awaiting_registration") << init_out;

  // Registration: each token once; a short passphrase is refused and the token stays good.
  auto [short_code, short_out] = op({"register", "--registration-token", tokens[0], "--passphrase", "short"});
  EXPECT_NE(short_code, 0);
  EXPECT_NE(short_out.find("at least 12 characters"), std::string::npos) << short_out;
  for (int i = 0; i < 3; ++i) {
    auto [code, out] = op({"register", "--registration-token", tokens[i], "--passphrase", "env:PASS" + std::to_string(i + 1)});
    ASSERT_EQ(code, 0) << out;
  }
  auto [reuse_code, reuse_out] = op({"register", "--registration-token", tokens[0], "--passphrase", "env:PASS1"});
  EXPECT_NE(reuse_code, 0);
  EXPECT_NE(reuse_out.find("401"), std::string::npos) << reuse_out;
  auto [st_code, st_out] = op({"status", "--auth-token", root});
  EXPECT_EQ(seal_status(st_out), "sealed") << st_out;

  // Unseal: wrong passphrases are refused, then locked out (429); two right ones unseal.
  for (int i = 0; i < 3; ++i) {
    auto [code, out] = op({"unseal", "--auth-token", root, "--passphrase", "env:WRONG", "--operator", "op-3"});
    EXPECT_NE(code, 0);
    EXPECT_NE(out.find("wrong passphrase"), std::string::npos) << out;
  }
  auto [locked_code, locked_out] = op({"unseal", "--auth-token", root, "--passphrase", "env:PASS3", "--operator", "op-3"});
  EXPECT_NE(locked_code, 0);
  EXPECT_NE(locked_out.find("429"), std::string::npos) << locked_out;
  EXPECT_NE(locked_out.find("retry in"), std::string::npos) << locked_out;
  auto [u1_code, u1_out] = op({"unseal", "--auth-token", root, "--passphrase", "env:PASS1"});
  ASSERT_EQ(u1_code, 0) << u1_out;
  EXPECT_EQ(seal_status(u1_out), "kms_unsealed") << u1_out;
  EXPECT_NE(u1_out.find("\"submitted\": 1"), std::string::npos) << u1_out;
  auto [u2_code, u2_out] = op({"unseal", "--auth-token", root, "--passphrase", "env:PASS2", "--operator", "op-2"});
  ASSERT_EQ(u2_code, 0) << u2_out;
  EXPECT_EQ(seal_status(u2_out), "unsealed") << u2_out;

  // Another process on the same state follows the shared submissions, and stores a key.
  auto state = state::DynamoDbDocumentStore::open(*dynamo, "state");
  ASSERT_TRUE(state.ok());
  seal::Chamber mine(**state, rig.wrappers());
  ASSERT_TRUE(mine.open().ok());
  ASSERT_EQ(mine.state(), seal::State::unsealed);
  keys::KeyRegistry scratch;
  keys::DynamoDbKeySource writer(*dynamo, "keys", scratch, [&] { return mine.master_key(); });
  auto a = crypto::SecretKey::generate();
  const auto key = to_hex(a.public_key());
  ASSERT_TRUE(writer.store(a, false).ok());
  auto client = [&] {
    auto c = std::make_unique<HttpClient>(signer->client());
    c->set_authorization("Bearer " + root);
    return c;
  };
  auto http = client();
  EXPECT_EQ(sign_until(*http, key, 200, std::chrono::seconds(10)).status, 200u) << "stored keys appear and sign";

  // Rotate the passphrases: signing goes on until every operator registered a new one.
  auto [rot_code, rot_out] = op({"rotate", "unseal", "--auth-token", root});
  ASSERT_EQ(rot_code, 0) << rot_out;
  EXPECT_EQ(seal_status(rot_out), "awaiting_rotation") << rot_out;
  auto new_tokens = registration_tokens(rot_out);
  ASSERT_EQ(new_tokens.size(), 3u) << rot_out;
  EXPECT_EQ(http->post("/api/v1/eth2/sign/" + key, randao(50)).status, 200u) << "signing during the rotation";
  for (int i = 0; i < 3; ++i) {
    auto [code, out] = op({"register", "--registration-token", new_tokens[i], "--passphrase", "env:NEW" + std::to_string(i + 1)});
    ASSERT_EQ(code, 0) << out;
  }
  auto [after_code, after_out] = op({"status", "--auth-token", root});
  EXPECT_EQ(seal_status(after_out), "unsealed") << after_out;

  // A restart waits in kms_unsealed (the rotation discarded the submissions): 503 until two
  // operators give their new passphrases; the old ones no longer open anything.
  signer = std::make_unique<SignerInstance>(dir, args, env);
  ASSERT_TRUE(signer->start(error)) << error;
  http = client();
  auto [rs_code, rs_out] = op({"status", "--auth-token", root});
  EXPECT_EQ(seal_status(rs_out), "kms_unsealed") << rs_out;
  auto waiting = http->post("/api/v1/eth2/sign/" + key, randao(60));
  EXPECT_EQ(waiting.status, 503u) << waiting.body;
  EXPECT_NE(waiting.body.find("kms_unsealed"), std::string::npos) << waiting.body;
  auto [old_code, old_out] = op({"unseal", "--auth-token", root, "--passphrase", "env:PASS1", "--operator", "op-1"});
  EXPECT_NE(old_code, 0) << old_out;
  for (const char* var : {"env:NEW3", "env:NEW1"}) {
    auto [code, out] = op({"unseal", "--auth-token", root, "--passphrase", var});
    ASSERT_EQ(code, 0) << out;
  }
  EXPECT_EQ(sign_until(*http, key, 200, std::chrono::seconds(10)).status, 200u) << signer->process().log();

  signer.reset();
}

}  // namespace
}  // namespace cc::test
