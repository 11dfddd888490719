// Key Manager API (/eth/v1/keystores) over real HTTP: import, list, delete, slashing protection
// carried in and out, and who may do what. A deleted key is disabled in the anti-slashing
// database: what was signed around the delete is in the history it hands over, replicas sharing
// a PostgreSQL database stop signing it too, and importing it again brings it back protected.
#include <gtest/gtest.h>

#include <atomic>
#include <boost/json.hpp>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "crypto/bls.hpp"
#include "crypto/keystore.hpp"
#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

constexpr const char* kAdminToken = "km-admin-token-0123456789";
constexpr const char* kReaderToken = "km-reader-token-0123456789";
constexpr const char* kPassword = "import-password";
constexpr const char* kKeystores = "/eth/v1/keystores";

struct NewKey {
  std::string pubkey;    // 0x hex
  std::string keystore;  // EIP-2335 JSON text (light scrypt)
};

NewKey new_key(const std::string& password = kPassword) {
  auto key = crypto::SecretKey::generate();
  return {to_hex(key.public_key()),
          crypto::encrypt_keystore(key, password, crypto::KdfParams::light(crypto::KdfKind::scrypt))};
}

std::string import_body(const std::vector<std::string>& keystores, const std::vector<std::string>& passwords,
                        const std::string& interchange = "") {
  boost::json::object body;
  body["keystores"] = boost::json::value_from(keystores);
  body["passwords"] = boost::json::value_from(passwords);
  if (!interchange.empty()) body["slashing_protection"] = interchange;
  return boost::json::serialize(body);
}

std::string delete_body(const std::vector<std::string>& pubkeys) {
  return boost::json::serialize(boost::json::object{{"pubkeys", boost::json::value_from(pubkeys)}});
}

// The "data" statuses of a Key Manager answer.
std::vector<std::string> statuses(const HttpResult& r) {
  std::vector<std::string> out;
  auto doc = boost::json::parse(r.body);
  for (const auto& item : doc.at("data").as_array()) out.emplace_back(item.at("status").as_string());
  return out;
}

std::string message(const HttpResult& r, std::size_t i) {
  return std::string(boost::json::parse(r.body).at("data").as_array().at(i).at("message").as_string());
}

std::string reason_of(const HttpResult& r) {
  return std::string(boost::json::parse(r.body).at("reason").as_string());
}

// The slashing_protection a DELETE answered, and the (source, target) of its key's attestations.
std::string handed_over(const HttpResult& r) {
  return std::string(boost::json::parse(r.body).at("slashing_protection").as_string());
}
std::set<std::pair<std::uint64_t, std::uint64_t>> votes_in(const std::string& interchange, const std::string& pubkey) {
  std::set<std::pair<std::uint64_t, std::uint64_t>> out;
  const auto doc = boost::json::parse(interchange);
  for (const auto& entry : doc.at("data").as_array()) {
    if (entry.at("pubkey").as_string() != pubkey) continue;
    for (const auto& a : entry.at("signed_attestations").as_array()) {
      out.insert({std::stoull(std::string(a.at("source_epoch").as_string())),
                  std::stoull(std::string(a.at("target_epoch").as_string()))});
    }
  }
  return out;
}

std::string interchange(const std::string& pubkey, const std::string& gvr = kMainnetGvr) {
  return R"({"metadata":{"interchange_format_version":"5","genesis_validators_root":")" + gvr +
         R"("},"data":[{"pubkey":")" + pubkey +
         R"(","signed_blocks":[{"slot":"100"}],"signed_attestations":[{"source_epoch":"5","target_epoch":"10"}]}]})";
}

class KeyManagerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(make_temp_dir("keymanager"));
    file_keys_ = new std::vector<std::string>(generate_keys(*dir_, 1));
    ASSERT_EQ(file_keys_->size(), 1u);
    std::ofstream(*dir_ / "km.yaml") << "http:\n"
                                        "  key_manager_api: {enabled: true, max_items_per_request: 4}\n"
                                        "auth:\n"
                                        "  policies:\n"
                                        "    - name: admin\n"
                                        "      token: "
                                     << kAdminToken
                                     << "\n"
                                        "      rules: [{effect: allow, scopes: [sign, list_keys, import_keystores, "
                                        "delete_keys]}]\n"
                                        "    - name: reader\n"
                                        "      token: "
                                     << kReaderToken
                                     << "\n"
                                        "      rules: [{effect: allow, scopes: [list_keys]}]\n";
    signer_ = new SignerInstance(*dir_, {"--config", (*dir_ / "km.yaml").string()});
    std::string error;
    ASSERT_TRUE(signer_->start(error)) << error;
  }
  static void TearDownTestSuite() {
    delete signer_;
    delete file_keys_;
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  static HttpClient admin() {
    HttpClient c("127.0.0.1", signer_->port());
    c.set_authorization(std::string("Bearer ") + kAdminToken);
    return c;
  }
  static std::string sign_path(const std::string& pubkey) { return "/api/v1/eth2/sign/" + pubkey; }
  // The keystore file generate_keys() wrote for the file key.
  static std::string file_keystore() {
    for (const auto& entry : std::filesystem::directory_iterator(*dir_ / "keys")) {
      if (entry.path().extension() == ".json") {
        std::ifstream in(entry.path());
        return std::string(std::istreambuf_iterator<char>(in), {});
      }
    }
    return {};
  }
  static inline std::filesystem::path* dir_ = nullptr;
  static inline std::vector<std::string>* file_keys_ = nullptr;
  static inline SignerInstance* signer_ = nullptr;
};

TEST_F(KeyManagerTest, ImportedKeySignsAtOnceAndIsListedAsWritable) {
  auto http = admin();
  auto key = new_key();
  auto r = http.post(kKeystores, import_body({key.keystore}, {kPassword}));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(statuses(r), std::vector<std::string>{"imported"}) << r.body;

  auto signed_now = http.post(sign_path(key.pubkey), randao(3));
  EXPECT_EQ(signed_now.status, 200u) << signed_now.body;

  auto list = http.get(kKeystores);
  ASSERT_EQ(list.status, 200u) << list.body;
  std::map<std::string, bool> readonly;
  const auto listed = boost::json::parse(list.body);
  for (const auto& item : listed.at("data").as_array()) {
    readonly[std::string(item.at("validating_pubkey").as_string())] = item.at("readonly").as_bool();
  }
  ASSERT_TRUE(readonly.count(key.pubkey)) << list.body;
  EXPECT_FALSE(readonly[key.pubkey]);
  ASSERT_TRUE(readonly.count((*file_keys_)[0])) << list.body;
  EXPECT_TRUE(readonly[(*file_keys_)[0]]);
}

TEST_F(KeyManagerTest, KeysAlreadyLoadedAreDuplicates) {
  auto http = admin();
  auto key = new_key();
  auto r = http.post(kKeystores, import_body({file_keystore(), key.keystore, key.keystore},
                                             {"integration-test-password", kPassword, kPassword}));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(statuses(r), (std::vector<std::string>{"duplicate", "imported", "duplicate"})) << r.body;
  auto again = http.post(kKeystores, import_body({key.keystore}, {kPassword}));
  EXPECT_EQ(statuses(again), std::vector<std::string>{"duplicate"}) << again.body;
  // The file key is still a file key: it cannot be deleted here.
  auto del = http.del(kKeystores, delete_body({(*file_keys_)[0]}));
  ASSERT_EQ(del.status, 200u) << del.body;
  EXPECT_EQ(statuses(del), std::vector<std::string>{"error"});
  EXPECT_NE(message(del, 0).find("filesystem"), std::string::npos) << del.body;
  EXPECT_EQ(http.post(sign_path((*file_keys_)[0]), randao(1)).status, 200u);
}

TEST_F(KeyManagerTest, OneBadKeystoreDoesNotStopTheOthers) {
  auto http = admin();
  auto good1 = new_key(), wrong = new_key(), good2 = new_key();
  auto r = http.post(kKeystores, import_body({good1.keystore, wrong.keystore, "{not json", good2.keystore},
                                             {kPassword, "not-the-password", kPassword, kPassword}));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(statuses(r), (std::vector<std::string>{"imported", "error", "error", "imported"})) << r.body;
  EXPECT_NE(message(r, 1).find("password"), std::string::npos) << r.body;
  EXPECT_FALSE(message(r, 2).empty());
  EXPECT_EQ(r.body.find("not-the-password"), std::string::npos);
  EXPECT_EQ(http.post(sign_path(good2.pubkey), randao(1)).status, 200u);
  EXPECT_EQ(http.post(sign_path(wrong.pubkey), randao(1)).status, 404u);
  EXPECT_EQ(signer_->process().log().find(kPassword), std::string::npos);
}

TEST_F(KeyManagerTest, AttachedInterchangeGuardsTheKeyFromTheFirstRequest) {
  auto http = admin();
  auto key = new_key();
  auto r = http.post(kKeystores, import_body({key.keystore}, {kPassword}, interchange(key.pubkey)));
  ASSERT_EQ(r.status, 200u) << r.body;
  ASSERT_EQ(statuses(r), std::vector<std::string>{"imported"}) << r.body;
  auto surround = http.post(sign_path(key.pubkey), attestation(4, 10, 9));
  EXPECT_EQ(surround.status, 412u) << surround.body;
  auto old_block = http.post(sign_path(key.pubkey), block_header(100));
  EXPECT_EQ(old_block.status, 412u) << old_block.body;
  auto next = http.post(sign_path(key.pubkey), attestation(10, 11));
  EXPECT_EQ(next.status, 200u) << next.body;
}

TEST_F(KeyManagerTest, FailedInterchangeImportsNoKey) {
  auto http = admin();
  auto key = new_key(), other = new_key();
  auto malformed = interchange(key.pubkey);
  malformed.replace(malformed.find("\"100\""), 5, "\"1x0\"");
  auto r = http.post(kKeystores, import_body({key.keystore, other.keystore}, {kPassword, kPassword}, malformed));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(statuses(r), (std::vector<std::string>{"error", "error"})) << r.body;
  EXPECT_NE(message(r, 0).find("slashing_protection"), std::string::npos) << r.body;
  EXPECT_EQ(http.post(sign_path(key.pubkey), randao(1)).status, 404u);
  EXPECT_EQ(http.post(sign_path(other.pubkey), randao(1)).status, 404u);

  // Once the database knows its network, history for another one is refused the same way.
  ASSERT_EQ(http.post(sign_path((*file_keys_)[0]), attestation(1, 2)).status, 200u);
  auto foreign =
      http.post(kKeystores, import_body({key.keystore}, {kPassword}, interchange(key.pubkey, root_hex(0x77))));
  EXPECT_EQ(statuses(foreign), std::vector<std::string>{"error"}) << foreign.body;
  EXPECT_EQ(http.post(sign_path(key.pubkey), randao(1)).status, 404u);
}

TEST_F(KeyManagerTest, DeleteStopsSigningAndHandsOverTheHistory) {
  auto http = admin();
  auto key = new_key();
  ASSERT_EQ(statuses(http.post(kKeystores, import_body({key.keystore}, {kPassword}))),
            std::vector<std::string>{"imported"});
  ASSERT_EQ(http.post(sign_path(key.pubkey), attestation(20, 21)).status, 200u);

  auto unknown = to_hex(crypto::SecretKey::generate().public_key());
  auto r = http.del(kKeystores, delete_body({key.pubkey, unknown}));
  ASSERT_EQ(r.status, 200u) << r.body;
  EXPECT_EQ(statuses(r), (std::vector<std::string>{"deleted", "not_found"})) << r.body;
  auto exported = boost::json::parse(boost::json::parse(r.body).at("slashing_protection").as_string());
  EXPECT_EQ(exported.at("metadata").at("genesis_validators_root").as_string(), kMainnetGvr);
  const auto& data = exported.at("data").as_array();
  ASSERT_EQ(data.size(), 1u) << exported;
  EXPECT_EQ(data[0].at("pubkey").as_string(), key.pubkey);
  EXPECT_EQ(data[0].at("signed_attestations").as_array().at(0).at("target_epoch").as_string(), "21");

  EXPECT_EQ(http.post(sign_path(key.pubkey), attestation(21, 22)).status, 404u);
  auto again = http.del(kKeystores, delete_body({key.pubkey}));
  EXPECT_EQ(statuses(again), std::vector<std::string>{"not_active"}) << again.body;

  // Importing it back with the exported history keeps it protected.
  auto back =
      http.post(kKeystores, import_body({key.keystore}, {kPassword},
                                        std::string(boost::json::parse(r.body).at("slashing_protection").as_string())));
  EXPECT_EQ(statuses(back), std::vector<std::string>{"imported"}) << back.body;
  EXPECT_EQ(http.post(sign_path(key.pubkey), attestation(19, 21, 8)).status, 412u);
  EXPECT_EQ(http.post(sign_path(key.pubkey), attestation(21, 22)).status, 200u) << "signing resumes";
}

TEST_F(KeyManagerTest, ReimportingWithoutHistoryEnablesTheKeyWithItsOldHistoryEnforced) {
  auto http = admin();
  auto key = new_key();
  ASSERT_EQ(statuses(http.post(kKeystores, import_body({key.keystore}, {kPassword}))),
            std::vector<std::string>{"imported"});
  ASSERT_EQ(http.post(sign_path(key.pubkey), attestation(30, 31)).status, 200u);
  ASSERT_EQ(statuses(http.del(kKeystores, delete_body({key.pubkey}))), std::vector<std::string>{"deleted"});

  // The database still holds the history and the key's disabled flag: the import clears the flag.
  auto back = http.post(kKeystores, import_body({key.keystore}, {kPassword}));
  ASSERT_EQ(statuses(back), std::vector<std::string>{"imported"}) << back.body;
  auto double_vote = http.post(sign_path(key.pubkey), attestation(30, 31, 9));
  EXPECT_EQ(double_vote.status, 412u) << double_vote.body;
  EXPECT_EQ(reason_of(double_vote), "double_vote") << double_vote.body;
  EXPECT_EQ(http.post(sign_path(key.pubkey), attestation(31, 32)).status, 200u);
}

TEST_F(KeyManagerTest, ScopesDecideWhoMayListImportAndDelete) {
  HttpClient reader("127.0.0.1", signer_->port());
  reader.set_authorization(std::string("Bearer ") + kReaderToken);
  EXPECT_EQ(reader.get(kKeystores).status, 200u);
  auto key = new_key();
  EXPECT_EQ(reader.post(kKeystores, import_body({key.keystore}, {kPassword})).status, 403u);
  EXPECT_EQ(reader.del(kKeystores, delete_body({(*file_keys_)[0]})).status, 403u);
  HttpClient anonymous("127.0.0.1", signer_->port());
  EXPECT_EQ(anonymous.get(kKeystores).status, 401u);
  EXPECT_EQ(admin().post(sign_path(key.pubkey), randao(1)).status, 404u);
}

TEST_F(KeyManagerTest, TooManyItemsIsABadRequest) {
  auto http = admin();
  std::vector<std::string> keystores, passwords, pubkeys;
  for (int i = 0; i < 5; ++i) {
    auto key = new_key();
    keystores.push_back(key.keystore);
    passwords.emplace_back(kPassword);
    pubkeys.push_back(key.pubkey);
  }
  auto r = http.post(kKeystores, import_body(keystores, passwords));
  EXPECT_EQ(r.status, 400u) << r.body;
  EXPECT_NE(r.body.find("max_items_per_request"), std::string::npos) << r.body;
  EXPECT_EQ(http.post(sign_path(pubkeys[0]), randao(1)).status, 404u);
  EXPECT_EQ(http.del(kKeystores, delete_body(pubkeys)).status, 400u);
  EXPECT_EQ(http.post(kKeystores, import_body({keystores[0]}, {})).status, 400u);
  EXPECT_EQ(http.post(kKeystores, "{\"keystores\": 3}").status, 400u);
}

// Two replicas sharing one PostgreSQL database (the high-availability deployment), each with the
// Key Manager API enabled.
class KeyManagerReplicasTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new std::filesystem::path(make_temp_dir("km-replicas"));
    pg_ = new PgServer(*dir_ / "pg");
    ASSERT_TRUE(pg_->run("start"));
    const std::vector<std::string> args = {"--anti-slashing-backend", "postgres", "--anti-slashing-url",
                                           pg_->conninfo(), "--http-key-manager-api-enabled", "true"};
    a_ = new SignerInstance(*dir_, args);
    b_ = new SignerInstance(*dir_, args);
    std::string error;
    ASSERT_TRUE(a_->start(error)) << error;
    ASSERT_TRUE(b_->start(error)) << error;
  }
  static void TearDownTestSuite() {
    delete b_;
    delete a_;
    delete pg_;  // after the replicas
    std::filesystem::remove_all(*dir_);
    delete dir_;
  }
  // Imports `key` into both replicas.
  static void import_on_both(const NewKey& key) {
    ASSERT_EQ(statuses(a_->client().post(kKeystores, import_body({key.keystore}, {kPassword}))),
              std::vector<std::string>{"imported"});
    ASSERT_EQ(statuses(b_->client().post(kKeystores, import_body({key.keystore}, {kPassword}))),
              std::vector<std::string>{"imported"});
  }
  static inline std::filesystem::path* dir_ = nullptr;
  static inline PgServer* pg_ = nullptr;
  static inline SignerInstance* a_ = nullptr;
  static inline SignerInstance* b_ = nullptr;
};

// A delete through one replica disables the key in the database, so the other refuses it too
// (404 key_disabled) until the key is imported again with the history handed over, which is then
// enforced on both.
TEST_F(KeyManagerReplicasTest, ADeleteThroughOneReplicaStopsEveryReplicaUntilTheKeyIsImportedAgain) {
  auto ha = a_->client(), hb = b_->client();
  auto key = new_key();
  const auto path = "/api/v1/eth2/sign/" + key.pubkey;
  import_on_both(key);
  ASSERT_EQ(hb.post(path, attestation(1, 2)).status, 200u);

  auto del = ha.del(kKeystores, delete_body({key.pubkey}));
  ASSERT_EQ(del.status, 200u) << del.body;
  ASSERT_EQ(statuses(del), std::vector<std::string>{"deleted"}) << del.body;
  EXPECT_TRUE(votes_in(handed_over(del), key.pubkey).contains({1, 2})) << del.body;

  auto refused = hb.post(path, attestation(2, 3));
  EXPECT_EQ(refused.status, 404u) << refused.body;
  EXPECT_EQ(reason_of(refused), "key_disabled") << refused.body;
  EXPECT_NE(refused.body.find("Key Manager API"), std::string::npos) << refused.body;
  EXPECT_EQ(hb.post(path, block_header(100)).status, 404u);
  EXPECT_EQ(ha.post(path, attestation(2, 3)).status, 404u) << "gone from the deleting replica";

  auto back = ha.post(kKeystores, import_body({key.keystore}, {kPassword}, handed_over(del)));
  ASSERT_EQ(statuses(back), std::vector<std::string>{"imported"}) << back.body;
  EXPECT_EQ(hb.post(path, attestation(2, 3)).status, 200u) << "enabled for every replica";
  auto double_vote = ha.post(path, attestation(2, 3, 9));
  EXPECT_EQ(double_vote.status, 412u) << double_vote.body;
  EXPECT_EQ(reason_of(double_vote), "double_vote") << double_vote.body;
  EXPECT_EQ(ha.post(path, attestation(1, 2, 9)).status, 412u) << "the history handed over still counts";
}

// Callers keep signing for a key on both replicas while it is deleted through one: every
// attestation answered 200, however close to the delete, is in the history the delete hands
// over; afterwards neither replica signs for it.
TEST_F(KeyManagerReplicasTest, EveryAttestationSignedAroundADeleteIsInTheHistoryHandedOver) {
  auto key = new_key();
  const auto path = "/api/v1/eth2/sign/" + key.pubkey;
  import_on_both(key);
  constexpr unsigned kCallers = 6;  // even ones on replica a, odd ones on b
  constexpr std::uint64_t kMaxPerCaller = 500;
  std::mutex mu;
  std::set<std::pair<std::uint64_t, std::uint64_t>> signed_votes;
  std::atomic<unsigned> answered_200{0}, unexpected{0};
  std::vector<std::thread> callers;
  for (unsigned c = 0; c < kCallers; ++c) {
    callers.emplace_back([&, c] {
      auto client = (c % 2 == 0 ? a_ : b_)->client();
      for (std::uint64_t i = 0; i < kMaxPerCaller; ++i) {
        const std::uint64_t target = 1 + c + i * kCallers;  // callers interleave; none is slashable
        auto r = client.post(path, attestation(target - 1, target));
        if (r.status == 404) return;  // deleted or disabled (a 412 is a watermark a faster caller passed)
        if (r.status == 200) {
          std::lock_guard lock(mu);
          signed_votes.insert({target - 1, target});
          ++answered_200;
        } else if (r.status != 412) {
          ++unexpected;
        }
      }
    });
  }
  while (answered_200.load() < 20 && unexpected.load() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  auto del = a_->client().del(kKeystores, delete_body({key.pubkey}));
  for (auto& t : callers) t.join();

  ASSERT_EQ(del.status, 200u) << del.body;
  ASSERT_EQ(statuses(del), std::vector<std::string>{"deleted"}) << del.body;
  EXPECT_EQ(unexpected.load(), 0u);
  const auto exported = votes_in(handed_over(del), key.pubkey);
  EXPECT_FALSE(signed_votes.empty());
  for (const auto& [source, target] : signed_votes) {
    EXPECT_TRUE(exported.contains({source, target}))
        << "attestation (" << source << ", " << target << ") was signed but is not in the history handed over";
  }
  EXPECT_EQ(b_->client().post(path, attestation(5000, 5001)).status, 404u);
}

// The database is down during a delete: the key is neither deleted nor disabled. It stays loaded,
// the answer says why, and once the database is back it signs again, its history still enforced.
TEST_F(KeyManagerReplicasTest, ADeleteTheDatabaseCannotRecordKeepsTheKeyLoadedAndEnabled) {
  auto ha = a_->client();
  auto key = new_key();
  const auto path = "/api/v1/eth2/sign/" + key.pubkey;
  ASSERT_EQ(statuses(ha.post(kKeystores, import_body({key.keystore}, {kPassword}))),
            std::vector<std::string>{"imported"});
  ASSERT_EQ(ha.post(path, attestation(1, 2)).status, 200u);

  ASSERT_TRUE(pg_->run("stop"));
  auto del = ha.del(kKeystores, delete_body({key.pubkey}));
  ASSERT_TRUE(pg_->run("start"));
  ASSERT_EQ(del.status, 200u) << del.body;
  EXPECT_EQ(statuses(del), std::vector<std::string>{"error"}) << del.body;
  EXPECT_NE(message(del, 0).find("key kept"), std::string::npos) << del.body;

  HttpResult again;
  for (int i = 0; i < 100; ++i) {  // the store reconnects by itself; until then 503
    again = ha.post(path, attestation(2, 3));
    if (again.status != 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(again.status, 200u) << again.body << " (404 key_disabled: the failed delete left the key disabled)";
  EXPECT_EQ(ha.post(path, attestation(1, 2, 9)).status, 412u);
}

TEST(KeyManagerDisabled, RoutesAnswer404SayingHowToEnable) {
  auto dir = make_temp_dir("keymanager-off");
  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  auto r = http.get(kKeystores);
  EXPECT_EQ(r.status, 404u);
  EXPECT_NE(r.body.find("http.key_manager_api.enabled"), std::string::npos) << r.body;
  EXPECT_EQ(http.post(kKeystores, import_body({}, {})).status, 404u);
  EXPECT_EQ(http.del(kKeystores, delete_body({})).status, 404u);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
