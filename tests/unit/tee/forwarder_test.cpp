// Forwarders end to end over real sockets: TCP → TCP, and the enclave's whole egress path
// (TCP on a 127.0.0.x loopback → vsock → the parent's proxy → TCP service), with vsock emulated
// over Unix sockets because this kernel has no vsock loopback (tee/socket_address.hpp).
#include <gtest/gtest.h>
#include <stdlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <filesystem>
#include <future>
#include <random>

#include "pipe_peers.hpp"
#include "tee/egress.hpp"
#include "tee/forwarder.hpp"

namespace cc::tee {
namespace {

using test::exchange;
using test::ReplyService;

// Before anything reads it: this process is the parent (CID 3) for every vsock address.
const std::string kEmulationDir = [] {
  auto dir = std::filesystem::temp_directory_path() / ("cc-vsock-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  ::setenv("CC_VSOCK_EMULATION", (dir.string() + ":3").c_str(), 1);
  return dir.string();
}();

class ForwarderTest : public ::testing::Test {
 protected:
  void SetUp() override {
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  void TearDown() override {
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::vector<std::thread> threads_;
};

std::string big_payload(std::size_t n) {
  std::string s(n, '\0');
  std::mt19937 rng(7);
  for (auto& c : s) c = static_cast<char>(rng());
  return s;
}

TEST_F(ForwarderTest, TcpToTcpCarriesBothDirectionsAndPassesTheHalfCloseOn) {
  ReplyService service("127.0.0.1", "reply:");
  Forwarder f(io_, SocketAddress::tcp("127.0.0.1", 0), SocketAddress::tcp("127.0.0.1", service.port()));
  ASSERT_TRUE(f.start().ok());
  ASSERT_NE(f.tcp_port(), 0);
  const auto payload = big_payload(1 << 20);
  auto got = exchange("127.0.0.1", f.tcp_port(), payload);
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(*got, "reply:" + payload) << "every byte, both ways, in order";
  const auto s = f.stats();
  EXPECT_EQ(s.accepted, 1u);
  EXPECT_EQ(s.bytes_up, payload.size());
  EXPECT_EQ(s.bytes_down, payload.size() + 6);
}

TEST_F(ForwarderTest, EgressPathFromALoopbackThroughVsockToTheRealService) {
  ReplyService service("127.0.0.1", "db:");
  // The parent's proxy connects to the entry's hostname; "localhost" resolves here like a real name.
  const std::vector<EgressEndpoint> endpoints = {{"localhost", service.port(), "127.0.0.2", 7001}};
  auto parent = start_parent_proxies(io_, endpoints);
  ASSERT_TRUE(parent.ok()) << parent.error().message;
  auto enclave = start_egress_forwarders(io_, endpoints);
  ASSERT_TRUE(enclave.ok()) << enclave.error().message;
  EXPECT_TRUE(std::filesystem::exists(std::filesystem::path(kEmulationDir) / "3" / "7001"))
      << "the parent (CID 3) listens at vsock port 7001";

  std::vector<std::future<std::optional<std::string>>> clients;
  for (int i = 0; i < 40; ++i) {
    clients.push_back(std::async(std::launch::async, [&, i] {
      return exchange("127.0.0.2", service.port(), "query " + std::to_string(i) + big_payload(50'000));
    }));
  }
  for (int i = 0; i < 40; ++i) {
    auto got = clients[static_cast<std::size_t>(i)].get();
    ASSERT_TRUE(got.has_value());
    EXPECT_EQ(*got, "db:query " + std::to_string(i) + big_payload(50'000));
  }
  EXPECT_EQ(service.served(), 40);
  EXPECT_EQ((*enclave)[0]->stats().accepted, 40u);
  EXPECT_EQ((*parent)[0]->stats().accepted, 40u);
}

TEST_F(ForwarderTest, ATargetThatIsDownClosesTheClientAndIsCounted) {
  std::uint16_t dead_port = 0;
  {
    ReplyService gone("127.0.0.1", "");
    dead_port = gone.port();
  }
  Forwarder f(io_, SocketAddress::tcp("127.0.0.1", 0), SocketAddress::tcp("127.0.0.1", dead_port));
  ASSERT_TRUE(f.start().ok());
  auto got = exchange("127.0.0.1", f.tcp_port(), "hello");
  ASSERT_TRUE(got.has_value()) << "the client is accepted, then closed";
  EXPECT_EQ(*got, "");
  for (int i = 0; i < 100 && f.stats().connect_failures == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  EXPECT_EQ(f.stats().connect_failures, 1u);
}

TEST_F(ForwarderTest, AVsockTargetNobodyListensOnFailsFast) {
  Forwarder f(io_, SocketAddress::tcp("127.0.0.1", 0), SocketAddress::vsock(3, 7999));
  ASSERT_TRUE(f.start().ok());
  const auto t0 = std::chrono::steady_clock::now();
  auto got = exchange("127.0.0.1", f.tcp_port(), "hello");
  EXPECT_EQ(got.value_or("?"), "");
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(5));
}

TEST_F(ForwarderTest, ConnectionsBeyondTheLimitAreRefused) {
  ReplyService service("127.0.0.1", "");
  ForwarderOptions options;
  options.max_connections = 1;
  Forwarder f(io_, SocketAddress::tcp("127.0.0.1", 0), SocketAddress::tcp("127.0.0.1", service.port()), options);
  ASSERT_TRUE(f.start().ok());
  // The first connection stays open (no half-close yet).
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(f.tcp_port());
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(::connect(held, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  for (int i = 0; i < 100 && f.stats().active == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  auto refused = exchange("127.0.0.1", f.tcp_port(), "second");
  EXPECT_EQ(refused.value_or("?"), "");
  EXPECT_EQ(f.stats().refused, 1u);
  ::close(held);
}

TEST_F(ForwarderTest, StopClosesTheListenerAndOpenConnections) {
  ReplyService service("127.0.0.1", "");
  auto f = std::make_unique<Forwarder>(io_, SocketAddress::tcp("127.0.0.1", 0),
                                       SocketAddress::tcp("127.0.0.1", service.port()));
  ASSERT_TRUE(f->start().ok());
  const auto port = f->tcp_port();
  const int held = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  ::inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
  ASSERT_EQ(::connect(held, reinterpret_cast<sockaddr*>(&a), sizeof a), 0);
  for (int i = 0; i < 100 && f->stats().active == 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  f.reset();
  EXPECT_EQ(test::read_to_eof(held), "") << "the open connection was closed";
  ::close(held);
  EXPECT_FALSE(exchange("127.0.0.1", port, "x").has_value()) << "nobody listens any more";
}

TEST_F(ForwarderTest, ListeningTwiceOnOnePortIsANamedError) {
  Forwarder a(io_, SocketAddress::tcp("127.0.0.1", 0), SocketAddress::tcp("127.0.0.1", 1));
  ASSERT_TRUE(a.start().ok());
  Forwarder b(io_, SocketAddress::tcp("127.0.0.1", a.tcp_port()), SocketAddress::tcp("127.0.0.1", 1));
  auto st = b.start();
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("cannot listen on 127.0.0.1:" + std::to_string(a.tcp_port())), std::string::npos)
      << st.error().message;
}

}  // namespace
}  // namespace cc::tee
