// The controller end to end with the fake nitro-cli: the enclave (a local process) gets its
// configuration over (emulated) vsock, TCP clients reach it through the ingress listener, it
// reaches a TCP service through the parent's egress proxy, a refused configuration or a dead
// enclave ends run() with an error, stop() terminates it. Parsing of nitro-cli's output and of
// ingress mappings is checked on its own.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <fstream>
#include <future>
#include <random>

#include "../tee/pipe_peers.hpp"
#include "controller/controller.hpp"

namespace cc::controller {
namespace {

const std::filesystem::path kDir = [] {
  auto dir = std::filesystem::temp_directory_path() / ("cc-ctl-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir / "vsock");
  ::setenv("CC_VSOCK_EMULATION", ((dir / "vsock").string() + ":3").c_str(), 1);  // this process is the parent
  ::setenv("CC_FAKE_NITRO_DIR", (dir / "nitro").c_str(), 1);
  return dir;
}();

std::uint16_t free_port() {
  tee::test::ReplyService probe("127.0.0.1", "");
  return probe.port();
}

ControllerOptions options_for(std::uint32_t cid, const std::string& config_text) {
  const auto eif = kDir / ("enclave-" + std::to_string(cid) + ".eif");
  std::ofstream(eif) << "exec " << CC_FAKE_ENCLAVE << "\n";
  ControllerOptions o;
  o.nitro_cli = CC_FAKE_NITRO_CLI;
  o.enclave.eif_path = eif.string();
  o.enclave.cpu_count = 2;
  o.enclave.memory_mib = 2048;
  o.enclave.enclave_cid = cid;
  o.listen_address = "127.0.0.1";
  o.boot.config_name = "test.yaml";
  o.boot.config_text = config_text;
  o.boot_timeout = std::chrono::seconds(20);
  o.watch_interval = std::chrono::milliseconds(200);
  o.enclave_id_file = (kDir / ("enclave-" + std::to_string(cid) + ".id")).string();
  return o;
}

TEST(Controller, IngressEgressAndStop) {
  tee::test::ReplyService service("127.0.0.1", "service:");
  auto o = options_for(21, "network: hoodi\n");
  const auto ingress_port = free_port();
  o.ingress = {{ingress_port, 5000}};
  o.egress = {{"localhost", service.port(), "127.0.0.2", 8100}};
  Controller controller(o);
  auto run = std::async(std::launch::async, [&] { return controller.run(); });

  std::optional<std::string> echoed;
  for (int i = 0; i < 100 && echoed.value_or("") != "enclave:ping"; ++i) {
    echoed = tee::test::exchange("127.0.0.1", ingress_port, "ping");
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(echoed.value_or("?"), "enclave:ping") << "a TCP client reaches the enclave through the ingress listener";
  EXPECT_EQ(tee::test::exchange("127.0.0.1", ingress_port, "egress:8100").value_or("?"), "service:hi")
      << "the enclave reaches the outside service through the parent's proxy";
  std::string recorded;
  std::ifstream(o.enclave_id_file) >> recorded;
  EXPECT_EQ(recorded.rfind("i-0fake", 0), 0u) << "the enclave id is recorded for `controller stop`";

  controller.stop();
  auto st = run.get();
  EXPECT_TRUE(st.ok()) << st.error().message;
  EXPECT_FALSE(tee::test::exchange("127.0.0.1", ingress_port, "ping").has_value()) << "ingress closed";
  auto list = NitroCli(CC_FAKE_NITRO_CLI).describe_enclaves();
  ASSERT_TRUE(list.ok());
  for (const auto& e : *list) EXPECT_NE(e.cid, 21u) << "the enclave was terminated";
}

TEST(Controller, ARefusedConfigurationEndsRunAndTheEnclave) {
  auto o = options_for(22, "refuse: please\n");
  Controller controller(o);
  auto st = controller.run();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("the enclave refused its configuration: test.yaml: refused as asked"),
            std::string::npos)
      << st.error().message;
  auto list = NitroCli(CC_FAKE_NITRO_CLI).describe_enclaves();
  ASSERT_TRUE(list.ok());
  for (const auto& e : *list) EXPECT_NE(e.cid, 22u);
}

TEST(Controller, AnEnclaveThatDiesEndsRunWithAnError) {
  auto o = options_for(23, "die: now\n");
  Controller controller(o);
  const auto t0 = std::chrono::steady_clock::now();
  auto st = controller.run();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("is gone"), std::string::npos) << st.error().message;
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(15));
}

TEST(Controller, NitroCliErrorsAreReportedWithTheirCode) {
  ::setenv("CC_FAKE_NITRO_FAIL", "[ E26 ] Insufficient memory requested", 1);
  auto o = options_for(24, "network: hoodi\n");
  auto st = Controller(o).run();
  ::unsetenv("CC_FAKE_NITRO_FAIL");
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("run-enclave failed (exit 1): [ E26 ] Insufficient memory requested"),
            std::string::npos)
      << st.error().message;
  auto missing = NitroCli("/nonexistent/nitro-cli").describe_enclaves();
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("/nonexistent/nitro-cli"), std::string::npos) << missing.error().message;
}

TEST(Controller, StopCommandTerminatesTheRecordedEnclave) {
  auto o = options_for(25, "network: hoodi\n");
  Controller controller(o);
  auto run = std::async(std::launch::async, [&] { return controller.run(); });
  for (int i = 0; i < 100 && !std::filesystem::exists(o.enclave_id_file); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(stop_enclave(CC_FAKE_NITRO_CLI, o.enclave_id_file).ok());
  auto st = run.get();  // the watcher sees it gone
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("is gone"), std::string::npos) << st.error().message;
}

TEST(NitroCliOutput, ParsesRunAndDescribe) {
  auto one = parse_enclave_info(
      R"({"EnclaveName":"cc","EnclaveID":"i-abc-enc123","ProcessID":12345,"EnclaveCID":16,"NumberOfCPUs":2,"CPUIDs":[1,3],"MemoryMiB":1600})");
  ASSERT_TRUE(one.ok()) << one.error().message;
  EXPECT_EQ(one->id, "i-abc-enc123");
  EXPECT_EQ(one->cid, 16u);
  auto list = parse_enclave_list(R"([{"EnclaveID":"a","EnclaveCID":10,"State":"RUNNING"},{"EnclaveID":"b","EnclaveCID":11,"State":"TERMINATING"}])");
  ASSERT_TRUE(list.ok());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].state, "TERMINATING");
  EXPECT_NE(parse_enclave_info(R"({"EnclaveCID":1})").error().message.find("EnclaveID"), std::string::npos);
  EXPECT_NE(parse_enclave_list("{}").error().message.find("expected a JSON list"), std::string::npos);
  EXPECT_NE(parse_enclave_info("Error: E19").error().message.find("not JSON"), std::string::npos);
}

TEST(Ingress, MappingsParse) {
  auto m = parse_ingress("9443:9443,9000,3000:13000");
  ASSERT_TRUE(m.ok()) << m.error().message;
  EXPECT_EQ(*m, (std::vector<IngressMapping>{{9443, 9443}, {9000, 9000}, {3000, 13000}}));
  EXPECT_NE(parse_ingress("9443:x").error().message.find("ingress '9443:x'"), std::string::npos);
  EXPECT_NE(parse_ingress("70000").error().message.find("not a port"), std::string::npos);
  EXPECT_NE(parse_ingress("9000,9000:1").error().message.find("listed twice"), std::string::npos);
}

}  // namespace
}  // namespace cc::controller
