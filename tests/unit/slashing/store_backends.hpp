#pragma once
// The store tests run against every backend: a TestDatabase is one empty database of a backend
// (an SQLite file in a temporary directory, or a fresh PostgreSQL database on the test server)
// that can be opened, closed and reopened. Parameterise a suite on Backend and start each test
// with CC_REQUIRE_BACKEND(GetParam()).
#include <gtest/gtest.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../../support/dynamo_test_server.hpp"
#include "pg_test_server.hpp"
#include "slashing/dynamodb_store.hpp"
#include "slashing/postgres_store.hpp"
#include "store_fixture.hpp"

namespace cc::slashing::test {

enum class Backend { sqlite, postgres, dynamodb };

inline std::string backend_label(Backend b) {
  switch (b) {
    case Backend::sqlite:
      return "sqlite";
    case Backend::postgres:
      return "postgres";
    case Backend::dynamodb:
      break;
  }
  return "dynamodb";
}
inline std::string backend_param_name(const ::testing::TestParamInfo<Backend>& info) {
  return backend_label(info.param);
}
inline const std::vector<Backend>& all_backends() {
  static const std::vector<Backend> list = {Backend::sqlite, Backend::postgres, Backend::dynamodb};
  return list;
}

// The backends with transactions, whose stores group concurrent requests into one commit.
inline const std::vector<Backend>& transactional_backends() {
  static const std::vector<Backend> list = {Backend::sqlite, Backend::postgres};
  return list;
}

// Whatever a test tunes, per backend.
struct StoreSettings {
  std::optional<Root> genesis_validators_root;
  std::chrono::microseconds max_batch_delay{0};
  std::size_t max_batch = 1024;
};

class TestDatabase {
 public:
  virtual ~TestDatabase() = default;
  virtual Result<std::unique_ptr<SlashingStore>> try_open(const StoreSettings& settings) = 0;

  // Opens a store on this database; fails the test (and returns null) when it cannot.
  std::unique_ptr<SlashingStore> open(const StoreSettings& settings = {}) {
    auto store = try_open(settings);
    if (!store) ADD_FAILURE() << "cannot open the store: " << store.error().message;
    return store ? std::move(*store) : nullptr;
  }
};

class SqliteTestDatabase final : public TestDatabase {
 public:
  Result<std::unique_ptr<SlashingStore>> try_open(const StoreSettings& s) override {
    SqliteOptions o;
    o.path = dir_.file("slashing.sqlite");
    o.genesis_validators_root = s.genesis_validators_root;
    o.max_batch_delay = s.max_batch_delay;
    o.max_batch = s.max_batch;
    return open_sqlite_store(o);
  }

 private:
  TempDir dir_;
};

class PostgresTestDatabase final : public TestDatabase {
 public:
  explicit PostgresTestDatabase(const std::string& server) : db_(server) {}
  Result<std::unique_ptr<SlashingStore>> try_open(const StoreSettings& s) override {
    return open_postgres_store(options(s));
  }
  PostgresOptions options(const StoreSettings& s = {}) const {
    PostgresOptions o;
    o.conninfo = db_.conninfo();
    o.genesis_validators_root = s.genesis_validators_root;
    o.max_batch_delay = s.max_batch_delay;
    o.max_batch = s.max_batch;
    o.db_timeout = std::chrono::seconds(10);  // generous: a loaded CI machine is not an outage
    return o;
  }
  const std::string& conninfo() const { return db_.conninfo(); }

 private:
  PgTestDatabase db_;
};

// A table of its own on the DynamoDB test server (dynalite), reached through the production transport.
class DynamoTestDatabase final : public TestDatabase {
 public:
  DynamoTestDatabase() : transport_(cc::test::dynamo_transport()), table_(cc::test::unique_table("slashing")) {
    if (transport_ == nullptr) {
      ADD_FAILURE() << cc::test::kNoDynamoServer;
      return;
    }
    if (auto made = create_dynamodb_anti_slashing_table(*transport_, table_); !made) {
      ADD_FAILURE() << "cannot create table " << table_ << ": " << made.error().message;
    }
  }
  Result<std::unique_ptr<SlashingStore>> try_open(const StoreSettings& s) override {
    if (transport_ == nullptr) return Error::unavailable(cc::test::kNoDynamoServer);
    DynamoDbOptions o;
    o.table = table_;
    o.genesis_validators_root = s.genesis_validators_root;
    o.timeout = std::chrono::seconds(20);  // generous: dynalite on a loaded CI machine is not an outage
    o.high_watermark_settle = std::chrono::milliseconds(50);  // the tests change it with nothing in flight
    return open_dynamodb_store(transport_, o);
  }
  aws::Transport& transport() { return *transport_; }
  const std::string& table() const { return table_; }

 private:
  std::shared_ptr<aws::Transport> transport_;
  std::string table_;
};

inline bool backend_available(Backend b) {
  switch (b) {
    case Backend::sqlite:
      return true;
    case Backend::postgres:
      return pg_server_conninfo().has_value();
    case Backend::dynamodb:
      break;
  }
  return cc::test::dynamo_endpoint().has_value();
}

inline std::string backend_missing(Backend b) {
  return b == Backend::dynamodb ? std::string(cc::test::kNoDynamoServer) : std::string(kNoPgServer);
}

// A fresh, empty database of backend `b` (which must be available).
inline std::unique_ptr<TestDatabase> make_database(Backend b) {
  if (b == Backend::sqlite) return std::make_unique<SqliteTestDatabase>();
  if (b == Backend::dynamodb) return std::make_unique<DynamoTestDatabase>();
  return std::make_unique<PostgresTestDatabase>(*pg_server_conninfo());
}

#define CC_REQUIRE_BACKEND(b) \
  if (!::cc::slashing::test::backend_available(b)) GTEST_SKIP() << ::cc::slashing::test::backend_missing(b)

// A test run once per backend with a fresh database and an open store.
class BackendStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override {
    CC_REQUIRE_BACKEND(GetParam());
    db_ = make_database(GetParam());
    store_ = db_->open();
    ASSERT_NE(store_, nullptr);
  }
  SlashingStore& store() { return *store_; }
  Refusal sign(const SignedMessage& m) { return check(*store_, m); }

  std::unique_ptr<TestDatabase> db_;
  std::unique_ptr<SlashingStore> store_;
};

}  // namespace cc::slashing::test
