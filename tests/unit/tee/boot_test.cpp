// The boot hand-off between controller and enclave, over (emulated) vsock: the package arrives
// whole, a refused configuration is reported to the controller with the enclave's reason, a
// controller that finds no enclave says so in time.
#include <gtest/gtest.h>

#include <future>

#include "tee/boot.hpp"

namespace cc::tee {
namespace {

TEST(BootPackage, EncodesAndDecodes) {
  BootPackage p;
  p.config_name = "/etc/cc/config.yaml";
  p.config_text = "network: hoodi\nserver: {listen_port: 9000}\n";
  p.environment = {{"CONTAINMENT_NETWORK", "mainnet"}, {"AWS_REGION", "eu-west-1"}};
  auto back = decode_boot_package(encode_boot_package(p));
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_EQ(back->config_name, p.config_name);
  EXPECT_EQ(back->config_text, p.config_text);
  EXPECT_EQ(back->environment, p.environment);
  EXPECT_TRUE(back->web_identity_token.empty());
  EXPECT_FALSE(back->token_only());

  BootPackage renewal;
  renewal.web_identity_token = "eyJhbGciOiJSUzI1NiJ9.payload.signature";
  auto token = decode_boot_package(encode_boot_package(renewal));
  ASSERT_TRUE(token.ok()) << token.error().message;
  EXPECT_EQ(token->web_identity_token, renewal.web_identity_token);
  EXPECT_TRUE(token->token_only());
  EXPECT_NE(decode_boot_package(R"({"version":1,"config":"","web_identity_token":7})").error().message.find(
                "'web_identity_token' must be a string"),
            std::string::npos);

  EXPECT_NE(decode_boot_package("[]").error().message.find("not a JSON object"), std::string::npos);
  EXPECT_NE(decode_boot_package(R"({"version":2,"config":""})").error().message.find("version 1"), std::string::npos);
  EXPECT_NE(decode_boot_package(R"({"version":1})").error().message.find("'config' must be a string"), std::string::npos);
  EXPECT_NE(decode_boot_package(R"({"version":1,"config":"","environment":{"A=B":"x"}})").error().message.find(
                "not an environment variable name"),
            std::string::npos);
  EXPECT_NE(decode_boot_package(R"({"version":1,"config":"","environment":{"A":1}})").error().message.find(
                "must be a string"),
            std::string::npos);
}

TEST(BootHandOff, ARefusedConfigurationIsReportedThenACorrectOneIsTaken) {
  // This process plays both sides; the enclave listens at an explicit CID so the emulation maps it.
  const auto enclave_address = SocketAddress::vsock(3, 9990);
  auto enclave = std::async(std::launch::async, [&] {
    return receive_boot_package(enclave_address, std::chrono::seconds(20), [](const BootPackage& p) -> Status {
      if (p.config_text.find("bad") != std::string::npos) return Error::invalid("c.yaml: unknown configuration key 'bad'");
      return {};
    });
  });
  BootPackage bad;
  bad.config_text = "bad: 1\n";
  auto refused = send_boot_package(enclave_address, bad, std::chrono::seconds(10));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(refused.error().message.find("the enclave refused its configuration: c.yaml: unknown configuration key 'bad'"),
            std::string::npos)
      << refused.error().message;
  BootPackage good;
  good.config_text = "network: hoodi\n";
  good.environment["AWS_REGION"] = "us-east-1";
  auto sent = send_boot_package(enclave_address, good, std::chrono::seconds(10));
  ASSERT_TRUE(sent.ok()) << sent.error().message;
  auto got = enclave.get();
  ASSERT_TRUE(got.ok()) << got.error().message;
  EXPECT_EQ(got->config_text, "network: hoodi\n");
  EXPECT_EQ(got->environment.at("AWS_REGION"), "us-east-1");
}

TEST(BootHandOff, TheControllerWaitsForABootingEnclave) {
  const auto enclave_address = SocketAddress::vsock(3, 9991);
  auto enclave = std::async(std::launch::async, [&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(700));  // still booting
    return receive_boot_package(enclave_address, std::chrono::seconds(20), [](const BootPackage&) { return Status{}; });
  });
  BootPackage p;
  p.config_text = "{}";
  EXPECT_TRUE(send_boot_package(enclave_address, p, std::chrono::seconds(10)).ok());
  EXPECT_TRUE(enclave.get().ok());
}

TEST(BootHandOff, NoEnclaveAndNoControllerBothTimeOutWithAMessage) {
  BootPackage p;
  auto sent = send_boot_package(SocketAddress::vsock(3, 9992), p, std::chrono::milliseconds(600));
  ASSERT_FALSE(sent.ok());
  EXPECT_NE(sent.error().message.find("did not accept a connection on vsock:3:9992"), std::string::npos)
      << sent.error().message;
  auto received = receive_boot_package(SocketAddress::vsock(3, 9993), std::chrono::milliseconds(300),
                                       [](const BootPackage&) { return Status{}; });
  ASSERT_FALSE(received.ok());
  EXPECT_NE(received.error().message.find("no configuration arrived"), std::string::npos) << received.error().message;
}

}  // namespace
}  // namespace cc::tee
