// Canary keys with the real binary: a key marked `canary: true` in its descriptor and a public
// key in key_sources.canary_keys are listed like the others, but every signing request for one
// is refused with 403 and a JSON body, logged at error with the key, the client and the request
// type, counted in containment_canary_signing_total, and leaves no anti-slashing record.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <csignal>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include "../support/exposition_reader.hpp"
#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// The keystore (and its password file) that holds `pubkey` in dir/keys.
std::filesystem::path keystore_of(const std::filesystem::path& dir, const std::string& pubkey) {
  for (const auto& e : std::filesystem::directory_iterator(dir / "keys")) {
    if (e.path().extension() != ".json") continue;
    auto v = boost::json::parse(read_file(e.path()));
    if ("0x" + std::string(v.at("pubkey").as_string()) == pubkey) return e.path();
  }
  return {};
}

double canary_count(std::uint16_t metrics_port) {
  HttpClient http("127.0.0.1", metrics_port);
  auto parsed = parse_exposition(http.get("/metrics").body);
  return parsed.value("containment_canary_signing_total");
}

TEST(CanaryKeys, ListedButRefusedLoggedCountedAndNeverRecorded) {
  const auto dir = make_temp_dir("canary");
  const auto keys = generate_keys(dir, 3);
  ASSERT_EQ(keys.size(), 3u);
  // keys[1] becomes a canary through its descriptor (which takes over its bulk keystore).
  const auto keystore = keystore_of(dir, keys[1]);
  ASSERT_FALSE(keystore.empty());
  auto password = keystore;
  password.replace_extension(".txt");
  std::ofstream(dir / "keys" / "canary.yaml") << "type: file-keystore\nkeystoreFile: " << keystore.filename().string()
                                              << "\nkeystorePasswordFile: " << password.filename().string()
                                              << "\ncanary: true\n";
  // A listed canary with no key material at all.
  const auto other = make_temp_dir("canary-listed");
  const auto listed = generate_keys(other, 1);
  ASSERT_EQ(listed.size(), 1u);

  SignerInstance signer(dir, {"--key-sources-canary-keys", listed[0]});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  const auto metrics_port = signer.metrics_port();
  ASSERT_NE(metrics_port, 0);
  auto http = signer.client();

  // Listed like the others.
  auto listing = boost::json::parse(http.get("/api/v1/eth2/publicKeys").body).as_array();
  std::set<std::string> shown;
  for (const auto& k : listing) shown.insert(std::string(k.as_string()));
  EXPECT_EQ(shown, (std::set<std::string>{keys[0], keys[1], keys[2], listed[0]}));
  EXPECT_EQ(canary_count(metrics_port), 0);

  // An ordinary key signs.
  ASSERT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], attestation(3, 4)).status, 200u);

  // The descriptor's canary: 403 with a JSON body that says why.
  auto refused = http.post("/api/v1/eth2/sign/" + keys[1], attestation(3, 4));
  EXPECT_EQ(refused.status, 403u) << refused.body;
  auto body = boost::json::parse(refused.body).as_object();
  EXPECT_EQ(body.at("code").as_int64(), 403);
  EXPECT_EQ(body.at("reason").as_string(), "canary_key");
  EXPECT_NE(std::string(body.at("message").as_string()).find("canary"), std::string::npos);
  EXPECT_EQ(canary_count(metrics_port), 1);

  // The listed canary, with a block and in text/plain: refused all the same.
  auto listed_refused = http.post("/api/v1/eth2/sign/" + listed[0], block_header(64), "text/plain");
  EXPECT_EQ(listed_refused.status, 403u) << listed_refused.body;
  // Even a body that is not a signing request counts: it is the key that is watched.
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + listed[0], "{not json").status, 403u);
  EXPECT_EQ(canary_count(metrics_port), 3);

  // Logged at error: key, client address, request type.
  ASSERT_TRUE(signer.process().wait_for_log("canary key asked to sign", std::chrono::seconds(5)));
  const auto log = signer.process().log();
  std::istringstream lines(log);
  int alarms = 0;
  for (std::string line; std::getline(lines, line);) {
    if (line.find("canary key asked to sign") == std::string::npos) continue;
    ++alarms;
    EXPECT_NE(line.find(" error "), std::string::npos) << line;
    EXPECT_NE(line.find("client=127.0.0.1:"), std::string::npos) << line;
    if (line.find(keys[1]) != std::string::npos) {
      EXPECT_NE(line.find("operation=ATTESTATION"), std::string::npos) << line;
    } else {
      EXPECT_NE(line.find(listed[0]), std::string::npos) << line;
    }
  }
  EXPECT_EQ(alarms, 3) << log;
  EXPECT_NE(log.find("operation=BLOCK_V2"), std::string::npos) << log;

  // No anti-slashing record for either canary: the ordinary key's vote is there, nothing else.
  signer.process().kill(SIGTERM);
  ASSERT_EQ(signer.process().wait(std::chrono::seconds(30)), 0) << signer.process().log();
  const auto exported = (dir / "export.json").string();
  auto [code, out] = run_command({binary_path(), "slashing", "export", "--to", exported, "--anti-slashing-path",
                                  (dir / "data" / "slashing.sqlite").string()});
  ASSERT_EQ(code, 0) << out;
  auto interchange = boost::json::parse(read_file(exported)).as_object();
  std::set<std::string> recorded;
  for (const auto& entry : interchange.at("data").as_array()) {
    const auto& e = entry.as_object();
    if (!e.at("signed_attestations").as_array().empty() || !e.at("signed_blocks").as_array().empty()) {
      recorded.insert(std::string(e.at("pubkey").as_string()));
    }
  }
  EXPECT_EQ(recorded, std::set<std::string>{keys[0]});
  std::filesystem::remove_all(dir);
  std::filesystem::remove_all(other);
}

// A canary flag that is not a boolean fails that descriptor only, naming the field.
TEST(CanaryKeys, BadCanaryFlagFailsTheDescriptorByName) {
  const auto dir = make_temp_dir("canary-bad");
  const auto keys = generate_keys(dir, 1);
  ASSERT_EQ(keys.size(), 1u);
  std::ofstream(dir / "keys" / "odd.yaml") << "type: file-raw\nprivateKey: 0x" << std::string(63, '0')
                                           << "1\ncanary: perhaps\n";
  SignerInstance signer(dir);
  std::string error;
  ASSERT_TRUE(signer.start(error, false)) << error;
  auto http = signer.client();
  std::string health;
  for (int i = 0; i < 200; ++i) {
    auto r = http.get("/healthcheck");
    health = r.body;
    if (health.find("\"LOADING\"") == std::string::npos) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  EXPECT_NE(health.find("field 'canary' must be true or false"), std::string::npos) << health;
  EXPECT_EQ(boost::json::parse(http.get("/api/v1/eth2/publicKeys").body).as_array().size(), 1u);
  std::filesystem::remove_all(dir);
}

// A configured canary that is not a public key stops start-up with a message naming it.
TEST(CanaryKeys, MalformedCanaryListStopsStartup) {
  auto [code, out] = run_command({binary_path(), "server", "--key-sources-canary-keys", "0x1234"});
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("key_sources.canary_keys: '0x1234'"), std::string::npos) << out;
}

}  // namespace
}  // namespace cc::test
