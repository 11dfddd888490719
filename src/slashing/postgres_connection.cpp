#include "slashing/postgres_connection.hpp"
#include "slashing/postgres_store.hpp"

#include <poll.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cstring>

namespace cc::slashing {

namespace {

// libpq's messages end with a newline and continue on tab-indented lines: one line for logs.
std::string trimmed(const char* s) {
  std::string out;
  for (const char* p = s != nullptr ? s : ""; *p != '\0'; ++p) {
    if (*p == '\n' || *p == '\t') {
      if (!out.empty() && out.back() != ' ') out += ' ';
    } else {
      out += *p;
    }
  }
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string hex_digits(std::span<const std::uint8_t> bytes) {
  return to_hex(bytes).substr(2);
}

}  // namespace

// ---- parameters and results ---------------------------------------------------------------

void PgArray::sep() {
  if (!body_.empty()) body_ += ',';
}

PgArray& PgArray::add(std::uint64_t v) {
  sep();
  body_ += std::to_string(v);
  return *this;
}

PgArray& PgArray::add(std::optional<std::uint64_t> v) {
  return v ? add(*v) : add_null();
}

PgArray& PgArray::add(std::span<const std::uint8_t> bytes) {
  sep();
  body_ += "\"\\\\x" + hex_digits(bytes) + "\"";  // quoted element "\\x…": the array parser unescapes one backslash
  return *this;
}

PgArray& PgArray::add(const RecordedRoot& root) {
  return root ? add(std::span<const std::uint8_t>(*root)) : add_null();
}

PgArray& PgArray::add_null() {
  sep();
  body_ += "NULL";
  return *this;
}

PgQuery pg_local_timeout(PgDeadline deadline) {
  const auto ms = std::chrono::ceil<std::chrono::milliseconds>(deadline - PgClock::now()).count();
  return {
      "SELECT set_config('statement_timeout', $1, true), set_config('idle_in_transaction_session_timeout', $1, true)",
      {std::to_string(ms > 1 ? ms : 1)}};
}

std::string pg_bytea(std::span<const std::uint8_t> bytes) {
  return "\\x" + hex_digits(bytes);
}

std::string_view PgResult::text(int row, int col) const {
  return {PQgetvalue(r_.get(), row, col), static_cast<std::size_t>(PQgetlength(r_.get(), row, col))};
}

std::uint64_t PgResult::u64(int row, int col) const {
  auto v = parse_uint64(text(row, col));
  if (!v) throw std::runtime_error("column " + std::to_string(col) + ": not an unsigned integer");
  return *v;
}

std::optional<std::uint64_t> PgResult::optional_u64(int row, int col) const {
  if (null(row, col)) return std::nullopt;
  return u64(row, col);
}

ByteVector PgResult::bytea(int row, int col) const {
  const auto t = text(row, col);
  if (t.substr(0, 2) != "\\x") throw std::runtime_error("column " + std::to_string(col) + ": not hex bytea");
  auto v = from_hex(t.substr(2));
  if (!v) throw std::runtime_error("column " + std::to_string(col) + ": " + v.error().message);
  return std::move(*v);
}

RecordedRoot PgResult::root(int row, int col) const {
  if (null(row, col)) return std::nullopt;
  return bytes<32>(row, col);
}

// ---- connection ---------------------------------------------------------------------------

Result<PgConninfoFields> pg_conninfo_fields(const std::string& conninfo) {
  char* err = nullptr;
  PQconninfoOption* options = PQconninfoParse(conninfo.c_str(), &err);
  if (options == nullptr) {
    const std::string reason = err != nullptr ? trimmed(err) : "out of memory";
    PQfreemem(err);
    return Error::invalid("invalid PostgreSQL connection string: " + reason);
  }
  PgConninfoFields f;
  for (auto* o = options; o->keyword != nullptr; ++o) {
    if (o->val == nullptr) continue;
    const std::string_view k = o->keyword;
    if (k == "host") f.host = o->val;
    if (k == "hostaddr") f.hostaddr = o->val;
    if (k == "port") f.port = o->val;
    if (k == "dbname") f.dbname = o->val;
    if (k == "user") f.user = o->val;
  }
  PQconninfoFree(options);
  return f;
}

Result<std::string> pg_server_name(const std::string& conninfo) {
  auto f = pg_conninfo_fields(conninfo);
  if (!f) return f.error();
  std::string where = f->host.empty() ? (f->hostaddr.empty() ? "localhost" : f->hostaddr) : f->host;
  if (!f->host.empty() && !f->hostaddr.empty()) where += " (" + f->hostaddr + ")";
  return "postgresql " + where + ":" + (f->port.empty() ? "5432" : f->port) + "/" + (f->dbname.empty() ? f->user : f->dbname);
}

Result<std::unique_ptr<PgConnection>> PgConnection::connect(const std::string& conninfo,
                                                            const PgSessionSettings& settings, PgDeadline deadline) {
  auto name = pg_server_name(conninfo);
  if (!name) return name.error();
  // Before "dbname" (the expanded conninfo), so the operator's own values win; our poll
  // deadline bounds the attempt anyway (libpq rounds connect_timeout up to 2 s).
  const auto budget = std::chrono::ceil<std::chrono::seconds>(deadline - PgClock::now()).count();
  const std::string connect_timeout = std::to_string(budget < 2 ? 2 : budget);
  const char* const keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* const values[] = {connect_timeout.c_str(), "containment-chamber", conninfo.c_str(), nullptr};
  PGconn* raw = PQconnectStartParams(keys, values, 1);
  if (raw == nullptr) return Error::unavailable(*name + ": cannot connect: out of memory");
  std::unique_ptr<PgConnection> conn(new PgConnection(raw, *name, settings.unprepared_only));
  if (PQstatus(raw) == CONNECTION_BAD) return conn->fail("cannot connect");
  // Server notices ("relation already exists, skipping") would go to stderr; errors are results.
  PQsetNoticeProcessor(
      raw, [](void*, const char*) {}, nullptr);
  // libpq's asynchronous connect: wait for whatever the last PQconnectPoll asked for.
  PostgresPollingStatusType step = PGRES_POLLING_WRITING;
  while (step != PGRES_POLLING_OK) {
    if (step == PGRES_POLLING_FAILED) return conn->fail("cannot connect");
    if (auto st = conn->wait_socket(step == PGRES_POLLING_READING ? POLLIN : POLLOUT, deadline, "connecting"); !st) {
      return st.error();
    }
    step = PQconnectPoll(raw);
  }
  if (PQsetnonblocking(raw, 1) != 0) return conn->fail("cannot make the connection non-blocking");

  // statement_timeout bounds lock waits on the server too; idle_in_transaction_session_timeout
  // frees our row locks if this client vanishes mid-transaction. A server configured with
  // synchronous_commit=off would acknowledge commits before they are durable: not for us.
  const std::string ms = std::to_string(settings.statement_timeout.count());
  auto setup = conn->run(
      {{"SELECT set_config('statement_timeout', $1, false), "
        "set_config('idle_in_transaction_session_timeout', $1, false), set_config('bytea_output', 'hex', false), "
        "set_config('plan_cache_mode', 'force_generic_plan', false)",
        {ms}},
       {"SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'",
        {}}},
      deadline);
  if (!setup) return setup.error();
  return conn;
}

PgConnection::~PgConnection() {
  close();
}

void PgConnection::close() {
  if (conn_ != nullptr) PQfinish(conn_);
  conn_ = nullptr;
  statement_names_.clear();
}

Error PgConnection::fail(const std::string& what) {
  std::string message = name_ + ": " + what;
  if (conn_ != nullptr) {
    const auto reason = trimmed(PQerrorMessage(conn_));
    if (!reason.empty()) message += ": " + reason;
  }
  close();
  return Error::unavailable(message);
}

Status PgConnection::wait_socket(short events, PgDeadline deadline, const char* doing) {
  const int fd = PQsocket(conn_);
  if (fd < 0) return fail(std::string("no socket while ") + doing);
  for (;;) {
    const auto left = std::chrono::ceil<std::chrono::milliseconds>(deadline - PgClock::now()).count();
    if (left <= 0) {
      close();
      return Error::unavailable(name_ + ": no answer in time (" + doing + ")");
    }
    pollfd p{fd, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return {};  // ready, or an error condition libpq will report
    if (rc < 0 && errno != EINTR) return fail(std::string("poll failed: ") + std::strerror(errno));
  }
}

Status PgConnection::flush(PgDeadline deadline) {
  for (;;) {
    const int rc = PQflush(conn_);
    if (rc == 0) return {};
    if (rc < 0) return fail("cannot send");
    // The server may be waiting for us to read before it reads more: accept input meanwhile.
    if (auto st = wait_socket(POLLIN | POLLOUT, deadline, "sending"); !st) return st;
    if (PQconsumeInput(conn_) == 0) return fail("connection lost");
  }
}

Result<PGresult*> PgConnection::next_result(PgDeadline deadline) {
  while (PQisBusy(conn_) != 0) {
    if (auto st = wait_socket(POLLIN, deadline, "waiting for the server"); !st) return st.error();
    if (PQconsumeInput(conn_) == 0) return fail("connection lost");
  }
  return PQgetResult(conn_);
}

Result<std::vector<PgResult>> PgConnection::run(const std::vector<PgQuery>& queries, PgDeadline deadline) {
  if (conn_ == nullptr) return Error::unavailable(name_ + ": not connected");
  if (PQstatus(conn_) != CONNECTION_OK) return fail("connection lost");
  if (PQenterPipelineMode(conn_) != 1) return fail("cannot enter pipeline mode");
  // Per query: whether its Parse goes out in this pipeline (its result comes first).
  std::vector<bool> parsing(queries.size(), false);
  const bool prepare = may_prepare();
  for (std::size_t i = 0; i < queries.size(); ++i) {
    const auto& q = queries[i];
    std::vector<const char*> values;
    values.reserve(q.params.size());
    for (const auto& p : q.params) values.push_back(p ? p->c_str() : nullptr);
    const int n = static_cast<int>(values.size());
    int sent = 0;
    if (q.prepared && prepare) {
      auto [it, fresh] = statement_names_.try_emplace(q.sql, "cc_" + std::to_string(statement_names_.size() + 1));
      if (fresh) {
        // Any failure below closes the connection, and its statements with it: the map never
        // names a statement the server does not have.
        if (PQsendPrepare(conn_, it->second.c_str(), q.sql.c_str(), n, nullptr) != 1) {
          return fail("cannot send a query");
        }
        parsing[i] = true;
      }
      sent = PQsendQueryPrepared(conn_, it->second.c_str(), n, values.data(), nullptr, nullptr, 0);
    } else {
      sent = PQsendQueryParams(conn_, q.sql.c_str(), n, nullptr, values.data(), nullptr, nullptr, 0);
    }
    if (sent != 1) return fail("cannot send a query");
  }
  if (PQpipelineSync(conn_) != 1) return fail("cannot send a query");
  if (auto st = flush(deadline); !st) return st.error();

  // One result (then the null result that ends it) per Parse and per statement.
  auto take = [&]() -> Result<PgResult> {
    auto first = next_result(deadline);
    if (!first) return first.error();
    if (*first == nullptr) return fail("the server sent no result");
    PgResult result(*first);
    const auto status = PQresultStatus(*first);
    if (status != PGRES_TUPLES_OK && status != PGRES_COMMAND_OK) {
      // The rest of the pipeline is aborted and the transaction with it: drop the connection,
      // which rolls everything back on the server.
      const char* state = PQresultErrorField(*first, PG_DIAG_SQLSTATE);
      const std::string sqlstate = state != nullptr ? state : "none";
      const std::string message = name_ + ": " + trimmed(PQresultErrorMessage(*first)) + " (SQLSTATE " + sqlstate + ")";
      // 26000: a statement we prepared is gone; 42P05: a name we chose is taken. Either way the
      // server session is not ours alone (a pooler in transaction mode): stop preparing.
      if ((sqlstate == "26000" || sqlstate == "42P05") && unprepared_only_ && !unprepared_only_->exchange(true)) {
        spdlog::warn("anti-slashing: {}: the server lost or shares our prepared statements (a connection pooler in "
                     "transaction mode?); statements are sent unprepared from now on",
                     name_);
      }
      close();
      return Error::unavailable(message);
    }
    for (;;) {  // a query's results end with a null result
      auto more = next_result(deadline);
      if (!more) return more.error();
      if (*more == nullptr) break;
      PQclear(*more);
    }
    return result;
  };
  std::vector<PgResult> out;
  out.reserve(queries.size());
  for (std::size_t i = 0; i < queries.size(); ++i) {
    if (parsing[i]) {
      if (auto parsed = take(); !parsed) return parsed.error();
    }
    auto result = take();
    if (!result) return result.error();
    out.push_back(std::move(*result));
  }
  auto sync = next_result(deadline);
  if (!sync) return sync.error();
  const bool synced = *sync != nullptr && PQresultStatus(*sync) == PGRES_PIPELINE_SYNC;
  PQclear(*sync);
  if (!synced || PQexitPipelineMode(conn_) != 1) return fail("pipeline out of step");
  return out;
}

Result<PgResult> PgConnection::run(const PgQuery& query, PgDeadline deadline) {
  auto results = run(std::vector<PgQuery>{query}, deadline);
  if (!results) return results.error();
  return std::move(results->front());
}

}  // namespace cc::slashing
