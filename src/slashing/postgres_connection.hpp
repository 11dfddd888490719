#pragma once
// PgConnection: one libpq connection whose every call ends by a deadline. The socket is
// non-blocking and every wait is a poll() bounded by the deadline, so a dead network, a stopped
// server or a lock held elsewhere costs at most the caller's time budget, never a hang. Queries
// go out in libpq pipeline mode: a list of statements costs one network round trip, and they run
// on the server in order (a failing one aborts the rest of the list).
//
// After any failure (timeout, lost connection, SQL error) the connection is closed at once: the
// server then rolls back whatever transaction was open, and the owner reconnects later. So a
// caller never has to clean up a half-finished transaction.
//
// Not thread-safe: one thread uses a connection at a time. Internal to the PostgreSQL store.
#include <libpq-fe.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "slashing/rules.hpp"

namespace cc::slashing {

using PgClock = std::chrono::steady_clock;
using PgDeadline = PgClock::time_point;

// A statement and its parameters in libpq text format (nullopt: SQL NULL). Build array
// parameters with PgArray. A `prepared` statement is parsed once per connection (in the same
// pipeline as its first use) and then executed by name, so the server stops parsing and
// planning it for every batch: for the signing path's fixed statements.
struct PgQuery {
  std::string sql;
  std::vector<std::optional<std::string>> params;
  bool prepared = false;
};

// A PostgreSQL array literal ("{1,NULL,\"\\\\xab\"}") for a text-format parameter.
class PgArray {
 public:
  PgArray& add(std::uint64_t v);
  PgArray& add(std::optional<std::uint64_t> v);
  PgArray& add(std::span<const std::uint8_t> bytes);  // a bytea element
  PgArray& add(const RecordedRoot& root);             // bytea, or NULL for the null marker
  PgArray& add_null();
  std::string str() const { return "{" + body_ + "}"; }
  bool empty() const { return body_.empty(); }

 private:
  void sep();
  std::string body_;
};

// For the current transaction only, raises statement_timeout and idle_in_transaction_session_timeout
// from the session's db_timeout to the time left until `deadline` (imports, exports, pruning: long
// operator commands, not the signing path).
PgQuery pg_local_timeout(PgDeadline deadline);

// A bytea parameter ("\\x…").
std::string pg_bytea(std::span<const std::uint8_t> bytes);

// One statement's rows, read in text format. Accessors throw std::runtime_error on a value that
// does not parse (a corrupt or foreign database), which the store turns into unavailable.
class PgResult {
 public:
  explicit PgResult(PGresult* r) : r_(r, &PQclear) {}
  int rows() const { return PQntuples(r_.get()); }
  bool null(int row, int col) const { return PQgetisnull(r_.get(), row, col) != 0; }
  std::string_view text(int row, int col) const;
  std::uint64_t u64(int row, int col) const;
  std::optional<std::uint64_t> optional_u64(int row, int col) const;
  RecordedRoot root(int row, int col) const;  // bytea(32) or NULL
  template <std::size_t N>
  Bytes<N> bytes(int row, int col) const {
    const auto v = bytea(row, col);
    if (v.size() != N)
      throw std::runtime_error("column " + std::to_string(col) + ": expected " + std::to_string(N) + " bytes");
    Bytes<N> out{};
    std::copy(v.begin(), v.end(), out.begin());
    return out;
  }
  ByteVector bytea(int row, int col) const;

 private:
  std::unique_ptr<PGresult, void (*)(PGresult*)> r_;
};

// Session settings applied to every new connection.
struct PgSessionSettings {
  std::chrono::milliseconds statement_timeout{2000};  // also lock waits; also idle in a transaction
  // Shared by the connections of one store. Set (for good) when the server loses or duplicates
  // one of our prepared statements, which is what a connection pooler in transaction mode (e.g.
  // PgBouncer before 1.21) does: every statement is then sent unprepared.
  std::shared_ptr<std::atomic<bool>> unprepared_only{};
};

class PgConnection {
 public:
  // Connects (conninfo: libpq key-value string or postgresql:// URL) and applies `settings`,
  // by `deadline`. Errors are unavailable and name the server (never the password).
  static Result<std::unique_ptr<PgConnection>> connect(const std::string& conninfo, const PgSessionSettings& settings,
                                                       PgDeadline deadline);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // Sends every query in one pipeline and returns their results in order, or the first error
  // (after which the connection is closed: connected() is false).
  Result<std::vector<PgResult>> run(const std::vector<PgQuery>& queries, PgDeadline deadline);
  Result<PgResult> run(const PgQuery& query, PgDeadline deadline);

  bool connected() const { return conn_ != nullptr; }
  // Closes the connection (the server rolls back an open transaction).
  void disconnect() { close(); }
  // "postgresql 127.0.0.1:5432/slashing" for messages.
  const std::string& name() const { return name_; }

 private:
  PgConnection(PGconn* conn, std::string name, std::shared_ptr<std::atomic<bool>> unprepared_only)
      : conn_(conn), name_(std::move(name)), unprepared_only_(std::move(unprepared_only)) {}
  bool may_prepare() const { return !unprepared_only_ || !unprepared_only_->load(std::memory_order_relaxed); }
  Status wait_socket(short events, PgDeadline deadline, const char* doing);
  Status flush(PgDeadline deadline);
  Result<PGresult*> next_result(PgDeadline deadline);
  Error fail(const std::string& what);
  void close();

  PGconn* conn_;
  std::string name_;
  std::shared_ptr<std::atomic<bool>> unprepared_only_;
  std::unordered_map<std::string, std::string> statement_names_;  // SQL -> name, prepared on this connection
};

// "postgresql HOST:PORT/DBNAME" from a conninfo, for messages (no password); invalid_argument
// with libpq's reason when the conninfo does not parse.
Result<std::string> pg_server_name(const std::string& conninfo);

}  // namespace cc::slashing
