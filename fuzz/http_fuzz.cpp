// The HTTP/1.1 server as clients reach it: the input is sent as raw bytes over a real socket to
// the project's HttpServer (the limits of production: 1 MiB bodies), then the write side is
// closed. The server must answer or close, never crash or keep the connection hanging.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/io_context.hpp>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <thread>

#include "api/http_server.hpp"

namespace {

struct Server {
  boost::asio::io_context io;
  std::unique_ptr<cc::api::HttpServer> http;
  std::thread thread;
  Server() {
    std::signal(SIGPIPE, SIG_IGN);
    cc::api::HttpServerOptions o;
    o.address = "127.0.0.1";
    o.port = 0;
    o.idle_timeout = std::chrono::seconds(5);
    http = std::make_unique<cc::api::HttpServer>(io, o, [](cc::api::HttpRequest&& req, cc::api::Respond respond) {
      respond(cc::api::json_response(200, "{\"bytes\":" + std::to_string(req.body().size()) + "}", req.version(),
                                     req.keep_alive()));
    });
    http->start();
    thread = std::thread([this] { io.run(); });
  }
};

Server& server() {
  static auto* s = new Server;  // lives for the whole run
  return *s;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto& s = server();
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(s.http->port());
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) != 0) std::abort();
  timeval tv{10, 0};  // far above the server's own limits: reaching it means a hung connection
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  for (std::size_t sent = 0; sent < size;) {
    const auto n = ::send(fd, data + sent, size - sent, MSG_NOSIGNAL);
    if (n <= 0) break;  // the server closed on a bad request: fine
    sent += static_cast<std::size_t>(n);
  }
  ::shutdown(fd, SHUT_WR);
  char buffer[4096];
  for (;;) {
    const auto n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n == 0) break;
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        std::fprintf(stderr, "http_fuzz: the server kept the connection open 10 s after the client finished\n");
        std::abort();
      }
      break;  // reset: the server gave up on the input
    }
  }
  ::close(fd);
  return 0;
}
