#include "slashing/sqlite_handle.hpp"

#include <cstring>

namespace cc::slashing {

SqliteConnection::SqliteConnection(const std::string& path) {
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    const std::string msg = db_ != nullptr ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(path + ": " + msg, rc);
  }
  sqlite3_extended_result_codes(db_, 1);
}

SqliteConnection::~SqliteConnection() {
  if (db_ != nullptr) sqlite3_close_v2(db_);
}

namespace {

// "<message>", plus the OS error behind an I/O failure ("disk I/O error (File too large)").
std::string describe(sqlite3* db, const std::string& message, int code) {
  std::string out = message;
  const int os_error = sqlite3_system_errno(db);
  const int primary = code & 0xff;
  if (os_error != 0 && (primary == SQLITE_IOERR || primary == SQLITE_FULL || primary == SQLITE_CANTOPEN)) {
    out += std::string(" (") + std::strerror(os_error) + ")";
  }
  return out;
}

// The start of a statement, enough to recognise it in an error message.
std::string head(const std::string& sql) {
  const auto begin = sql.find_first_not_of(" \n");
  std::string out = begin == std::string::npos ? sql : sql.substr(begin);
  for (auto& c : out) {
    if (c == '\n') c = ' ';
  }
  return out.size() > 72 ? out.substr(0, 72) + "..." : out;
}

}  // namespace

void SqliteConnection::fail(const std::string& context, int code) const {
  throw SqliteError(context + ": " + describe(db_, sqlite3_errmsg(db_), code), code);
}

void SqliteConnection::exec(const char* sql) {
  char* err = nullptr;
  const int rc = sqlite3_exec(db_, sql, nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    const std::string msg = err != nullptr ? err : sqlite3_errstr(rc);
    sqlite3_free(err);
    throw SqliteError(head(sql) + ": " + describe(db_, msg, rc), rc);
  }
}

std::string SqliteConnection::pragma_text(const char* sql) {
  Statement s(*this, sql);
  auto r = s.run();
  return r.next() ? r.text(0) : std::string();
}

void SqliteConnection::rollback_quietly() noexcept {
  if (db_ != nullptr && in_transaction()) sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
}

Statement::Statement(SqliteConnection& db, const char* sql) : db_(db), sql_(head(sql)) {
  const int rc = sqlite3_prepare_v3(db_.get(), sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr);
  if (rc != SQLITE_OK) db_.fail("prepare " + sql_, rc);
}

Statement::~Statement() { sqlite3_finalize(stmt_); }

Statement::Run::Run(Statement& s) : s_(s) {}

Statement::Run::~Run() {
  sqlite3_reset(s_.stmt_);
  sqlite3_clear_bindings(s_.stmt_);
}

Statement::Run& Statement::Run::bind(int index, std::uint64_t v) {
  if (v > kMaxSlotOrEpoch) throw SqliteError("value out of range for " + s_.sql_, SQLITE_RANGE);
  const int rc = sqlite3_bind_int64(s_.stmt_, index, static_cast<sqlite3_int64>(v));
  if (rc != SQLITE_OK) s_.db_.fail("bind " + s_.sql_, rc);
  return *this;
}

Statement::Run& Statement::Run::bind_int64(int index, std::int64_t v) {
  const int rc = sqlite3_bind_int64(s_.stmt_, index, v);
  if (rc != SQLITE_OK) s_.db_.fail("bind " + s_.sql_, rc);
  return *this;
}

Statement::Run& Statement::Run::bind(int index, std::optional<std::uint64_t> v) {
  if (v) return bind(index, *v);
  const int rc = sqlite3_bind_null(s_.stmt_, index);
  if (rc != SQLITE_OK) s_.db_.fail("bind " + s_.sql_, rc);
  return *this;
}

Statement::Run& Statement::Run::bind_bytes(int index, const std::uint8_t* data, std::size_t size) {
  const int rc = sqlite3_bind_blob(s_.stmt_, index, data, static_cast<int>(size), SQLITE_TRANSIENT);
  if (rc != SQLITE_OK) s_.db_.fail("bind " + s_.sql_, rc);
  return *this;
}

Statement::Run& Statement::Run::bind(int index, const RecordedRoot& v) {
  if (v) return bind(index, *v);
  const int rc = sqlite3_bind_null(s_.stmt_, index);
  if (rc != SQLITE_OK) s_.db_.fail("bind " + s_.sql_, rc);
  return *this;
}

bool Statement::Run::next() {
  const int rc = sqlite3_step(s_.stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  s_.db_.fail(s_.sql_, rc);
}

void Statement::Run::done() {
  if (next()) throw SqliteError("unexpected row from " + s_.sql_, SQLITE_MISUSE);
}

std::uint64_t Statement::Run::u64(int column) const {
  const sqlite3_int64 v = sqlite3_column_int64(s_.stmt_, column);
  if (v < 0) throw SqliteError("corrupt database: negative value from " + s_.sql_, SQLITE_CORRUPT);
  return static_cast<std::uint64_t>(v);
}

std::optional<std::uint64_t> Statement::Run::optional_u64(int column) const {
  if (sqlite3_column_type(s_.stmt_, column) == SQLITE_NULL) return std::nullopt;
  return u64(column);
}

std::string Statement::Run::text(int column) const {
  const auto* t = sqlite3_column_text(s_.stmt_, column);
  return t != nullptr ? std::string(reinterpret_cast<const char*>(t)) : std::string();
}

RecordedRoot Statement::Run::root(int column) const {
  if (sqlite3_column_type(s_.stmt_, column) == SQLITE_NULL) return std::nullopt;
  Root r{};
  copy_blob(column, r.data(), r.size());
  return r;
}

void Statement::Run::copy_blob(int column, std::uint8_t* out, std::size_t size) const {
  const void* blob = sqlite3_column_blob(s_.stmt_, column);
  const int n = sqlite3_column_bytes(s_.stmt_, column);
  if (blob == nullptr || n < 0 || static_cast<std::size_t>(n) != size) {
    throw SqliteError("corrupt database: blob of " + std::to_string(n) + " bytes (expected " + std::to_string(size) +
                          ") from " + s_.sql_,
                      SQLITE_CORRUPT);
  }
  std::memcpy(out, blob, size);
}

}  // namespace cc::slashing
