// Three signer processes share one PostgreSQL database (the high-availability deployment).
// Hundreds of conflicting requests per key are spread over the replicas at once; among all the
// signatures released, no two may form a slashable pair. Repeated with a replica SIGKILLed
// mid-storm and with the PostgreSQL server restarted mid-storm. Also: the operator's watermark and
// prune commands applied to running replicas.
#include <gtest/gtest.h>

#include <iostream>
#include <signal.h>

#include <atomic>
#include <fstream>
#include <mutex>
#include <random>
#include <sstream>
#include <thread>

#include "../support/dynamo_test_server.hpp"
#include "requests.hpp"
#include "server_fixture.hpp"
#include "slashing/dynamodb_store.hpp"

namespace cc::test {
namespace {

struct Released {
  std::size_t key;
  bool block;
  std::uint64_t a, b;  // block: slot, root byte; attestation: source, target
  unsigned root;       // varies the signing root
};

bool slashable(const Released& x, const Released& y) {
  if (x.key != y.key || x.block != y.block) return false;
  if (x.block) return x.a == y.a && x.root != y.root;
  const bool same = x.a == y.a && x.b == y.b && x.root == y.root;
  if (same) return false;
  if (x.b == y.b) return true;                               // double vote
  return (x.a < y.a && y.b < x.b) || (y.a < x.a && x.b < y.b);  // surround
}

enum class Fault { none, kill_replica, restart_database };

// The fixture's DynamoServer with the anti-slashing table "race" created, and the flags to use it.
class RaceDynamo : public DynamoServer {
 public:
  using DynamoServer::DynamoServer;
  // Says why when it fails (the server's start, or the table).
  bool start() {
    if (!DynamoServer::start()) {
      std::cerr << "dynalite did not start (scripts/dynamo-test-server.sh)\n";
      return false;
    }
    auto transport = dynamo_transport(endpoint());
    if (transport == nullptr) return false;
    auto made = slashing::create_dynamodb_anti_slashing_table(*transport, "race");
    if (!made) std::cerr << "creating the table at " << endpoint() << ": " << made.error().message << "\n";
    return made.ok();
  }
  std::vector<std::string> signer_args(const std::string& timeout_ms = "3000") const {
    return {"--anti-slashing-backend", "dynamodb", "--anti-slashing-table", "race", "--aws-endpoints-dynamodb",
            endpoint(), "--aws-region", "us-east-1", "--anti-slashing-timeout-ms", timeout_ms};
  }
};

enum class Db { postgres, dynamodb };

void storm(Fault fault, Db db = Db::postgres) {
  auto dir = make_temp_dir("race");
  PgServer pg(dir / "pg");  // of this test's own: it may be restarted mid-test
  RaceDynamo dynamo(dir / "dynamo");
  std::vector<std::string> args, env;
  if (db == Db::postgres) {
    ASSERT_TRUE(pg.run("start"));
    args = {"--anti-slashing-backend", "postgres", "--anti-slashing-url", pg.conninfo(), "--anti-slashing-timeout-ms",
            "1000"};
  } else {
    ASSERT_TRUE(dynamo.start());
    args = dynamo.signer_args();
    env = DynamoServer::env();
  }
  auto keys = generate_keys(dir, 4);
  ASSERT_EQ(keys.size(), 4u);
  std::vector<std::unique_ptr<SignerInstance>> replicas;
  for (int i = 0; i < 3; ++i) {
    replicas.push_back(std::make_unique<SignerInstance>(dir, args, env));
    std::string error;
    ASSERT_TRUE(replicas.back()->start(error)) << error;
  }
  std::mutex mu;
  std::vector<Released> released;
  std::atomic<int> sent{0}, refused{0}, unavailable{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 12; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t * 7919 + static_cast<int>(fault)));
      std::vector<std::unique_ptr<HttpClient>> clients;
      for (auto& r : replicas) clients.push_back(std::make_unique<HttpClient>("127.0.0.1", r->port()));
      for (int i = 0; i < 120; ++i) {
        Released m{};
        m.key = rng() % keys.size();
        m.block = rng() % 4 == 0;
        m.root = static_cast<unsigned>(rng() % 3 + 1);
        std::string body;
        if (m.block) {
          m.a = 1000 + rng() % 6;
          body = block_header(m.a, m.root);
        } else {
          m.a = rng() % 6;
          m.b = m.a + rng() % 4;
          body = attestation(m.a, m.b, m.root);
        }
        auto& http = *clients[rng() % clients.size()];
        auto r = http.post("/api/v1/eth2/sign/" + keys[m.key], body);
        ++sent;
        if (r.status == 200) {
          std::lock_guard lock(mu);
          released.push_back(m);
        } else if (r.status == 412) {
          ++refused;
        } else {
          ++unavailable;  // 503 from a replica whose database is away, or 0 from a killed replica
        }
      }
    });
  }
  if (fault == Fault::kill_replica) {
    while (sent < 300) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    replicas[1]->process().kill(SIGKILL);
  } else if (fault == Fault::restart_database) {
    while (sent < 300) std::this_thread::sleep_for(std::chrono::milliseconds(2));
    ASSERT_TRUE(pg.run("stop"));
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ASSERT_TRUE(pg.run("start"));
  }
  for (auto& th : threads) th.join();

  std::size_t pairs = 0;
  for (std::size_t i = 0; i < released.size(); ++i) {
    for (std::size_t j = i + 1; j < released.size(); ++j) {
      if (slashable(released[i], released[j])) ++pairs;
    }
  }
  EXPECT_EQ(pairs, 0u) << "slashable pairs released";
  EXPECT_GT(released.size(), 20u);
  EXPECT_GT(refused.load(), 100) << "the storm did not conflict";
  std::cout << "sent " << sent << ", released " << released.size() << ", refused " << refused << ", unavailable "
            << unavailable << "\n";
  if (fault == Fault::restart_database) {
    // Signing resumes without restarting the replicas.
    auto http = replicas[0]->client();
    HttpResult r;
    for (int i = 0; i < 100 && r.status != 200; ++i) {
      r = http.post("/api/v1/eth2/sign/" + keys[0], attestation(500, 501));
      if (r.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(r.status, 200u) << r.body;
  }
  replicas.clear();
  std::filesystem::remove_all(dir);
}

// PostgreSQL goes away: requests that need it get 503 within the configured bound and readiness
// drops; types that need no database keep signing; when it returns, signing resumes by itself.
TEST(DatabaseOutage, BoundedFailureAndRecoveryWithoutRestart) {
  auto dir = make_temp_dir("outage");
  PgServer pg(dir / "pg");
  ASSERT_TRUE(pg.run("start"));
  auto keys = generate_keys(dir, 1);
  ASSERT_EQ(keys.size(), 1u);
  SignerInstance signer(dir, {"--anti-slashing-backend", "postgres", "--anti-slashing-url", pg.conninfo(),
                              "--anti-slashing-timeout-ms", "1000"});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  const auto path = "/api/v1/eth2/sign/" + keys[0];
  ASSERT_EQ(http.post(path, attestation(1, 2)).status, 200u);
  EXPECT_EQ(http.get("/api/v1/eth2/highWatermark").status, 200u);

  ASSERT_TRUE(pg.run("stop"));
  const auto t0 = std::chrono::steady_clock::now();
  auto down = http.post(path, attestation(2, 3));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(down.status, 503u) << down.body;
  EXPECT_LT(waited, std::chrono::milliseconds(3500)) << "no answer within the bound (well under 5 s)";
  EXPECT_EQ(http.get("/healthcheck").status, 503u);
  auto mark = http.get("/api/v1/eth2/highWatermark");
  EXPECT_EQ(mark.status, 503u) << mark.body;
  EXPECT_FALSE(mark.retry_after.empty());
  EXPECT_EQ(http.post(path, randao(9)).status, 200u) << "a type that needs no database stopped working";

  ASSERT_TRUE(pg.run("start"));
  HttpResult up;
  for (int i = 0; i < 100 && up.status != 200; ++i) {
    up = http.post(path, attestation(2, 3));
    if (up.status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  EXPECT_EQ(up.status, 200u) << up.body;
  EXPECT_EQ(http.get("/healthcheck").status, 200u);
  EXPECT_EQ(http.get("/api/v1/eth2/highWatermark").status, 200u);
  std::filesystem::remove_all(dir);
}

// DynamoDB goes away: the same bounded 503 (the transport's attempts fit in the timeout), readiness
// drops, and types that need no database keep signing. (The test server keeps its tables in memory,
// so coming back would be a new, empty database: recovery is PostgreSQL's test above.)
TEST(DatabaseOutage, DynamoDbUnreachableAnswers503WithinTheBound) {
  auto dir = make_temp_dir("outage-dynamo");
  RaceDynamo dynamo(dir / "dynamo");
  ASSERT_TRUE(dynamo.start());
  auto keys = generate_keys(dir, 1);
  ASSERT_EQ(keys.size(), 1u);
  SignerInstance signer(dir, dynamo.signer_args("1000"), DynamoServer::env());
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  auto http = signer.client();
  const auto path = "/api/v1/eth2/sign/" + keys[0];
  ASSERT_EQ(http.post(path, attestation(1, 2)).status, 200u);

  dynamo.stop();
  const auto t0 = std::chrono::steady_clock::now();
  auto down = http.post(path, attestation(2, 3));
  const auto waited = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(down.status, 503u) << down.body;
  EXPECT_LT(waited, std::chrono::milliseconds(3500)) << "no answer within the bound (well under 5 s)";
  EXPECT_EQ(http.get("/healthcheck").status, 503u);
  EXPECT_EQ(http.post(path, randao(9)).status, 200u) << "a type that needs no database stopped working";
  std::filesystem::remove_all(dir);
}

// The operator's commands against the shared database while two replicas sign: each change
// applies to both replicas' very next request, without a restart.
TEST(ReplicaWatermarks, CommandsApplyToRunningReplicasAtOnce) {
  auto dir = make_temp_dir("replica-watermarks");
  PgServer pg(dir / "pg");
  ASSERT_TRUE(pg.run("start"));
  auto keys = generate_keys(dir, 1);
  ASSERT_EQ(keys.size(), 1u);
  const std::vector<std::string> backend = {"--anti-slashing-backend", "postgres", "--anti-slashing-url",
                                            pg.conninfo()};
  std::vector<std::unique_ptr<SignerInstance>> replicas;
  for (int i = 0; i < 2; ++i) {
    replicas.push_back(std::make_unique<SignerInstance>(dir, backend));
    std::string error;
    ASSERT_TRUE(replicas.back()->start(error)) << error;
  }
  auto command = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {binary_path(), "slashing"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), backend.begin(), backend.end());
    return run_command(argv);
  };
  const auto path = "/api/v1/eth2/sign/" + keys[0];
  auto a = replicas[0]->client();
  auto b = replicas[1]->client();
  for (std::uint64_t e = 1; e <= 12; ++e) ASSERT_EQ((e % 2 ? a : b).post(path, attestation(e - 1, e)).status, 200u);

  auto [set, set_out] = command({"watermark", "set-high", "--epoch", "14", "--slot", "448"});
  ASSERT_EQ(set, 0) << set_out;
  EXPECT_EQ(a.get("/api/v1/eth2/highWatermark").body, R"({"epoch":"14","slot":"448"})");
  EXPECT_EQ(b.post(path, attestation(12, 14)).status, 412u);
  EXPECT_EQ(a.post(path, block_header(448)).status, 412u);
  EXPECT_EQ(b.post(path, attestation(12, 13)).status, 200u);

  auto [pruned, pruned_out] = command({"prune", "--keep-epochs", "2"});
  ASSERT_EQ(pruned, 0) << pruned_out;
  EXPECT_NE(pruned_out.find("deleted 0 blocks and 10 attestations"), std::string::npos) << pruned_out;
  EXPECT_EQ(a.post(path, attestation(2, 3, 77)).status, 412u) << "refused before pruning, refused after";
  EXPECT_EQ(b.post(path, attestation(0, 13)).status, 412u);

  auto [raised, raised_out] = command({"watermark", "raise-low", "--pubkey", keys[0], "--slot", "300"});
  ASSERT_EQ(raised, 0) << raised_out;
  EXPECT_EQ(a.post(path, block_header(300)).status, 412u);
  auto [lowered, lowered_out] = command({"watermark", "raise-low", "--pubkey", keys[0], "--slot", "200"});
  EXPECT_EQ(lowered, 2) << lowered_out;

  auto [cleared, cleared_out] = command({"watermark", "clear-high"});
  ASSERT_EQ(cleared, 0) << cleared_out;
  EXPECT_EQ(b.get("/api/v1/eth2/highWatermark").body, "{}");
  EXPECT_EQ(a.post(path, attestation(13, 14)).status, 200u);
  EXPECT_EQ(b.post(path, block_header(448)).status, 200u);
  replicas.clear();
  std::filesystem::remove_all(dir);
}

TEST(ReplicaRace, NoSlashablePairAcrossThreeReplicas) { storm(Fault::none); }
TEST(ReplicaRace, NoSlashablePairWhenAReplicaIsKilled) { storm(Fault::kill_replica); }
TEST(ReplicaRace, NoSlashablePairWhenTheDatabaseRestarts) { storm(Fault::restart_database); }
// The same storms with DynamoDB (conditional writes only). Its test server keeps tables in memory,
// so a database restart would lose the history itself: that fault is PostgreSQL's only.
TEST(ReplicaRaceDynamoDb, NoSlashablePairAcrossThreeReplicas) { storm(Fault::none, Db::dynamodb); }
TEST(ReplicaRaceDynamoDb, NoSlashablePairWhenAReplicaIsKilled) { storm(Fault::kill_replica, Db::dynamodb); }

}  // namespace
}  // namespace cc::test
