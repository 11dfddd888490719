// Egress entries: the rules of the list, the hosts file, lookups.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tee/egress.hpp"

namespace cc::tee {
namespace {

std::vector<EgressEndpoint> good() {
  return {{"kms.us-east-1.amazonaws.com", 443, "127.0.0.2", 8000},
          {"dynamodb.us-east-1.amazonaws.com", 443, "127.0.0.3", 8001},
          {"db.cluster-x.us-east-1.rds.amazonaws.com", 5432, "127.0.1.4", 8002}};
}

std::string error_of(const std::vector<EgressEndpoint>& e) {
  auto st = validate_egress(e);
  return st.ok() ? "" : st.error().message;
}

TEST(Egress, AWellFormedListPasses) {
  EXPECT_EQ(error_of(good()), "");
  EXPECT_EQ(error_of({}), "") << "no egress at all is allowed (nothing outside is needed)";
}

TEST(Egress, EachRuleIsNamedWithTheEntry) {
  auto e = good();
  e[1].loopback = "10.0.0.2";
  EXPECT_NE(error_of(e).find("tee.nitro.egress.endpoints[1] (dynamodb.us-east-1.amazonaws.com): loopback '10.0.0.2' is "
                             "not a usable address in 127.0.0.0/8"),
            std::string::npos)
      << error_of(e);
  e = good();
  e[2].loopback = "127.0.0.2";
  EXPECT_NE(error_of(e).find("endpoints[2]"), std::string::npos);
  EXPECT_NE(error_of(e).find("loopback 127.0.0.2 is used by another entry"), std::string::npos) << error_of(e);
  e = good();
  e[2].vsock_port = 8000;
  EXPECT_NE(error_of(e).find("vsock_port 8000 is used by another entry"), std::string::npos) << error_of(e);
  e = good();
  e[1].hostname = "KMS.us-east-1.amazonaws.com";
  EXPECT_NE(error_of(e).find("is listed twice"), std::string::npos) << "hostnames compare case-insensitively";
  e = good();
  e[0].hostname = "kms..amazonaws.com";
  EXPECT_NE(error_of(e).find("is not a DNS name"), std::string::npos);
  e[0].hostname = "-bad.example";
  EXPECT_NE(error_of(e).find("is not a DNS name"), std::string::npos);
  e = good();
  e[0].vsock_port = 0;
  EXPECT_NE(error_of(e).find("vsock_port must be set"), std::string::npos);
  e = good();
  e[0].port = 0;
  EXPECT_NE(error_of(e).find("port must be 1-65535"), std::string::npos);
  e = good();
  e[0].loopback = "127.0.0.0";
  EXPECT_NE(error_of(e).find("not a usable address"), std::string::npos) << "the network address";
  e[0].loopback = "127.255.255.255";
  EXPECT_NE(error_of(e).find("not a usable address"), std::string::npos) << "the broadcast address";
  e[0].loopback = "::1";
  EXPECT_NE(error_of(e).find("not an IPv4 address"), std::string::npos);
}

TEST(Egress, HostsFileMapsEachNameToItsLoopback) {
  const auto text = hosts_file_text(good());
  EXPECT_NE(text.find("127.0.0.1 localhost\n"), std::string::npos);
  EXPECT_NE(text.find("\n127.0.0.2 kms.us-east-1.amazonaws.com\n"), std::string::npos) << text;
  EXPECT_NE(text.find("\n127.0.1.4 db.cluster-x.us-east-1.rds.amazonaws.com\n"), std::string::npos) << text;

  const auto dir = std::filesystem::temp_directory_path() / ("cc-hosts-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  const auto path = dir / "hosts";
  { std::ofstream(path) << "old\n"; }
  ASSERT_TRUE(write_hosts_file(path, good()).ok());
  std::ifstream in(path);
  std::string written((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  EXPECT_EQ(written, text);
  struct stat st{};
  ASSERT_EQ(::stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0644u);
  auto bad = good();
  bad[0].loopback = "1.2.3.4";
  EXPECT_FALSE(write_hosts_file(path, bad).ok()) << "an invalid list is never written";
  std::ifstream again(path);
  std::string kept((std::istreambuf_iterator<char>(again)), std::istreambuf_iterator<char>());
  EXPECT_EQ(kept, text);
  std::filesystem::remove_all(dir);
}

TEST(Egress, FindByHostnameIgnoresCase) {
  const auto e = good();
  const auto* found = find_egress(e, "DynamoDB.us-east-1.amazonaws.com");
  ASSERT_NE(found, nullptr);
  EXPECT_EQ(found->loopback, "127.0.0.3");
  EXPECT_EQ(find_egress(e, "sts.amazonaws.com"), nullptr);
}

TEST(SocketAddressText, ParseAndPrintRoundTrip) {
  for (const char* text : {"127.0.0.2:443", "[::1]:9000", "vsock:3:8000", "vsock:any:5000", "localhost:5432"}) {
    auto a = SocketAddress::parse(text);
    ASSERT_TRUE(a.ok()) << text << ": " << a.error().message;
    EXPECT_EQ(a->to_string(), text);
  }
  EXPECT_EQ(SocketAddress::parse("vsock:any:5000")->cid, kVsockAnyCid);
  EXPECT_FALSE(SocketAddress::parse("vsock:3").ok());
  EXPECT_FALSE(SocketAddress::parse("vsock:x:1").ok());
  EXPECT_FALSE(SocketAddress::parse("host:70000").ok());
  EXPECT_NE(SocketAddress::parse("nohost").error().message.find("expected host:port"), std::string::npos);
}

}  // namespace
}  // namespace cc::tee
