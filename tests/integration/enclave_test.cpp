// Nitro mode with the real binary on both sides: `containment-chamber controller` starts the
// enclave through a stand-in nitro-cli (tests/support/fake-nitro-cli: the "enclave" is a local
// process running the image's entry point, `containment-chamber enclave`), vsock is emulated over
// Unix sockets (this kernel has no vsock loopback), and the configuration travels over it.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../support/process.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string enclave_logs(const std::filesystem::path& nitro_dir) {
  std::string out;
  if (!std::filesystem::exists(nitro_dir)) return out;
  for (const auto& f : std::filesystem::directory_iterator(nitro_dir)) {
    if (f.path().extension() == ".log") out += read_all(f.path());
  }
  return out;
}

TEST(Enclave, TheControllerHandsTheConfigurationToTheEnclaveBinary) {
  auto dir = make_temp_dir("enclave");
  const auto config = dir / "config.yaml";
  std::ofstream(config) << "network: hoodi\n"
                           "tee:\n  platform: nitro\n  nitro:\n    aws: {region: us-east-1}\n"
                           "tls: {mode: atls}\n"
                           "signer_state: {backend: dynamodb, table: state}\n";
  const auto eif = dir / "containment-chamber.eif";
  std::ofstream(eif) << "exec " << binary_path() << " enclave --boot-timeout-seconds 30\n";
  const std::vector<std::string> env = {"CC_VSOCK_EMULATION=" + (dir / "vsock").string() + ":3",
                                        "CC_FAKE_NITRO_DIR=" + (dir / "nitro").string(), "CONTAINMENT_NETWORK=sepolia"};
  Process controller({binary_path(), "controller", "-c", config.string(), "--eif-path", eif.string(), "--nitro-cli",
                      std::string(CC_SOURCE_DIR) + "/tests/support/fake-nitro-cli", "--enclave-cid", "17",
                      "--listen-address", "127.0.0.1", "--ingress", std::to_string(free_tcp_port()) + ":9443", "--enclave-id-file",
                      (dir / "enclave.id").string()},
                     env, (dir / "controller.log").string());
  // The enclave takes the configuration (with the controller's CONTAINMENT_ override), then stops:
  // a local process has no Nitro Secure Module, so the signer refuses to start (aTLS needs it). The
  // controller sees the enclave gone and exits non-zero, as a pod must.
  EXPECT_EQ(controller.wait(std::chrono::seconds(60)), 1) << controller.log();
  const auto log = controller.log();
  EXPECT_NE(log.find("enclave i-0fake"), std::string::npos) << log;
  EXPECT_NE(log.find("CID 17"), std::string::npos) << log;
  EXPECT_NE(log.find("the enclave took its configuration"), std::string::npos) << log;
  EXPECT_NE(log.find("is gone"), std::string::npos) << log;
  const auto inside = enclave_logs(dir / "nitro");
  EXPECT_NE(inside.find("configuration " + config.string() + " taken"), std::string::npos) << inside;
  EXPECT_NE(inside.find("cannot open the Nitro Secure Module at /dev/nsm (is this an enclave?)"), std::string::npos)
      << inside;
  std::filesystem::remove_all(dir);
}

TEST(Enclave, TheControllerRefusesAConfigurationThatIsNotNitroMode) {
  auto dir = make_temp_dir("enclave");
  const auto config = dir / "config.yaml";
  std::ofstream(config) << "network: hoodi\n";
  auto [code, out] = run_command({binary_path(), "controller", "-c", config.string(), "--nitro-cli", "/bin/false"});
  EXPECT_EQ(code, 2);
  EXPECT_NE(out.find("set tee.platform: nitro"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

TEST(Enclave, ControllerStopWithNoEnclaveSaysWhatNitroCliAnswered) {
  auto dir = make_temp_dir("enclave");
  auto [code, out] = run_command({binary_path(), "controller", "stop", "--nitro-cli",
                                  std::string(CC_SOURCE_DIR) + "/tests/support/fake-nitro-cli", "--enclave-id-file",
                                  (dir / "none.id").string()},
                                 {"CC_FAKE_NITRO_DIR=" + (dir / "nitro").string()});
  EXPECT_EQ(code, 0) << "no recorded id: --all, which stops nothing and succeeds: " << out;
  std::ofstream(dir / "gone.id") << "i-0fake-enc-gone\n";
  auto [code2, out2] = run_command({binary_path(), "controller", "stop", "--nitro-cli",
                                    std::string(CC_SOURCE_DIR) + "/tests/support/fake-nitro-cli", "--enclave-id-file",
                                    (dir / "gone.id").string()},
                                   {"CC_FAKE_NITRO_DIR=" + (dir / "nitro").string()});
  EXPECT_EQ(code2, 1);
  EXPECT_NE(out2.find("E43"), std::string::npos) << out2;
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
