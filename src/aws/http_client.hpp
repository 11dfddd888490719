#pragma once
// HttpClient: HTTP/1.1 requests to one endpoint (http:// or https://) over a pool of keep-alive
// connections, with one deadline per exchange covering resolve, connect, TLS, write and read.
// No signing and no retries: HttpsTransport and the credential providers build those on top.
// Thread-safe: each exchange() checks a connection out of the pool, so many threads can send
// at once (each on its own connection); idle connections are reused newest first.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "aws/transport.hpp"
#include "core/result.hpp"

namespace cc::aws {

// "https://host:port/path?query", split. `target` is the path and query ("/" when absent).
struct Url {
  bool tls = true;
  std::string host;  // without brackets for IPv6
  std::string port;  // "443" or "80" when not given
  std::string target = "/";
  // "host" or "host:port" when the port is not the scheme's default: the Host header and
  // what SigV4 signs.
  std::string host_header() const;
  // The origin "https://host[:port]", for messages.
  std::string origin() const;
};

// Accepts http:// and https:// URLs; refuses user information and empty hosts, naming the URL.
Result<Url> parse_url(std::string_view text);

struct HttpClientOptions {
  Url url;
  std::string ca_file;  // empty: the system trust store
  std::size_t max_idle_connections = 16;
  std::chrono::seconds max_idle_time{30};  // older idle connections are closed, not reused
  std::size_t max_response_bytes = 32u << 20;
};

// What one exchange produced: an answer, or why none came and whether the request may have
// reached the server (then its effect is unknown).
struct HttpExchange {
  std::optional<AwsResponse> response;
  bool maybe_delivered = false;
  std::string failure;  // "connect: Connection refused", "timed out after 2000 ms waiting for the answer"
};

class HttpClient {
 public:
  // Throws std::runtime_error when the TLS context cannot be set up (unreadable CA file).
  explicit HttpClient(HttpClientOptions options);
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends request.method to request.path[?request.query] with the headers as given (Host is
  // added when absent, Content-Length always). Gives up at `timeout` after the call.
  HttpExchange exchange(const AwsRequest& request, std::chrono::milliseconds timeout);

  const Url& url() const { return options_.url; }
  // Connections opened so far (a pool that works opens few).
  std::uint64_t connections_opened() const { return opened_.load(); }

 private:
  struct Connection;
  std::unique_ptr<Connection> checkout();
  void checkin(std::unique_ptr<Connection> connection);

  HttpClientOptions options_;
  struct TlsContext;
  std::unique_ptr<TlsContext> tls_;
  std::mutex mutex_;
  std::vector<std::unique_ptr<Connection>> idle_;
  std::atomic<std::uint64_t> opened_{0};
};

}  // namespace cc::aws
