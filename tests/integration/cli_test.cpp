// The command line as a new user meets it: help, version, configuration errors.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "core/config.hpp"

#include "server_fixture.hpp"

namespace cc::test {
namespace {

std::filesystem::path write_file(const std::filesystem::path& dir, const std::string& name, const std::string& text) {
  auto p = dir / name;
  std::ofstream(p) << text;
  return p;
}

TEST(Cli, HelpReadsLikeAManual) {
  auto [code, out] = run_command({binary_path(), "server", "--help"});
  EXPECT_EQ(code, 0);
  for (const char* needle : {"--config", "--network", "--server-listen-port", "--key-sources-filesystem-paths",
                             "--anti-slashing-backend", "--anti-slashing-path", "CONTAINMENT_ANTI_SLASHING__PATH",
                             "EIP-2335", "/healthcheck"}) {
    EXPECT_NE(out.find(needle), std::string::npos) << "server --help does not mention " << needle;
  }
  auto [c2, top] = run_command({binary_path(), "--help"});
  EXPECT_EQ(c2, 0);
  EXPECT_NE(top.find("server"), std::string::npos);
  EXPECT_NE(top.find("keys"), std::string::npos);
  auto [c3, ver] = run_command({binary_path(), "--version"});
  EXPECT_EQ(c3, 0);
  EXPECT_NE(ver.find("containment-chamber"), std::string::npos);
}

// docs/configuration.md is the binary's own reference, so the two cannot drift apart; every key
// of the model is in it with its variable and flag.
TEST(Cli, ConfigurationReferenceIsTheCommittedDoc) {
  auto [code, out] = run_command({binary_path(), "config", "reference"});
  ASSERT_EQ(code, 0) << out;
  std::ifstream in(std::string(CC_SOURCE_DIR) + "/docs/configuration.md");
  std::stringstream committed;
  committed << in.rdbuf();
  EXPECT_TRUE(committed.str() == out)
      << "docs/configuration.md is out of date: regenerate it with\n"
         "  containment-chamber config reference > docs/configuration.md";
  for (const auto& f : cc::config_fields()) {
    EXPECT_NE(out.find("| `" + f.path + "` |"), std::string::npos) << f.path;
    EXPECT_NE(out.find("`" + f.env() + "`"), std::string::npos) << f.env();
    EXPECT_NE(out.find("`" + f.flag() + "`"), std::string::npos) << f.flag();
  }
  EXPECT_NE(out.find("`server.shutdown_timeout_seconds` | `uint` | `30` |"), std::string::npos);
  EXPECT_NE(out.find("`logging.format` | `text\\|json` | `text` |"), std::string::npos) << out;
}

TEST(Cli, UnknownConfigKeyNamesKeyAndFile) {
  auto dir = make_temp_dir("cli");
  auto cfg = write_file(dir, "c.yaml", "server:\n  listen_prot: 9000\n");
  auto [code, out] = run_command({binary_path(), "server", "-c", cfg.string()});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("server.listen_prot"), std::string::npos) << out;
  EXPECT_NE(out.find("c.yaml"), std::string::npos) << out;
  EXPECT_NE(out.find("server.listen_port"), std::string::npos) << "no suggestion: " << out;
  std::filesystem::remove_all(dir);
}

TEST(Cli, BadValuesAreRefused) {
  auto dir = make_temp_dir("cli");
  struct Case { std::string yaml; std::string mentions; };
  for (const auto& c : std::vector<Case>{{"server: {listen_port: 70000}\n", "server.listen_port"},
                                         {"network: goerli\n", "goerli"},
                                         {"anti_slashing: {backend: mysql}\n", "mysql"},
                                         {"key_sources: {filesystem: {paths: {a: 1}}}\n", "key_sources.filesystem.paths"},
                                         {"tls: {mode: file}\n", "tls.file.cert_path"},
                                         {"tee: {platform: nitro}\n", "tee.platform: nitro needs tls.mode: atls"},
                                         {"tls: {mode: atls}\n", "only available inside a Nitro Enclave"},
                                         {"tee: {platform: nitro}\ntls: {mode: atls}\n", "persistent signer_state"},
                                         {"tee: {nitro: {egress: {endpoints: [{hostname: a.example, loopback: 10.0.0.1, "
                                          "vsock_port: 8000}]}}}\n",
                                          "tee.nitro.egress.endpoints[0] (a.example): loopback '10.0.0.1'"},
                                         {"[1, 2]\n", "mapping"},
                                         {"server: {listen_port: [\n", "YAML"}}) {
    auto cfg = write_file(dir, "c.yaml", c.yaml);
    auto [code, out] = run_command({binary_path(), "server", "-c", cfg.string()});
    EXPECT_EQ(code, 2) << c.yaml << out;
    EXPECT_NE(out.find(c.mentions), std::string::npos) << c.yaml << " -> " << out;
  }
  auto [code, out] = run_command({binary_path(), "server", "-c", (dir / "missing.yaml").string()});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("missing.yaml"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

TEST(Cli, EnvironmentOverridesFileAndFlagsOverrideEnvironment) {
  auto dir = make_temp_dir("cli");
  auto cfg = write_file(dir, "c.yaml",
                        "network: sepolia\nserver: {listen_address: 127.0.0.1, listen_port: 1}\n"
                        "anti_slashing: {path: " + (dir / "file.sqlite").string() + "}\n");
  {
    // env beats the file's port 1 (which would fail to bind as non-root or be refused)
    SignerInstance s(dir, {"--config", cfg.string()},
                     {"CONTAINMENT_ANTI_SLASHING__PATH=" + (dir / "env.sqlite").string(), "CONTAINMENT_NETWORK=hoodi"});
    std::string error;
    ASSERT_TRUE(s.start(error)) << error;  // start() passes --server-listen-port 0 and --anti-slashing-path
    EXPECT_TRUE(std::filesystem::exists(dir / "data" / "slashing.sqlite")) << "flag did not override env";
    EXPECT_FALSE(std::filesystem::exists(dir / "env.sqlite"));
    EXPECT_FALSE(std::filesystem::exists(dir / "file.sqlite"));
    EXPECT_NE(s.process().log().find("network hoodi"), std::string::npos) << "env did not override the file";
  }
  auto [code, out] = run_command({binary_path(), "server", "-c", cfg.string()},
                                 {"CONTAINMENT_SERVER__LISTEN_PROT=9000"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("CONTAINMENT_SERVER__LISTEN_PROT"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

TEST(Cli, StartsHealthyWithZeroKeysAndSaysHowToAddThem) {
  auto dir = make_temp_dir("cli");
  std::filesystem::create_directories(dir / "keys");
  SignerInstance s(dir);
  std::string error;
  ASSERT_TRUE(s.start(error)) << error;
  EXPECT_EQ(s.client().get("/healthcheck").status, 200u);
  EXPECT_EQ(s.client().get("/api/v1/eth2/publicKeys").body, "[]");
  EXPECT_TRUE(s.process().wait_for_log("keys generate", std::chrono::seconds(5))) << s.process().log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test

namespace cc::test {
namespace {

TEST(Cli, DatabaseOfAnotherNetworkIsRefusedAtStart) {
  auto dir = make_temp_dir("cli");
  {
    SignerInstance mainnet(dir);
    std::string error;
    ASSERT_TRUE(mainnet.start(error)) << error;
  }
  SignerInstance hoodi(dir, {"--network", "hoodi"});
  std::string error;
  EXPECT_FALSE(hoodi.start(error));
  EXPECT_NE(hoodi.process().wait(std::chrono::seconds(10)), 0);
  EXPECT_NE(hoodi.process().log().find("slashing.sqlite"), std::string::npos) << hoodi.process().log();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test

namespace cc::test {
namespace {

// A DynamoDB backend whose table is missing stops start-up with a message naming the table and
// the endpoint (here: a local DynamoDB-compatible server of the test's own).
TEST(Cli, AMissingDynamoDbTableStopsStartUpNamingIt) {
  auto dir = make_temp_dir("cli-dynamo");
  DynamoServer dynamo(dir / "dynamo");
  ASSERT_TRUE(dynamo.start());
  const std::string endpoint = dynamo.endpoint();
  const auto env = DynamoServer::env();
  auto [code, out] = run_command({binary_path(), "server", "--server-listen-port", "0", "--anti-slashing-backend",
                                  "dynamodb", "--anti-slashing-table", "nowhere-to-be-found", "--aws-endpoints-dynamodb",
                                  endpoint, "--aws-region", "eu-west-1", "--signer-state-path",
                                  (dir / "state").string()},
                                 env);
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("nowhere-to-be-found"), std::string::npos) << out;
  EXPECT_NE(out.find("does not exist"), std::string::npos) << out;
  EXPECT_NE(out.find(endpoint), std::string::npos) << "names the endpoint: " << out;
  auto [no_region, region_out] = run_command({binary_path(), "server", "--anti-slashing-backend", "dynamodb",
                                              "--anti-slashing-table", "t", "--signer-state-path",
                                              (dir / "state").string()},
                                             {"AWS_REGION=", "AWS_DEFAULT_REGION="});
  EXPECT_NE(no_region, 0);
  EXPECT_NE(region_out.find("AWS_REGION"), std::string::npos) << "says where a region may come from: " << region_out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test

namespace cc::test {
namespace {

// `aws create-tables` creates what the configuration names, a second run finds them right, and
// a signer starts on them.
TEST(Cli, AwsCreateTablesMakesWhatTheSignerNeeds) {
  auto dir = make_temp_dir("cli-tables");
  DynamoServer dynamo(dir / "dynamo");
  ASSERT_TRUE(dynamo.start());
  const std::string endpoint = dynamo.endpoint();
  const auto env = DynamoServer::env();
  const std::vector<std::string> tables = {"--anti-slashing-backend", "dynamodb", "--anti-slashing-table", "slashing",
                                           "--signer-state-backend", "dynamodb", "--signer-state-table", "state",
                                           "--key-sources-dynamodb-table", "keys", "--aws-endpoints-dynamodb",
                                           endpoint, "--aws-region", "us-east-1"};
  std::vector<std::string> argv = {binary_path(), "aws", "create-tables"};
  argv.insert(argv.end(), tables.begin(), tables.end());
  auto [code, out] = run_command(argv, env);
  ASSERT_EQ(code, 0) << out;
  for (const char* t : {"anti-slashing table slashing", "signer state table state", "key table keys"}) {
    EXPECT_NE(out.find(std::string("created ") + t), std::string::npos) << out;
  }
  auto [again, again_out] = run_command(argv, env);
  EXPECT_EQ(again, 0) << again_out;
  EXPECT_NE(again_out.find("exists with the right keys"), std::string::npos) << again_out;

  SignerInstance signer(dir, tables, env);
  std::string error;
  EXPECT_TRUE(signer.start(error)) << error;

  auto [nothing, nothing_out] = run_command({binary_path(), "aws", "create-tables"});
  EXPECT_EQ(nothing, 2);
  EXPECT_NE(nothing_out.find("nothing to create"), std::string::npos) << nothing_out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
