// Key reload with the real binary: a keystore added then SIGHUP signs; a keystore deleted then
// POST /reload answers 404; a reload while one runs gets 409 and /healthcheck says what is
// loading (still 200: the loaded keys keep signing); /reload needs the reload_keys scope once
// auth is on; and requests signing while their key is removed still get an answer.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <atomic>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

namespace fs = std::filesystem;

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path keystore_of(const fs::path& keys_dir, const std::string& pubkey) {
  for (const auto& e : fs::directory_iterator(keys_dir)) {
    if (e.path().extension() != ".json") continue;
    auto v = boost::json::parse(read_file(e.path()));
    if ("0x" + std::string(v.at("pubkey").as_string()) == pubkey) return e.path();
  }
  return {};
}

// Copies the keystore of `pubkey` (and its password file) from `from`/keys into `to`.
void copy_key(const fs::path& from, const std::string& pubkey, const fs::path& to) {
  auto json = keystore_of(from / "keys", pubkey);
  ASSERT_FALSE(json.empty());
  auto txt = json;
  txt.replace_extension(".txt");
  // The password first: a keystore seen without its password would be a (transient) failure.
  fs::copy_file(txt, to / txt.filename());
  fs::copy_file(json, to / json.filename());
}

// GET /reload until the last reload has completed; its status object.
boost::json::object wait_reloaded(HttpClient& http) {
  boost::json::object status;
  for (int i = 0; i < 600; ++i) {
    auto r = http.get("/reload");
    if (r.status == 200) {
      status = boost::json::parse(r.body).as_object();
      if (status.at("status").as_string() == "completed") return status;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ADD_FAILURE() << "reload did not complete: " << boost::json::serialize(status);
  return status;
}

std::set<std::string> listed(HttpClient& http) {
  std::set<std::string> out;
  const auto keys = boost::json::parse(http.get("/api/v1/eth2/publicKeys").body);
  for (const auto& k : keys.as_array()) {
    out.insert(std::string(k.as_string()));
  }
  return out;
}

TEST(KeyReload, AddedKeystoreSignsAfterSighup) {
  const auto dir = make_temp_dir("reload-add");
  const auto keys = generate_keys(dir, 2);
  const auto spare = make_temp_dir("reload-add-spare");
  const auto extra = generate_keys(spare, 1);
  ASSERT_EQ(extra.size(), 1u);
  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  EXPECT_EQ(boost::json::parse(http.get("/reload").body).at("status").as_string(), "idle");
  ASSERT_EQ(http.post("/api/v1/eth2/sign/" + extra[0], randao(5)).status, 404u);

  copy_key(spare, extra[0], dir / "keys");
  signer.process().kill(SIGHUP);
  auto status = wait_reloaded(http);
  EXPECT_EQ(status.at("trigger").as_string(), "SIGHUP");
  EXPECT_EQ(status.at("keys_loaded").as_int64(), 1);
  EXPECT_EQ(status.at("keys_unchanged").as_int64(), 2) << "unchanged keystores are not decrypted again";
  EXPECT_EQ(status.at("keys_removed").as_int64(), 0);
  auto signed_now = http.post("/api/v1/eth2/sign/" + extra[0], randao(5));
  EXPECT_EQ(signed_now.status, 200u) << signed_now.body;
  EXPECT_EQ(listed(http), (std::set<std::string>{keys[0], keys[1], extra[0]}));
  EXPECT_EQ(http.get("/healthcheck").status, 200u);
  EXPECT_TRUE(signer.process().running()) << "SIGHUP must not stop the signer";
  fs::remove_all(dir);
  fs::remove_all(spare);
}

TEST(KeyReload, DeletedKeystoreIsGoneAfterPostReload) {
  const auto dir = make_temp_dir("reload-del");
  const auto keys = generate_keys(dir, 3);
  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  ASSERT_EQ(http.post("/api/v1/eth2/sign/" + keys[1], randao(1)).status, 200u);

  fs::remove(keystore_of(dir / "keys", keys[1]));
  auto started = http.post("/reload", "");
  ASSERT_EQ(started.status, 202u) << started.body;
  EXPECT_EQ(boost::json::parse(started.body).at("scope").as_string(), "all");
  auto status = wait_reloaded(http);
  EXPECT_EQ(status.at("keys_removed").as_int64(), 1);
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[1], randao(2)).status, 404u);
  EXPECT_EQ(listed(http), (std::set<std::string>{keys[0], keys[2]}));
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], randao(2)).status, 200u);

  // Scopes: named in the query or the body; an unknown one is a 400 naming the known ones.
  EXPECT_EQ(http.post("/reload?scope=filesystem", "").status, 202u);
  wait_reloaded(http);
  auto unknown = http.post("/reload", R"({"scope":"vault"})");
  EXPECT_EQ(unknown.status, 400u);
  EXPECT_NE(unknown.body.find("all, filesystem"), std::string::npos) << unknown.body;
  EXPECT_EQ(http.post("/reload", "[1,2]").status, 400u);
  EXPECT_EQ(http.del("/reload", "").status, 405u);
  fs::remove_all(dir);
}

TEST(KeyReload, ConcurrentReloadIsAConflictAndHealthSaysWhatIsLoading) {
  const auto dir = make_temp_dir("reload-busy");
  const auto keys = generate_keys(dir, 1);
  // Keystores with the standard scrypt parameters: slow on purpose, so the reload lasts.
  const auto slow = make_temp_dir("reload-busy-slow");
  fs::create_directories(slow / "keys");
  auto [code, out] = run_command({binary_path(), "keys", "generate", "--count", "3", "--out", (slow / "keys").string(),
                                  "--password", "integration-test-password"});
  ASSERT_EQ(code, 0) << out;
  SignerInstance signer(dir, {"--key-sources-filesystem-keystore-load-concurrency", "1"});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();

  for (const auto& e : fs::directory_iterator(slow / "keys")) {
    if (e.path().extension() == ".txt") fs::copy_file(e.path(), dir / "keys" / e.path().filename());
  }
  for (const auto& e : fs::directory_iterator(slow / "keys")) {
    if (e.path().extension() == ".json") fs::copy_file(e.path(), dir / "keys" / e.path().filename());
  }
  ASSERT_EQ(http.post("/reload", "").status, 202u);
  auto again = http.post("/reload", "");
  EXPECT_EQ(again.status, 409u) << again.body;
  EXPECT_EQ(boost::json::parse(again.body).at("code").as_int64(), 409);
  // /healthcheck says a reload runs and, once the scan is done, how far it is; it stays 200.
  boost::json::object body;
  for (int i = 0; i < 200; ++i) {
    auto health = http.get("/healthcheck");
    ASSERT_EQ(health.status, 200u) << "keys keep signing during a reload: " << health.body;
    body = boost::json::parse(health.body).as_object();
    EXPECT_TRUE(body.at("reloading").as_bool()) << health.body;
    const auto& first = body.at("checks").as_array().at(0).as_object();
    if (first.contains("reload") && first.at("reload").at("keys_total").as_int64() == 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto& check = body.at("checks").as_array().at(0).as_object();
  EXPECT_EQ(check.at("id").as_string(), "key-source:filesystem");
  ASSERT_TRUE(check.contains("reload")) << boost::json::serialize(body);
  EXPECT_EQ(check.at("reload").at("keys_total").as_int64(), 3) << boost::json::serialize(body);
  EXPECT_TRUE(check.at("reload").at("running").as_bool());
  EXPECT_EQ(boost::json::parse(http.get("/reload").body).at("status").as_string(), "running");
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], randao(3)).status, 200u) << "signing goes on";

  auto status = wait_reloaded(http);
  EXPECT_EQ(status.at("keys_loaded").as_int64(), 3);
  EXPECT_EQ(listed(http).size(), 4u);
  body = boost::json::parse(http.get("/healthcheck").body).as_object();
  EXPECT_FALSE(body.at("reloading").as_bool());
  fs::remove_all(dir);
  fs::remove_all(slow);
}

TEST(KeyReload, NeedsTheReloadKeysScope) {
  const auto dir = make_temp_dir("reload-auth");
  generate_keys(dir, 1);
  std::ofstream(dir / "auth.yaml") << "auth:\n  policies:\n"
                                      "    - {name: vc, token: reload-test-vc-token-01, rules: [{scopes: [sign, public_keys]}]}\n"
                                      "    - {name: ops, token: reload-test-ops-token-01, rules: [{scopes: [reload_keys]}]}\n";
  SignerInstance signer(dir, {"--config", (dir / "auth.yaml").string()});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  EXPECT_EQ(http.post("/reload", "").status, 401u);
  http.set_authorization("Bearer reload-test-vc-token-01");
  auto denied = http.post("/reload", "");
  EXPECT_EQ(denied.status, 403u);
  EXPECT_NE(denied.body.find("reload_keys"), std::string::npos) << denied.body;
  http.set_authorization("Bearer reload-test-ops-token-01");
  EXPECT_EQ(http.post("/reload", "").status, 202u);
  EXPECT_EQ(wait_reloaded(http).at("trigger").as_string().find("POST /reload from 127.0.0.1:"), 0u);
  fs::remove_all(dir);
}

// A key removed by a reload while requests sign with it: every request gets an answer (200
// before the removal, 404 after), none is dropped or fails otherwise.
TEST(KeyReload, RequestsInFlightAreNeverDropped) {
  const auto dir = make_temp_dir("reload-inflight");
  const auto keys = generate_keys(dir, 2);
  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  std::atomic<bool> go{true};
  std::atomic<int> ok{0}, gone{0}, other{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 4; ++t) {
    clients.emplace_back([&, t] {
      auto http = signer.client();
      for (std::uint64_t epoch = static_cast<std::uint64_t>(t) * 100000; go; ++epoch) {
        auto r = http.post("/api/v1/eth2/sign/" + keys[1], randao(epoch));
        (r.status == 200 ? ok : r.status == 404 ? gone : other)++;
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  fs::remove(keystore_of(dir / "keys", keys[1]));
  auto http = signer.client();
  ASSERT_EQ(http.post("/reload", "").status, 202u);
  wait_reloaded(http);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  go = false;
  for (auto& c : clients) c.join();
  EXPECT_GT(ok.load(), 0);
  EXPECT_GT(gone.load(), 0);
  EXPECT_EQ(other.load(), 0) << "every request got 200 or 404";
  fs::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
