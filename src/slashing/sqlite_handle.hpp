#pragma once
// Thin RAII over the SQLite C API for the anti-slashing store: a connection, and prepared
// statements that are compiled once and reused (reset between runs). Failures throw
// SqliteError with SQLite's message; the store catches it at the edge of each transaction,
// rolls back, and turns it into an Error. Not thread-safe: the owner serialises all use.
#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "core/bytes.hpp"
#include "slashing/rules.hpp"

namespace cc::slashing {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(const std::string& what, int code) : std::runtime_error(what), code_(code) {}
  int code() const { return code_; }

 private:
  int code_;
};

class SqliteConnection {
 public:
  // Opens read-write, creating the file if needed. Throws SqliteError naming the path.
  explicit SqliteConnection(const std::string& path);
  ~SqliteConnection();
  SqliteConnection(const SqliteConnection&) = delete;
  SqliteConnection& operator=(const SqliteConnection&) = delete;

  sqlite3* get() const { return db_; }
  void exec(const char* sql);                // throws SqliteError
  std::string pragma_text(const char* sql);  // first column of the first row, "" if none
  bool in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }
  void rollback_quietly() noexcept;  // ends an open transaction, ignoring errors

  // "<context>: <sqlite message> (<code name>)"
  [[noreturn]] void fail(const std::string& context, int code) const;

 private:
  sqlite3* db_ = nullptr;
};

class Statement {
 public:
  Statement(SqliteConnection& db, const char* sql);  // prepares (persistent); throws on SQL errors
  ~Statement();
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;

  // One execution: bind, then step through rows; the statement is reset when the Run ends.
  class Run {
   public:
    explicit Run(Statement& s);
    ~Run();
    Run(const Run&) = delete;
    Run& operator=(const Run&) = delete;

    Run& bind(int index, std::uint64_t v);  // values above INT64_MAX are a programming error
    Run& bind(int index, std::optional<std::uint64_t> v);
    Run& bind_int64(int index, std::int64_t v);
    Run& bind_bytes(int index, const std::uint8_t* data, std::size_t size);
    Run& bind(int index, const Root& v) { return bind_bytes(index, v.data(), v.size()); }
    Run& bind(int index, const BlsPublicKey& v) { return bind_bytes(index, v.data(), v.size()); }
    Run& bind(int index, const RecordedRoot& v);

    bool next();  // true: a row is available
    void done();  // steps once, expecting no row (INSERT/UPDATE)

    std::int64_t int64(int column) const { return sqlite3_column_int64(s_.stmt_, column); }
    std::uint64_t u64(int column) const;
    std::optional<std::uint64_t> optional_u64(int column) const;
    std::string text(int column) const;
    RecordedRoot root(int column) const;  // NULL -> std::nullopt (the null marker)
    template <std::size_t N>
    Bytes<N> bytes(int column) const {
      Bytes<N> out{};
      copy_blob(column, out.data(), N);
      return out;
    }

   private:
    void copy_blob(int column, std::uint8_t* out, std::size_t size) const;
    Statement& s_;
  };

  Run run() { return Run(*this); }

 private:
  SqliteConnection& db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::string sql_;
};

}  // namespace cc::slashing
