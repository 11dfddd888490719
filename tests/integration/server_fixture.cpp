#include "server_fixture.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fstream>
#include <iostream>
#include <random>
#include <sstream>
#include <thread>

namespace cc::test {

std::string binary_path() { return CC_BINARY; }

std::filesystem::path make_temp_dir(const std::string& tag) {
  std::random_device rd;
  auto dir = std::filesystem::temp_directory_path() / ("cc-" + tag + "-" + std::to_string(rd()));
  std::filesystem::create_directories(dir);
  return dir;
}

std::vector<std::string> generate_keys(const std::filesystem::path& dir, int count) {
  std::filesystem::create_directories(dir / "keys");
  auto [code, out] = run_command({binary_path(), "keys", "generate", "--count", std::to_string(count), "--out",
                                  (dir / "keys").string(), "--password", "integration-test-password",
                                  "--insecure-fast-kdf"});
  EXPECT_EQ(code, 0) << out;
  std::vector<std::string> keys;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0x", 0) == 0 && line.size() == 98) keys.push_back(line);
  }
  return keys;
}

std::uint16_t SignerInstance::metrics_port() const {
  const std::string needle = "metrics listening on http://";
  if (!process_ || !process_->wait_for_log(needle, std::chrono::seconds(30))) return 0;
  const auto text = process_->log();
  const auto pos = text.find(needle);
  return static_cast<std::uint16_t>(std::stoi(text.substr(text.find(':', pos + needle.size()) + 1)));
}

std::uint16_t logged_port(Process& process, const std::string& scheme) {
  const std::string needle = "listening on " + scheme + "://";
  if (!process.wait_for_log(needle, std::chrono::seconds(30))) return 0;
  const auto text = process.log();
  const auto pos = text.find(needle);
  return static_cast<std::uint16_t>(std::stoi(text.substr(text.find(':', pos + needle.size()) + 1)));
}

std::uint16_t free_tcp_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
  socklen_t len = sizeof a;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  ::close(fd);
  return ntohs(a.sin_port);
}

bool PgServer::run(const std::string& cmd) {
  auto [code, out] = run_command({std::string(CC_SOURCE_DIR) + "/scripts/pg-test-server.sh", cmd, dir_.string()});
  if (code != 0) std::cerr << out;
  return code == 0;
}

std::string PgServer::conninfo() const {
  std::ifstream in(dir_ / "conninfo");
  std::string line;
  std::getline(in, line);
  return line;
}

SignerInstance::SignerInstance(std::filesystem::path dir, std::vector<std::string> args, std::vector<std::string> env)
    : dir_(std::move(dir)), args_(std::move(args)), env_(std::move(env)) {}

bool SignerInstance::start(std::string& error, bool wait_healthy) {
  std::vector<std::string> argv = {binary_path(), "server", "--server-listen-address", "127.0.0.1",
                                   "--server-listen-port", "0",
                                   // parallel tests each get a metrics port of their own (metrics_port())
                                   "--metrics-listen-address", "127.0.0.1", "--metrics-listen-port", "0",
                                   "--key-sources-filesystem-paths", (dir_ / "keys").string(),
                                   "--anti-slashing-path", (dir_ / "data" / "slashing.sqlite").string()};
  // Each instance keeps its signer state (runtime tokens) beside its database unless told otherwise.
  if (std::find(args_.begin(), args_.end(), "--signer-state-path") == args_.end()) {
    argv.insert(argv.end(), {"--signer-state-path", (dir_ / "data" / "state").string()});
  }
  argv.insert(argv.end(), args_.begin(), args_.end());
  process_.reset();
  std::filesystem::create_directories(dir_ / "keys");
  static std::atomic<int> instances{0};
  const auto log = (dir_ / ("server-" + std::to_string(instances++) + ".log")).string();
  process_ = std::make_unique<Process>(argv, env_, log);
  port_ = logged_port(*process_, "http");
  if (port_ == 0) {
    error = "server did not start:\n" + process_->log();
    return false;
  }
  if (!wait_healthy) return true;
  auto http = client();
  for (int i = 0; i < 600; ++i) {
    if (http.get("/healthcheck").status == 200) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  error = "server did not become healthy:\n" + process_->log();
  return false;
}

namespace {
std::string dynamo_script() { return std::string(CC_SOURCE_DIR) + "/scripts/dynamo-test-server.sh"; }
}  // namespace

bool DynamoServer::start() {
  auto [code, out] = run_command({dynamo_script(), "start", dir_.string()});
  if (code != 0) {
    std::cerr << "dynamo-test-server.sh start: " << out << "\n";
    return false;
  }
  endpoint_ = out.substr(0, out.find('\n'));
  std::ifstream pid(dir_ / "pid");
  pid >> pid_;
  return true;
}

void DynamoServer::stop() {
  if (pid_ <= 0) return;
  run_command({dynamo_script(), "stop", dir_.string()});
  if (::kill(pid_, 0) == 0) ::kill(pid_, SIGTERM);  // the pid file was gone: stop it by its pid
  pid_ = 0;
}

}  // namespace cc::test
