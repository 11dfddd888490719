// The Chamber key API end to end with the real binary: DynamoDB (dynalite) for the signer state
// and the key table, the KMS simulator for the KMS keys, two replicas sharing both. Generated
// keys sign on both replicas; an import with persist true survives a restart, one with persist
// false does not; a deactivated key answers 404 here at once and on the other replica after its
// refresh, and signs again once activated; a deleted key is gone with its slashing history handed
// over; every key route answers 503 while sealed. Also disabled endpoints, item and concurrency
// limits, bad bodies, and the `operator keys` commands.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <fstream>
#include <future>
#include <thread>

#include "../support/dynamo_test_server.hpp"
#include "crypto/keystore.hpp"
#include "keys/dynamodb_source.hpp"
#include "kms_simulator.hpp"
#include "chamber_rig.hpp"
#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

constexpr const char* kKeys = "/api/v1/chamber/keys";
constexpr const char* kGenerate = "/api/v1/chamber/keys/generate";
constexpr const char* kPassword = "chamber-import-password";

// Dynalite with the two tables, the KMS simulator with two keys, and the flags of a signer using them.
class ChamberKeysEnv : public ChamberRig {
 public:
  explicit ChamberKeysEnv(const std::string& tag) : ChamberRig(tag, 2) {}
};

const std::vector<std::string> kAllEnabled = {"--chamber-keys-generate-enabled",  "true",
                                              "--chamber-keys-import-enabled",    "true",
                                              "--chamber-keys-lifecycle-enabled", "true"};

std::unique_ptr<HttpClient> client_of(SignerInstance& signer, const std::string& token) {
  auto c = std::make_unique<HttpClient>(signer.client());
  c->set_authorization("Bearer " + token);
  return c;
}

HttpResult sign_until(HttpClient& http, const std::string& key, unsigned want, std::chrono::seconds within) {
  HttpResult r;
  const auto until = std::chrono::steady_clock::now() + within;
  static std::uint64_t epoch = 1;
  while (std::chrono::steady_clock::now() < until) {
    r = http.post("/api/v1/eth2/sign/" + key, randao(epoch++));
    if (r.status == want) return r;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return r;
}

std::vector<std::string> field_of_data(const std::string& body, const char* field) {
  std::vector<std::string> out;
  const auto doc = boost::json::parse(body);
  for (const auto& e : doc.at("data").as_array()) {
    const auto* f = e.as_object().if_contains(field);
    out.emplace_back(f != nullptr && f->is_string() ? std::string(f->as_string()) : "");
  }
  return out;
}

// pubkey → {status, storage} of a list answer.
std::map<std::string, std::pair<std::string, std::string>> listed(const HttpResult& r) {
  std::map<std::string, std::pair<std::string, std::string>> out;
  const auto doc = boost::json::parse(r.body);
  for (const auto& e : doc.at("data").as_array()) {
    out[std::string(e.at("pubkey").as_string())] = {std::string(e.at("status").as_string()),
                                                    std::string(e.at("storage").as_string())};
  }
  return out;
}

struct NewKeystore {
  std::string pubkey;
  std::string json;
};

NewKeystore new_keystore(const crypto::KdfParams& kdf = crypto::KdfParams::light(crypto::KdfKind::scrypt)) {
  auto key = crypto::SecretKey::generate();
  return {to_hex(key.public_key()), crypto::encrypt_keystore(key, kPassword, kdf)};
}

std::string import_body(const std::vector<std::string>& keystores, bool persist) {
  boost::json::object body{
      {"keystores", boost::json::value_from(keystores)},
      {"passwords", boost::json::value_from(std::vector<std::string>(keystores.size(), kPassword))},
      {"storage", boost::json::object{{"persist", persist}}}};
  return boost::json::serialize(body);
}

std::string pubkeys_body(const std::vector<std::string>& pubkeys, const std::string& status = "") {
  boost::json::object body{{"pubkeys", boost::json::value_from(pubkeys)}};
  if (!status.empty()) body["status"] = status;
  return boost::json::serialize(body);
}

TEST(ChamberKeys, GenerateImportDeactivateDeleteAcrossReplicasAndRestart) {
  ChamberKeysEnv env("chamber-keys");
  ASSERT_TRUE(env.start());
  const auto args = env.args(kAllEnabled);
  auto a = std::make_unique<SignerInstance>(env.dir() / "a", args, env.env());
  std::string error;
  ASSERT_TRUE(a->start(error)) << error;
  const auto root = env.init(*a);
  ASSERT_FALSE(root.empty()) << a->process().log();
  SignerInstance b(env.dir() / "b", args, env.env());
  ASSERT_TRUE(b.start(error)) << error;
  auto ha = client_of(*a, root);
  auto hb = client_of(b, root);

  // Generate: new keys sign at once here, and on the other replica after its refresh.
  auto gen = ha->post(kGenerate, R"({"count": 2})");
  ASSERT_EQ(gen.status, 200u) << gen.body;
  const auto generated = field_of_data(gen.body, "pubkey");
  ASSERT_EQ(generated.size(), 2u);
  EXPECT_EQ(field_of_data(gen.body, "status"), (std::vector<std::string>{"generated", "generated"}));
  EXPECT_EQ(field_of_data(gen.body, "storage"), (std::vector<std::string>{"persistent", "persistent"}));
  for (const auto& k : generated) {
    EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + k, randao(1)).status, 200u);
    EXPECT_EQ(sign_until(*hb, k, 200, std::chrono::seconds(10)).status, 200u);
  }

  // Import: persist true reaches the other replica, persist false stays here only.
  const auto stored = new_keystore();
  const auto memory = new_keystore();
  auto imp = ha->post(kKeys, import_body({stored.json}, true));
  ASSERT_EQ(imp.status, 200u) << imp.body;
  EXPECT_EQ(field_of_data(imp.body, "status"), std::vector<std::string>{"imported"});
  imp = ha->post(kKeys, import_body({memory.json}, false));
  ASSERT_EQ(imp.status, 200u) << imp.body;
  EXPECT_EQ(field_of_data(imp.body, "status"), std::vector<std::string>{"imported"});
  EXPECT_EQ(field_of_data(imp.body, "storage"), std::vector<std::string>{"memory"});
  imp = ha->post(kKeys, import_body({stored.json, memory.json}, true));
  ASSERT_EQ(imp.status, 200u) << imp.body;
  EXPECT_EQ(field_of_data(imp.body, "status"), (std::vector<std::string>{"duplicate", "duplicate"}));
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + stored.pubkey, randao(2)).status, 200u);
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + memory.pubkey, randao(2)).status, 200u);
  EXPECT_EQ(sign_until(*hb, stored.pubkey, 200, std::chrono::seconds(10)).status, 200u);
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  EXPECT_EQ(hb->post("/api/v1/eth2/sign/" + memory.pubkey, randao(3)).status, 404u) << "memory keys stay on A";

  auto list = ha->get(kKeys);
  ASSERT_EQ(list.status, 200u) << list.body;
  auto keys = listed(list);
  ASSERT_EQ(keys.size(), 4u) << list.body;
  EXPECT_EQ(keys[generated[0]], (std::pair<std::string, std::string>{"active", "persistent"}));
  EXPECT_EQ(keys[stored.pubkey], (std::pair<std::string, std::string>{"active", "persistent"}));
  EXPECT_EQ(keys[memory.pubkey], (std::pair<std::string, std::string>{"active", "memory"}));
  EXPECT_NE(list.body.find("\"created_at\":\"20"), std::string::npos) << list.body;
  EXPECT_EQ(listed(hb->get(kKeys)).size(), 3u) << "B lists the stored keys, not A's memory key";

  // Deactivate: 404 here at once, on B after its refresh; the key stays stored.
  auto patch = ha->patch(kKeys, pubkeys_body({generated[0], memory.pubkey}, "inactive"));
  ASSERT_EQ(patch.status, 200u) << patch.body;
  EXPECT_EQ(field_of_data(patch.body, "status"), (std::vector<std::string>{"updated", "updated"}));
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + generated[0], randao(4)).status, 404u);
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + memory.pubkey, randao(4)).status, 404u);
  EXPECT_EQ(sign_until(*hb, generated[0], 404, std::chrono::seconds(10)).status, 404u);
  EXPECT_EQ(listed(ha->get(kKeys))[generated[0]].first, "inactive");
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + generated[1], randao(5)).status, 200u) << "the others still sign";

  // Activate: back on both.
  patch = ha->patch(kKeys, pubkeys_body({generated[0], memory.pubkey}, "active"));
  ASSERT_EQ(patch.status, 200u) << patch.body;
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + generated[0], randao(6)).status, 200u);
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + memory.pubkey, randao(6)).status, 200u);
  EXPECT_EQ(sign_until(*hb, generated[0], 200, std::chrono::seconds(10)).status, 200u);
  const auto unknown = to_hex(crypto::SecretKey::generate().public_key());
  patch = ha->patch(kKeys, pubkeys_body({unknown, "0x12"}, "inactive"));
  ASSERT_EQ(patch.status, 200u) << patch.body;
  EXPECT_EQ(field_of_data(patch.body, "status"), (std::vector<std::string>{"not_found", "error"}));

  // Delete: gone here and on B; its slashing history is handed over, not deleted.
  ASSERT_EQ(ha->post("/api/v1/eth2/sign/" + generated[1], attestation(3, 4)).status, 200u);
  auto del = ha->del(kKeys, pubkeys_body({generated[1], unknown}));
  ASSERT_EQ(del.status, 200u) << del.body;
  EXPECT_EQ(field_of_data(del.body, "status"), (std::vector<std::string>{"deleted", "not_found"}));
  const auto interchange = std::string(boost::json::parse(del.body).at("slashing_protection").as_string());
  EXPECT_NE(interchange.find(generated[1]), std::string::npos) << interchange;
  std::size_t attestations = 0;
  const auto exported = boost::json::parse(interchange);
  for (const auto& e : exported.at("data").as_array()) {
    if (e.at("pubkey").as_string() == generated[1]) attestations += e.at("signed_attestations").as_array().size();
  }
  EXPECT_EQ(attestations, 1u) << interchange;
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + generated[1], randao(7)).status, 404u);
  EXPECT_EQ(sign_until(*hb, generated[1], 404, std::chrono::seconds(10)).status, 404u);
  EXPECT_EQ(listed(ha->get(kKeys)).count(generated[1]), 0u);

  // Restart A: stored keys come back, the memory key does not.
  a = std::make_unique<SignerInstance>(env.dir() / "a", args, env.env());
  ASSERT_TRUE(a->start(error)) << error;
  ha = client_of(*a, root);
  EXPECT_EQ(sign_until(*ha, stored.pubkey, 200, std::chrono::seconds(10)).status, 200u) << a->process().log();
  EXPECT_EQ(sign_until(*ha, generated[0], 200, std::chrono::seconds(10)).status, 200u);
  EXPECT_EQ(ha->post("/api/v1/eth2/sign/" + memory.pubkey, randao(8)).status, 404u);
  EXPECT_EQ(listed(ha->get(kKeys)).count(memory.pubkey), 0u);

  // Sealed: every key route answers 503.
  ASSERT_EQ(ha->post("/api/v1/chamber/seal", "").status, 200u);
  for (const auto& r :
       {ha->get(kKeys), ha->post(kGenerate, R"({"count": 1})"), ha->post(kKeys, import_body({}, true)),
        ha->patch(kKeys, pubkeys_body({stored.pubkey}, "inactive")), ha->del(kKeys, pubkeys_body({}))}) {
    EXPECT_EQ(r.status, 503u) << r.body;
    EXPECT_NE(r.body.find("sealed"), std::string::npos) << r.body;
    EXPECT_EQ(r.retry_after, "1");
  }
  ASSERT_EQ(ha->post("/api/v1/chamber/unseal", "").status, 200u);
  EXPECT_EQ(ha->get(kKeys).status, 200u);
}

TEST(ChamberKeys, DisabledEndpointsLimitsAndBadRequests) {
  ChamberKeysEnv env("chamber-keys-limits");
  ASSERT_TRUE(env.start());
  const auto args =
      env.args({"--chamber-keys-import-enabled", "true", "--chamber-keys-import-max-items-per-request", "2",
                "--chamber-keys-import-max-concurrent-requests", "1", "--chamber-keys-lifecycle-enabled", "true",
                "--chamber-keys-lifecycle-max-items-per-request", "2"});
  SignerInstance signer(env.dir() / "s", args, env.env());
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto sealed = signer.client().get(kKeys);
  EXPECT_EQ(sealed.status, 503u) << "uninitialized is not unsealed: " << sealed.body;
  const auto root = env.init(signer);
  ASSERT_FALSE(root.empty()) << signer.process().log();
  auto http = client_of(signer, root);

  // A token whose policy allows listing only: the other routes answer 403 naming their scope.
  ASSERT_EQ(http->post("/api/v1/chamber/auth/policies",
                       R"({"name":"lister","rules":[{"effect":"allow","scopes":["chamber_keys_list"]}]})")
                .status,
            201u);
  auto issued = http->post("/api/v1/chamber/auth/tokens", R"({"name":"ops","kind":"client","policies":["lister"]})");
  ASSERT_EQ(issued.status, 201u) << issued.body;
  auto lister = client_of(signer, std::string(boost::json::parse(issued.body).at("token").as_string()));
  EXPECT_EQ(lister->get(kKeys).status, 200u);
  for (const auto& [res, scope] : std::vector<std::pair<HttpResult, std::string>>{
           {lister->post(kKeys, import_body({}, true)), "chamber_keys_import"},
           {lister->patch(kKeys, pubkeys_body({}, "inactive")), "chamber_keys_patch"},
           {lister->del(kKeys, pubkeys_body({})), "chamber_keys_delete"},
           {lister->post(kGenerate, R"({"count": 1})"), "chamber_keys_generate"}}) {
    EXPECT_EQ(res.status, 403u) << res.body;
    EXPECT_NE(res.body.find(scope), std::string::npos) << res.body;
  }

  auto r = http->post(kGenerate, R"({"count": 1})");
  EXPECT_EQ(r.status, 403u) << r.body;
  EXPECT_NE(r.body.find("chamber.keys.generate.enabled"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("--chamber-keys-generate-enabled"), std::string::npos) << r.body;

  r = http->post(kKeys, import_body({"{}", "{}", "{}"}, true));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_NE(r.body.find("chamber.keys.import.max_items_per_request"), std::string::npos) << r.body;
  const auto a = to_hex(crypto::SecretKey::generate().public_key());
  r = http->patch(kKeys, pubkeys_body({a, a, a}, "inactive"));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_NE(r.body.find("chamber.keys.lifecycle.max_items_per_request"), std::string::npos) << r.body;
  r = http->del(kKeys, pubkeys_body({a, a, a}));
  EXPECT_EQ(r.status, 400u) << r.body;

  r = http->patch(kKeys, pubkeys_body({a}, "paused"));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_NE(r.body.find("'status'"), std::string::npos) << r.body;
  r = http->post(kKeys, "not json");
  EXPECT_EQ(r.status, 400u) << r.body;
  r = http->post(kKeys, R"({"keystores": [], "passwords": [], "storage": {"persist": "yes"}})");
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_NE(r.body.find("persist"), std::string::npos) << r.body;
  r = http->del(kKeys, R"({"pubkeys": "0xab"})");
  EXPECT_EQ(r.status, 400u) << r.body;
  r = http->patch(kKeys + std::string("/generate"), "{}");
  EXPECT_EQ(r.status, 405u) << r.body;
  auto wrong = new_keystore();
  boost::json::object bad_pw{{"keystores", boost::json::array{wrong.json.c_str()}},
                             {"passwords", boost::json::array{"not-the-password"}}};
  r = http->post(kKeys, boost::json::serialize(bad_pw));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(field_of_data(r.body, "status"), std::vector<std::string>{"error"});
  EXPECT_EQ(http->post("/api/v1/eth2/sign/" + wrong.pubkey, randao(1)).status, 404u);

  // One import at a time: a second one while a slow keystore decrypts gets 429.
  crypto::KdfParams slow = crypto::KdfParams::light(crypto::KdfKind::pbkdf2);
  slow.c = 1u << 23;
  const auto heavy = new_keystore(slow);
  auto first = std::async(std::launch::async, [&] {
    auto c = client_of(signer, root);
    return c->post(kKeys, import_body({heavy.json}, true));
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  r = http->post(kKeys, import_body({}, true));
  EXPECT_EQ(r.status, 429u) << r.body;
  EXPECT_NE(r.body.find("chamber.keys.import.max_concurrent_requests"), std::string::npos) << r.body;
  EXPECT_EQ(r.retry_after, "1");
  auto done = first.get();
  ASSERT_EQ(done.status, 200u) << done.body;
  EXPECT_EQ(field_of_data(done.body, "status"), std::vector<std::string>{"imported"});
  EXPECT_EQ(http->post(kKeys, import_body({}, true)).status, 200u) << "the slot is free again";
}

TEST(ChamberKeys, NeedsTheDynamoDbKeySource) {
  auto dir = make_temp_dir("chamber-keys-off");
  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto r = signer.client().get(kKeys);
  EXPECT_EQ(r.status, 404u) << r.body;
  EXPECT_NE(r.body.find("key_sources.dynamodb.table"), std::string::npos) << r.body;

  auto [code, out] = run_command({binary_path(), "server", "--chamber-keys-generate-enabled", "true",
                                  "--anti-slashing-path", (dir / "x.sqlite").string()});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("chamber.keys.generate.enabled"), std::string::npos) << out;
  EXPECT_NE(out.find("key_sources.dynamodb.table"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

TEST(ChamberKeys, OperatorKeysCommands) {
  ChamberKeysEnv env("chamber-keys-cli");
  ASSERT_TRUE(env.start());
  SignerInstance signer(env.dir() / "s", env.args(kAllEnabled), env.env());
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  const auto root = env.init(signer);
  ASSERT_FALSE(root.empty()) << signer.process().log();
  auto http = client_of(signer, root);
  auto op = [&](std::vector<std::string> a) {
    std::vector<std::string> argv = {binary_path(), "operator", "keys"};
    argv.insert(argv.end(), a.begin(), a.end());
    argv.insert(argv.end(), {"--signer-url", "http://127.0.0.1:" + std::to_string(signer.port()),
                             "--allow-plaintext-signer", "--auth-token", "env:CC_TEST_TOKEN"});
    return run_command(argv, {"CC_TEST_TOKEN=" + root});
  };
  auto [gen_code, gen_out] = op({"generate", "--count", "2"});
  ASSERT_EQ(gen_code, 0) << gen_out;
  std::vector<std::string> generated;
  for (std::size_t at = gen_out.find("\"pubkey\":\""); at != std::string::npos;
       at = gen_out.find("\"pubkey\":\"", at + 1)) {
    generated.push_back(gen_out.substr(at + 10, 98));
  }
  ASSERT_EQ(generated.size(), 2u) << gen_out;
  EXPECT_EQ(http->post("/api/v1/eth2/sign/" + generated[0], randao(1)).status, 200u);

  const auto ks = new_keystore();
  const auto ks_file = env.dir() / "k.json", pw_file = env.dir() / "k.txt";
  std::ofstream(ks_file) << ks.json;
  std::ofstream(pw_file) << kPassword << "\n";
  auto [imp_code, imp_out] =
      op({"import", "--keystore", ks_file.string(), "--password-file", pw_file.string(), "--memory"});
  ASSERT_EQ(imp_code, 0) << imp_out;
  EXPECT_NE(imp_out.find("\"imported\""), std::string::npos) << imp_out;
  EXPECT_EQ(imp_out.find(kPassword), std::string::npos) << "never printed";
  EXPECT_EQ(http->post("/api/v1/eth2/sign/" + ks.pubkey, randao(2)).status, 200u);

  auto [list_code, list_out] = op({"list"});
  ASSERT_EQ(list_code, 0) << list_out;
  EXPECT_NE(list_out.find("\"memory\""), std::string::npos) << list_out;
  EXPECT_NE(list_out.find(generated[1]), std::string::npos) << list_out;

  auto [de_code, de_out] = op({"deactivate", generated[0]});
  ASSERT_EQ(de_code, 0) << de_out;
  EXPECT_EQ(http->post("/api/v1/eth2/sign/" + generated[0], randao(3)).status, 404u);
  auto [ac_code, ac_out] = op({"activate", generated[0]});
  ASSERT_EQ(ac_code, 0) << ac_out;
  EXPECT_EQ(http->post("/api/v1/eth2/sign/" + generated[0], randao(4)).status, 200u);

  const auto out_file = env.dir() / "exported.json";
  auto [del_code, del_out] = op({"delete", generated[1], "--slashing-protection-out", out_file.string()});
  ASSERT_EQ(del_code, 0) << del_out;
  EXPECT_TRUE(std::filesystem::exists(out_file));
  EXPECT_EQ(std::filesystem::status(out_file).permissions() & std::filesystem::perms::others_read,
            std::filesystem::perms::none);
  EXPECT_EQ(http->post("/api/v1/eth2/sign/" + generated[1], randao(5)).status, 404u);

  auto [again_code, again_out] = op({"delete", generated[1]});
  EXPECT_EQ(again_code, 1) << "not_found is a failure for the operator: " << again_out;
  ASSERT_EQ(http->post("/api/v1/chamber/seal", "").status, 200u);
  auto [sealed_code, sealed_out] = op({"list"});
  EXPECT_EQ(sealed_code, 1);
  EXPECT_NE(sealed_out.find("503"), std::string::npos) << sealed_out;
}

}  // namespace
}  // namespace cc::test
