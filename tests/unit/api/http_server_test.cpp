// HttpServer's connection lifetime: keep-alive connections idle (or sending a request) longer
// than idle_timeout are closed by the server's sweep; one answering a slow request is not.
#include "api/http_server.hpp"

#include <gtest/gtest.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <chrono>
#include <thread>
#include <vector>

namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// A server on a free loopback port, run by two I/O threads. `/slow` is answered 500 ms later
// from a thread of its own (as a signing thread would); anything else at once.
class ServerFixture {
 public:
  explicit ServerFixture(std::chrono::milliseconds idle_timeout) {
    cc::api::HttpServerOptions options;
    options.address = "127.0.0.1";
    options.port = 0;
    options.idle_timeout = idle_timeout;
    server_ = std::make_unique<cc::api::HttpServer>(
        io_, options, [this](cc::api::HttpRequest&& request, cc::api::Respond respond) {
          if (request.target() == "/slow") {
            std::lock_guard lock(mu_);
            slow_.emplace_back([respond = std::move(respond)] {
              std::this_thread::sleep_for(500ms);
              respond(cc::api::json_response(200, R"({"slow":true})"));
            });
            return;
          }
          respond(cc::api::json_response(200, R"({"ok":true})"));
        });
    server_->start();
    for (int i = 0; i < 2; ++i) threads_.emplace_back([this] { io_.run(); });
  }

  ~ServerFixture() {
    {
      std::lock_guard lock(mu_);
      for (auto& t : slow_) t.join();
    }
    server_->stop();
    work_.reset();
    io_.stop();
    for (auto& t : threads_) t.join();
  }

  std::uint16_t port() const { return server_->port(); }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_{io_.get_executor()};
  std::unique_ptr<cc::api::HttpServer> server_;
  std::vector<std::thread> threads_;
  std::mutex mu_;
  std::vector<std::thread> slow_;
};

struct Client {
  asio::io_context io;
  tcp::socket socket{io};
  beast::flat_buffer buffer;

  explicit Client(std::uint16_t port) { socket.connect({asio::ip::make_address("127.0.0.1"), port}); }

  http::response<http::string_body> get(const std::string& target) {
    http::request<http::string_body> request{http::verb::get, target, 11};
    request.set(http::field::host, "127.0.0.1");
    request.keep_alive(true);
    http::write(socket, request);
    http::response<http::string_body> response;
    http::read(socket, buffer, response);
    return response;
  }

  // Blocks until the server closes the connection (true) or `limit` passes (false).
  bool closed_by_server_within(std::chrono::milliseconds limit) {
    socket.non_blocking(false);
    timeval tv{};
    tv.tv_sec = static_cast<long>(limit.count() / 1000);
    tv.tv_usec = static_cast<long>((limit.count() % 1000) * 1000);
    ::setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    char byte = 0;
    const auto n = ::recv(socket.native_handle(), &byte, 1, 0);
    return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK);
  }
};

TEST(HttpServerIdle, KeepAliveConnectionIdleLongerThanTheTimeoutIsClosed) {
  ServerFixture server(200ms);
  Client client(server.port());
  EXPECT_EQ(client.get("/").result_int(), 200);
  const auto answered = Clock::now();
  ASSERT_TRUE(client.closed_by_server_within(3000ms)) << "an idle keep-alive connection must be closed";
  const auto waited = Clock::now() - answered;
  EXPECT_GE(waited, 150ms) << "closed before its idle timeout";
  EXPECT_LT(waited, 1500ms) << "closed long after its idle timeout";
}

TEST(HttpServerIdle, EachRequestStartsTheIdleClockAgain) {
  ServerFixture server(300ms);
  Client client(server.port());
  // Six requests 100 ms apart: 600 ms on one connection, never 300 ms idle.
  for (int i = 0; i < 6; ++i) {
    auto response = client.get("/");
    ASSERT_EQ(response.result_int(), 200) << "request " << i;
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_EQ(client.get("/").body(), R"({"ok":true})");
}

TEST(HttpServerIdle, ARequestSentTooSlowlyIsCutOff) {
  ServerFixture server(200ms);
  Client client(server.port());
  // Headers started and never finished (a slow-header client).
  asio::write(client.socket, asio::buffer(std::string_view("GET / HTTP/1.1\r\nHost: x\r\n")));
  const auto started = Clock::now();
  ASSERT_TRUE(client.closed_by_server_within(3000ms)) << "a request still arriving after the idle timeout must be cut off";
  EXPECT_LT(Clock::now() - started, 1500ms);
}

TEST(HttpServerIdle, ARequestAnsweredSlowerThanTheTimeoutIsNotCut) {
  ServerFixture server(200ms);
  Client client(server.port());
  auto response = client.get("/slow");  // answered after 500 ms, 2.5 idle timeouts
  EXPECT_EQ(response.result_int(), 200);
  EXPECT_EQ(response.body(), R"({"slow":true})");
  // And the connection is still usable right after it.
  EXPECT_EQ(client.get("/").result_int(), 200);
}

}  // namespace
