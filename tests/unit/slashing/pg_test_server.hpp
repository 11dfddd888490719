#pragma once
// The PostgreSQL server of the tests: started once per ctest run by the fixture test_servers
// (scripts/pg-test-server.sh, see CMakeLists.txt), found through $CC_PG_CONNINFO (a conninfo)
// or $CC_PG_CONNINFO_FILE (a file holding one). Each test works in its own database.
#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "slashing/postgres_connection.hpp"

namespace cc::slashing::test {

// The server's conninfo, or nullopt when no server is configured (the binary was started
// outside ctest): PostgreSQL tests then skip, saying how to provide one.
std::optional<std::string> pg_server_conninfo();
inline constexpr const char* kNoPgServer =
    "no PostgreSQL test server: run under ctest (fixture test_servers), or set CC_PG_CONNINFO "
    "(scripts/pg-test-server.sh start DIR writes DIR/conninfo)";

// Runs statements on `conninfo` in one round trip; throws std::runtime_error on failure.
std::vector<PgResult> pg_exec(const std::string& conninfo, const std::vector<std::string>& statements);
// The first column of the first row of `sql`, as text ("" when NULL or no row).
std::string pg_scalar(const std::string& conninfo, const std::string& sql);

// key=value pairs of a key-value conninfo (no quoting: the test server's own conninfo).
std::map<std::string, std::string> conninfo_fields(const std::string& conninfo);

// A fresh database test_<random> on a server, dropped (with its connections) at destruction.
class PgTestDatabase {
 public:
  explicit PgTestDatabase(std::string server_conninfo);
  ~PgTestDatabase();
  PgTestDatabase(const PgTestDatabase&) = delete;
  PgTestDatabase& operator=(const PgTestDatabase&) = delete;

  const std::string& name() const { return name_; }
  const std::string& conninfo() const { return conninfo_; }  // the server's, with dbname=name()

 private:
  std::string server_;
  std::string name_;
  std::string conninfo_;
};

// A PostgreSQL connection that stays open (for holding locks or a transaction across steps).
class PgSession {
 public:
  explicit PgSession(const std::string& conninfo);
  std::vector<PgResult> exec(const std::vector<std::string>& statements);

 private:
  std::unique_ptr<PgConnection> conn_;
};

}  // namespace cc::slashing::test
