// `slashing export` / `slashing import` against the SQLite database, as an operator moving
// validators between signers would run them.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(InterchangeCli, ExportFromOneSignerImportIntoAnotherRefusesConflicts) {
  auto a = make_temp_dir("xchg-a");
  auto b = make_temp_dir("xchg-b");
  auto keys = generate_keys(a, 2);
  ASSERT_EQ(keys.size(), 2u);
  const auto db_a = (a / "data" / "slashing.sqlite").string();
  const auto db_b = (b / "data" / "slashing.sqlite").string();
  const auto file = (a / "interchange.json").string();
  {
    SignerInstance signer(a);
    std::string error;
    ASSERT_TRUE(signer.start(error)) << error;
    ASSERT_EQ(signer.client().post("/api/v1/eth2/sign/" + keys[0], attestation(10, 11)).status, 200u);
    ASSERT_EQ(signer.client().post("/api/v1/eth2/sign/" + keys[1], block_header(5000)).status, 200u);
    // While the signer runs, the database is locked and the commands say so.
    auto [code, out] = run_command({binary_path(), "slashing", "export", "--to", file, "--anti-slashing-path", db_a});
    EXPECT_NE(code, 0);
    EXPECT_NE(out.find("in use"), std::string::npos) << out;
    signer.process().kill(SIGTERM);
    EXPECT_EQ(signer.process().wait(std::chrono::seconds(20)), 0) << signer.process().log();
  }
  auto [code, out] = run_command({binary_path(), "slashing", "export", "--to", file, "--anti-slashing-path", db_a});
  ASSERT_EQ(code, 0) << out;
  const auto doc = read(file);
  EXPECT_NE(doc.find(kMainnetGvr), std::string::npos) << doc;
  EXPECT_NE(doc.find(keys[0]), std::string::npos) << doc;
  EXPECT_NE(doc.find("\"interchange_format_version\":\"5\""), std::string::npos) << doc;

  // Importing into a database of another network is refused.
  auto [c_net, o_net] = run_command({binary_path(), "slashing", "import", "--from", file, "--anti-slashing-path",
                                     (b / "hoodi.sqlite").string(), "--network", "hoodi"});
  EXPECT_NE(c_net, 0);
  EXPECT_NE(o_net.find("genesis_validators_root"), std::string::npos) << o_net;

  auto [c_imp, o_imp] = run_command({binary_path(), "slashing", "import", "--from", file, "--anti-slashing-path", db_b});
  ASSERT_EQ(c_imp, 0) << o_imp;

  // The second signer now holds the same keys and refuses what would conflict with history.
  std::filesystem::create_directories(b / "keys");
  for (auto& e : std::filesystem::directory_iterator(a / "keys")) {
    std::filesystem::copy_file(e.path(), b / "keys" / e.path().filename());
  }
  SignerInstance signer(b);
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], attestation(10, 11, 99)).status, 412u);
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], attestation(9, 12)).status, 412u);  // surrounds
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[1], block_header(5000, 77)).status, 412u);
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys[0], attestation(11, 12)).status, 200u);
  std::filesystem::remove_all(a);
  std::filesystem::remove_all(b);
}

TEST(InterchangeCli, MalformedFileImportsNothing) {
  auto dir = make_temp_dir("xchg-bad");
  const auto file = dir / "bad.json";
  std::ofstream(file) << R"({"metadata":{"interchange_format_version":"5","genesis_validators_root":")" << kMainnetGvr
                      << R"("},"data":[{"pubkey":"0x)" << std::string(96, 'a')
                      << R"(","signed_blocks":[{"slot":"1"}],"signed_attestations":[]},{"pubkey":"0x12"}]})";
  auto [code, out] = run_command({binary_path(), "slashing", "import", "--from", file.string(), "--anti-slashing-path",
                                  (dir / "db.sqlite").string()});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("nothing was imported"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
