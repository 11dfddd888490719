#pragma once
// Starts the real containment-chamber binary on a temporary directory with generated keystores
// and a SQLite database, and waits until it is healthy. Used by the integration tests.
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "../support/http_client.hpp"
#include "../support/process.hpp"

namespace cc::test {

std::string binary_path();
std::filesystem::path make_temp_dir(const std::string& tag);

// A TCP port on 127.0.0.1 that nothing listens on right now (for a process that must be given one).
std::uint16_t free_tcp_port();

class SignerInstance {
 public:
  // `dir` holds keys/ and data/; extra `args` are appended to `server`.
  SignerInstance(std::filesystem::path dir, std::vector<std::string> args = {}, std::vector<std::string> env = {});
  // Starts the server; returns false (with the log in `error`) if it did not start listening or,
  // with `wait_healthy`, did not become healthy.
  bool start(std::string& error, bool wait_healthy = true);
  std::uint16_t port() const { return port_; }
  Process& process() { return *process_; }
  HttpClient client() const { return HttpClient("127.0.0.1", port_); }
  // The metrics listener's port (start() asks for any free one), from the log; 0 if not logged.
  std::uint16_t metrics_port() const;
  std::filesystem::path dir() const { return dir_; }

 private:
  std::filesystem::path dir_;
  std::vector<std::string> args_;
  std::vector<std::string> env_;
  std::unique_ptr<Process> process_;
  std::uint16_t port_ = 0;
};

// A PostgreSQL server of a test's own in `dir` (scripts/pg-test-server.sh), e.g. for replicas
// sharing one database; a test may stop and start it again. Stopped when destroyed.
class PgServer {
 public:
  explicit PgServer(std::filesystem::path dir) : dir_(std::move(dir)) {}
  ~PgServer() { run("destroy"); }
  PgServer(const PgServer&) = delete;
  PgServer& operator=(const PgServer&) = delete;
  // "start", "stop" or "destroy"; false (the script's output on stderr) when it fails.
  bool run(const std::string& cmd);
  // The libpq conninfo of the running server.
  std::string conninfo() const;

 private:
  std::filesystem::path dir_;
};

// A DynamoDB-compatible server of the test's own (dynalite, scripts/dynamo-test-server.sh),
// stopped when this goes away (also when a test ends early).
class DynamoServer {
 public:
  explicit DynamoServer(std::filesystem::path dir) : dir_(std::move(dir)) {}
  ~DynamoServer() { stop(); }
  DynamoServer(const DynamoServer&) = delete;
  DynamoServer& operator=(const DynamoServer&) = delete;
  bool start();  // false when dynalite did not start
  void stop();
  const std::string& endpoint() const { return endpoint_; }  // http://127.0.0.1:PORT
  // dynalite accepts any signature; the signer still signs every request with these.
  static std::vector<std::string> env() { return {"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=test-secret"}; }

 private:
  std::filesystem::path dir_;
  std::string endpoint_;
  int pid_ = 0;  // kept in memory too: a test may remove the directory (and the pid file) first
};

// The port the server logged for `scheme` ("http" or "https"), waiting for the line; 0 if none.
std::uint16_t logged_port(Process& process, const std::string& scheme);

// Writes `count` keystores (insecure fast KDF) into dir/keys and returns their public keys (0x hex).
std::vector<std::string> generate_keys(const std::filesystem::path& dir, int count);

}  // namespace cc::test
