#pragma once
// A stand-in for an AWS endpoint in tests: an HTTP/1.1 server (optionally TLS) on 127.0.0.1 and
// an ephemeral port, answering each request with a handler the test gives. It runs on its own
// thread, keeps connections alive, and records every request and how many connections it accepted.
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "aws/transport.hpp"

namespace cc::aws::test {

struct StandInRequest {
  std::string method;
  std::string target;
  Headers headers;
  std::string body;
  std::size_t connection = 0;  // 1 for the first connection accepted, and so on

  // The value of a header (case-insensitive name); "" when absent.
  std::string header(std::string_view name) const;
};

struct StandInReply {
  unsigned status = 200;
  Headers headers;
  std::string body;
  std::chrono::milliseconds delay{0};  // wait this long before answering
  bool close_without_answer = false;   // read the request, then close the connection
  bool close_after_answer = false;     // answer (keep-alive), then close the connection

  static StandInReply json(unsigned status, std::string body);
  static StandInReply hang_up();
};

struct TlsFiles {
  std::string cert_file;  // empty: plain HTTP
  std::string key_file;
};

class StandInServer {
 public:
  using Handler = std::function<StandInReply(const StandInRequest&)>;

  explicit StandInServer(Handler handler, TlsFiles tls = {});
  ~StandInServer();
  StandInServer(const StandInServer&) = delete;
  StandInServer& operator=(const StandInServer&) = delete;

  std::uint16_t port() const;
  std::string url() const;                 // "http://127.0.0.1:<port>"
  std::size_t connections() const;         // accepted so far
  std::size_t closed_connections() const;  // closed by the server so far
  std::vector<StandInRequest> requests() const;

  struct State;  // the io_context, its thread and the log; defined in the .cpp

 private:
  std::unique_ptr<State> state_;
};

// A port on 127.0.0.1 that nothing listens on (connections are refused).
std::uint16_t closed_port();

}  // namespace cc::aws::test
