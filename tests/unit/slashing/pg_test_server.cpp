#include "pg_test_server.hpp"

#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <stdexcept>

namespace cc::slashing::test {

namespace {

constexpr auto kTestTimeout = std::chrono::seconds(30);

std::vector<PgQuery> queries_of(const std::vector<std::string>& statements) {
  std::vector<PgQuery> q;
  for (const auto& s : statements) q.push_back({s, {}});
  return q;
}

}  // namespace

std::optional<std::string> pg_server_conninfo() {
  if (const char* direct = std::getenv("CC_PG_CONNINFO"); direct != nullptr && *direct != '\0') return direct;
  std::string file;
  if (const char* f = std::getenv("CC_PG_CONNINFO_FILE"); f != nullptr && *f != '\0') {
    file = f;
  } else if (const char* servers = std::getenv("CC_TEST_SERVERS"); servers != nullptr && *servers != '\0') {
    file = std::string(servers) + "/pg/conninfo";  // the test_servers fixture (tests/CMakeLists.txt)
  } else {
    return std::nullopt;
  }
  std::ifstream in(file);
  std::string line;
  if (!in || !std::getline(in, line) || line.empty()) {
    throw std::runtime_error(file + " holds no conninfo: did the test_servers fixture (scripts/pg-test-server.sh) fail?");
  }
  return line;
}

std::vector<PgResult> pg_exec(const std::string& conninfo, const std::vector<std::string>& statements) {
  PgSession session(conninfo);
  return session.exec(statements);
}

std::string pg_scalar(const std::string& conninfo, const std::string& sql) {
  auto r = pg_exec(conninfo, {sql});
  if (r[0].rows() == 0 || r[0].null(0, 0)) return "";
  return std::string(r[0].text(0, 0));
}

std::map<std::string, std::string> conninfo_fields(const std::string& conninfo) {
  std::map<std::string, std::string> out;
  std::istringstream in(conninfo);
  std::string field;
  while (in >> field) {
    const auto eq = field.find('=');
    if (eq != std::string::npos) out[field.substr(0, eq)] = field.substr(eq + 1);
  }
  return out;
}

PgSession::PgSession(const std::string& conninfo) {
  auto c = PgConnection::connect(conninfo, {std::chrono::milliseconds(30000)}, PgClock::now() + kTestTimeout);
  if (!c) throw std::runtime_error(c.error().message);
  conn_ = std::move(*c);
}

std::vector<PgResult> PgSession::exec(const std::vector<std::string>& statements) {
  auto r = conn_->run(queries_of(statements), PgClock::now() + kTestTimeout);
  if (!r) throw std::runtime_error(r.error().message);
  return std::move(*r);
}

PgTestDatabase::PgTestDatabase(std::string server_conninfo) : server_(std::move(server_conninfo)) {
  std::random_device rd;
  std::ostringstream name;
  name << "test_" << std::hex << rd() << rd();
  name_ = name.str();
  // CREATE DATABASE cannot run inside a transaction block, hence one statement per round trip.
  pg_exec(server_, {"CREATE DATABASE " + name_});
  conninfo_ = server_ + " dbname=" + name_;
}

PgTestDatabase::~PgTestDatabase() {
  try {
    pg_exec(server_, {"DROP DATABASE IF EXISTS " + name_ + " WITH (FORCE)"});
  } catch (...) {
    // A test that stopped its server leaves its database behind with that server.
  }
}

}  // namespace cc::slashing::test
