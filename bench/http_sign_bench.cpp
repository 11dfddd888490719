// Signing throughput over HTTP (SQLite and PostgreSQL anti-slashing) next to raw blst, measured in
// the same run on the same machine.
//   build/release/bench/cc_http_sign_bench [--seconds S] [--connections C] [--keys K] [--no-postgres] [--no-dynamodb]
//                                          [--batch-keys N] [--batch-connections B] [--summary FILE]
// Prints a table; the load generator (one thread driving every connection, bench_support's
// drive_connections) runs on the same cores, so its CPU share is reported too.
// Each run's ratio is against raw blst on all cores measured right before and right after that run
// (the mean of the two), so a shared machine's drift between runs does not move the ratios.
// The batch case (SQLite): B connections each send batch requests (POST /api/v1/eth2/sign) of
// ATTESTATIONs for N keys of their own (--batch-keys 0: no batch case); its rate is signatures/s.
#include <fmt/format.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "../tests/support/dynamo_test_server.hpp"
#include "../tests/support/http_client.hpp"
#include "../tests/support/process.hpp"
#include "bench_support.hpp"
#include "crypto/bls.hpp"
#include "slashing/dynamodb_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;

std::string attestation(std::uint64_t target) {
  std::ostringstream o;
  o << R"({"type":"ATTESTATION","fork_info":{"fork":{"previous_version":"0x04000000","current_version":"0x05000000",)"
    << R"("epoch":"364032"},"genesis_validators_root":"0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"},)"
    << R"("attestation":{"slot":")" << target * 32 << R"(","index":"0","beacon_block_root":"0x)" << std::string(64, 'a')
    << R"(","source":{"epoch":")" << target - 1 << R"(","root":"0x)" << std::string(64, 'b')
    << R"("},"target":{"epoch":")" << target << R"(","root":"0x)" << std::string(64, 'c') << R"("}}})";
  return o.str();
}

std::size_t occurrences(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto pos = text.find(what); pos != std::string::npos; pos = text.find(what, pos + what.size())) ++n;
  return n;
}

using cc::bench::cpu_seconds_self;

// Command names of the database servers the benchmark starts on the same cores (PostgreSQL's
// processes; dynalite runs in node). Their CPU time during a run is reported beside the signer's.
const std::vector<std::string> kDatabaseServers = {"postgres", "node"};

struct HttpRun {
  std::string label;
  std::size_t batch_keys = 0;  // > 0: batch requests of this many keys per connection
  double rate = 0, p50 = 0, p99 = 0, max = 0, load_cpu_share = 0;
  double server_cpu_share = 0;  // the database server's (PostgreSQL, dynalite), on the same cores
  double signer_cpu_us = 0;  // signer CPU time per signature
  // Raw blst on all cores, measured right before and right after this run (the signer idle):
  // the reference of this run's ratio, so drift from other tenants between runs cancels out.
  double raw_before = 0, raw_after = 0;
  double raw_rate() const { return (raw_before + raw_after) / 2; }
  // Raw blst CPU time of one signature, measured right before and right after this run.
  double raw_cpu_before = 0, raw_cpu_after = 0;
  double raw_cpu_us() const { return (raw_cpu_before + raw_cpu_after) / 2; }
  std::map<std::string, cc::bench::ThreadUsage> by_role;  // per signature: CPU in microseconds, switches
  std::uint64_t errors = 0;
};

// Starts the server with `backend_args`, drives it with `connections` keep-alive connections for
// `seconds`, and stops it.
bool run_http(const std::filesystem::path& dir, const std::vector<std::string>& keys,
              const std::vector<std::string>& backend_args, int connections, double seconds, HttpRun& out,
              const std::vector<std::string>& env = {}) {
  std::vector<std::string> argv = {CC_BINARY, "server", "--server-listen-address", "127.0.0.1", "--server-listen-port",
                                   "0", "--metrics-listen-address", "127.0.0.1", "--metrics-listen-port", "0",
                                   "--key-sources-filesystem-paths", (dir / "keys").string()};
  argv.insert(argv.end(), backend_args.begin(), backend_args.end());
  // Each run its own signer state, beside its keys.
  argv.insert(argv.end(), {"--signer-state-path", (dir / ("state-" + out.label)).string()});
  cc::test::Process srv(argv, env, (dir / ("server-" + out.label + ".log")).string());
  if (!srv.wait_for_log("listening on http://", std::chrono::seconds(30))) {
    std::fprintf(stderr, "server did not start: %s\n", srv.log().c_str());
    return false;
  }
  const auto text = srv.log();
  const auto pos = text.find("listening on http://");
  const auto port = static_cast<std::uint16_t>(std::stoi(text.substr(text.find(':', pos + 20) + 1)));
  cc::test::HttpClient probe("127.0.0.1", port);
  while (probe.get("/healthcheck").status != 200) std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  out.raw_before = cc::bench::raw_blst_rate(cores, 2.0);
  out.raw_cpu_before = cc::bench::raw_blst_cpu_us();

  std::vector<std::vector<double>> latencies(static_cast<std::size_t>(connections));
  std::atomic<std::uint64_t> errors{0};
  const double cpu0 = cpu_seconds_self();
  const double server_cpu0 = cc::bench::cpu_seconds_of_processes(kDatabaseServers);
  const double signer_cpu0 = cc::bench::cpu_seconds_of(srv.pid());
  const auto roles0 = cc::bench::usage_by_role(srv.pid());
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  // Per connection: the target epoch it is at and the key it signs for next.
  std::vector<std::uint64_t> targets(static_cast<std::size_t>(connections), 10);
  std::vector<std::size_t> next_key(static_cast<std::size_t>(connections));
  std::vector<std::string> batch_ids(static_cast<std::size_t>(connections));
  for (std::size_t c = 0; c < next_key.size(); ++c) {
    next_key[c] = c;
    // Batch case: this connection's own keys, one batch of all of them per target.
    for (std::size_t i = 0; i < out.batch_keys; ++i) {
      batch_ids[c] += (i ? ",\"" : "\"") + keys[(c * out.batch_keys + i) % keys.size()] + "\"";
    }
  }
  auto next = [&](int conn) -> std::optional<cc::bench::LoadRequest> {
    const auto c = static_cast<std::size_t>(conn);
    if (out.batch_keys > 0) {
      return cc::bench::LoadRequest{"/api/v1/eth2/sign",
                                    R"({"identifiers":[)" + batch_ids[c] + R"(],"signing_request":)" +
                                        attestation(targets[c]++) + "}"};
    }
    // Each connection walks its own keys so no two requests conflict.
    cc::bench::LoadRequest r{"/api/v1/eth2/sign/" + keys[next_key[c] % keys.size()], attestation(targets[c])};
    next_key[c] += static_cast<std::size_t>(connections);
    if (next_key[c] >= keys.size()) next_key[c] = c, ++targets[c];
    return r;
  };
  auto done = [&](int conn, unsigned status, const std::string& body, double ms) {
    auto& mine = latencies[static_cast<std::size_t>(conn)];
    if (out.batch_keys > 0) {
      const auto signed_count = occurrences(body, "\"signature\"");
      if (status != 200 || signed_count != out.batch_keys) ++errors;
      mine.insert(mine.end(), signed_count, ms);  // one latency per signature: the batch's
      return;
    }
    mine.push_back(ms);
    if (status != 200) ++errors;
  };
  cc::bench::drive_connections(port, connections, std::chrono::time_point_cast<Clock::duration>(end), next, done);
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double signer_cpu1 = cc::bench::cpu_seconds_of(srv.pid());
  const auto roles1 = cc::bench::usage_by_role(srv.pid());
  const double load_cpu1 = cpu_seconds_self();
  const double server_cpu1 = cc::bench::cpu_seconds_of_processes(kDatabaseServers);
  out.raw_after = cc::bench::raw_blst_rate(cores, 2.0);
  out.raw_cpu_after = cc::bench::raw_blst_cpu_us();
  std::vector<double> all;
  for (auto& l : latencies) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0 : all[static_cast<std::size_t>(p * static_cast<double>(all.size() - 1))];
  };
  out.rate = static_cast<double>(all.size()) / elapsed;
  out.p50 = pct(0.5);
  out.p99 = pct(0.99);
  out.max = all.empty() ? 0 : all.back();
  out.errors = errors;
  out.load_cpu_share = (load_cpu1 - cpu0) / elapsed;
  out.server_cpu_share = (server_cpu1 - server_cpu0) / elapsed;
  out.signer_cpu_us = 1e6 * (signer_cpu1 - signer_cpu0) / std::max<double>(1, static_cast<double>(all.size()));
  const double signatures = std::max<double>(1, static_cast<double>(all.size()));
  for (const auto& [role, usage] : roles1) {
    const auto before = roles0.find(role);
    const cc::bench::ThreadUsage zero;
    const auto& was = before == roles0.end() ? zero : before->second;
    out.by_role[role] = {1e6 * (usage.cpu_seconds - was.cpu_seconds) / signatures,
                         (usage.switches - was.switches) / signatures};
  }
  srv.kill(15);
  srv.wait(std::chrono::seconds(20));
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // the AWS client's info lines would land in the table on stdout
  double seconds = 5;
  int connections = 32, nkeys = 64;
  std::size_t batch_keys = 64;
  int batch_connections = 4;
  bool postgres = true, dynamodb = true;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--no-postgres") postgres = false;
    if (a == "--no-dynamodb") dynamodb = false;
    if (i + 1 >= argc) continue;
    if (a == "--seconds") seconds = std::stod(argv[i + 1]);
    if (a == "--connections") connections = std::stoi(argv[i + 1]);
    if (a == "--keys") nkeys = std::stoi(argv[i + 1]);
    if (a == "--batch-keys") batch_keys = static_cast<std::size_t>(std::stoul(argv[i + 1]));
    if (a == "--batch-connections") batch_connections = std::stoi(argv[i + 1]);
  }
  // The batch case gives every connection keys of its own.
  const int all_keys = std::max<int>(nkeys, static_cast<int>(batch_keys) * batch_connections);
  const std::string summary = cc::bench::arg(argc, argv, "--summary", "");
  const std::string load_at_start = cc::bench::load_average();
  const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
  const double raw1 = cc::bench::raw_blst_rate(1, 2.0);
  const double rawN = cc::bench::raw_blst_rate(cores, 2.0);

  auto dir = std::filesystem::temp_directory_path() / ("cc-bench-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir / "keys");
  auto [code, out] = cc::test::run_command({CC_BINARY, "keys", "generate", "--count", std::to_string(all_keys), "--out",
                                            (dir / "keys").string(), "--password", "bench-password-1234",
                                            "--insecure-fast-kdf"});
  if (code != 0) {
    std::fprintf(stderr, "keys generate failed: %s\n", out.c_str());
    return 1;
  }
  std::vector<std::string> keys;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("0x", 0) == 0) keys.push_back(line);
  }

  const std::vector<std::string> single_keys(keys.begin(),
                                             keys.begin() + std::min<std::ptrdiff_t>(nkeys, std::ssize(keys)));
  std::vector<HttpRun> runs;
  HttpRun sqlite;
  sqlite.label = "SQLite";
  if (!run_http(dir, single_keys, {"--anti-slashing-path", (dir / "slashing.sqlite").string()}, connections, seconds, sqlite)) {
    return 1;
  }
  runs.push_back(sqlite);
  if (postgres) {
    // A local PostgreSQL 15 started by the project's test script (fsync off there: this measures the
    // signer's protocol cost, not a disk).
    const std::string script = std::string(CC_SOURCE_DIR) + "/scripts/pg-test-server.sh";
    auto [pg_code, pg_out] = cc::test::run_command({script, "start", (dir / "pg").string()});
    if (pg_code != 0) {
      std::fprintf(stderr, "PostgreSQL did not start: %s\n", pg_out.c_str());
      return 1;
    }
    std::string conninfo = pg_out.substr(0, pg_out.find('\n'));
    HttpRun pg;
    pg.label = "PostgreSQL";
    const bool ok = run_http(dir, single_keys, {"--anti-slashing-backend", "postgres", "--anti-slashing-url", conninfo},
                             connections, seconds, pg);
    cc::test::run_command({script, "destroy", (dir / "pg").string()});
    if (!ok) return 1;
    runs.push_back(pg);
  }
  if (dynamodb) {
    // dynalite (in memory, single-threaded JavaScript) started by the project's test script: a
    // stand-in that measures the signer's protocol cost (round trips per request), not AWS.
    const std::string script = std::string(CC_SOURCE_DIR) + "/scripts/dynamo-test-server.sh";
    auto [dy_code, dy_out] = cc::test::run_command({script, "start", (dir / "dynamo").string()});
    if (dy_code != 0) {
      std::fprintf(stderr, "dynalite did not start: %s\n", dy_out.c_str());
      return 1;
    }
    const std::string endpoint = dy_out.substr(0, dy_out.find('\n'));
    auto transport = cc::test::dynamo_transport(endpoint);
    if (transport == nullptr || !cc::slashing::create_dynamodb_anti_slashing_table(*transport, "bench").ok()) {
      std::fprintf(stderr, "cannot create the DynamoDB table\n");
      return 1;
    }
    HttpRun dy;
    dy.label = "DynamoDB";
    const bool ok = run_http(dir, single_keys,
                             {"--anti-slashing-backend", "dynamodb", "--anti-slashing-table", "bench",
                              "--aws-endpoints-dynamodb", endpoint, "--aws-region", "us-east-1"},
                             connections, seconds, dy, {"AWS_ACCESS_KEY_ID=AKIDEXAMPLE", "AWS_SECRET_ACCESS_KEY=bench"});
    cc::test::run_command({script, "stop", (dir / "dynamo").string()});
    if (!ok) return 1;
    runs.push_back(dy);
  }

  if (batch_keys > 0) {
    HttpRun batch;
    batch.label = "SQLite-batch";
    batch.batch_keys = batch_keys;
    if (!run_http(dir, keys, {"--anti-slashing-path", (dir / "slashing-batch.sqlite").string()}, batch_connections,
                  seconds, batch)) {
      return 1;
    }
    runs.push_back(batch);
  }

  std::printf("%s, %s at start\n\n", cc::bench::machine().c_str(), load_at_start.c_str());
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| cores | %u |\n", cores);
  std::printf("| raw blst sign, 1 thread | %.0f sig/s |\n", raw1);
  std::printf("| raw blst sign, %u threads (at start; each run below has its own) | %.0f sig/s |\n", cores, rawN);
  std::uint64_t errors = 0;
  for (const auto& r : runs) {
    if (r.batch_keys > 0) {
      std::printf("| HTTP batch ATTESTATION (%zu keys per request) + SQLite durable record, %d connections | %.0f "
                  "sig/s (**%.2f x** raw blst %.0f sig/s, measured around the run: %.0f before, %.0f after) |\n",
                  r.batch_keys, batch_connections, r.rate, r.rate / r.raw_rate(), r.raw_rate(), r.raw_before,
                  r.raw_after);
    } else {
      std::printf("| HTTP ATTESTATION + %s durable record, %d connections, %d keys | %.0f sig/s (**%.2f x** raw blst "
                  "%.0f sig/s, measured around the run: %.0f before, %.0f after) |\n",
                  r.label.c_str(), connections, nkeys, r.rate, r.rate / r.raw_rate(), r.raw_rate(), r.raw_before,
                  r.raw_after);
    }
    std::printf("| %s latency p50 / p99 / max | %.2f / %.2f / %.2f ms |\n", r.label.c_str(), r.p50, r.p99, r.max);
    std::printf("| %s errors; load generator CPU; database server CPU | %llu; %.0f%% of one core; %.0f%% of one core |\n",
                r.label.c_str(), static_cast<unsigned long long>(r.errors), 100.0 * r.load_cpu_share,
                100.0 * r.server_cpu_share);
    const double raw_cpu_us = r.raw_cpu_us();
    std::printf("| %s signer CPU per signature (raw blst: %.0f us per signature, measured around the run: %.0f before, "
                "%.0f after) | %.0f us (**%.2f x** raw blst in CPU time, whatever the load) |\n",
                r.label.c_str(), raw_cpu_us, r.raw_cpu_before, r.raw_cpu_after, r.signer_cpu_us,
                raw_cpu_us / r.signer_cpu_us);
    std::string cpu_roles, switch_roles;
    double switches = 0;
    for (const auto& [role, usage] : r.by_role) {
      cpu_roles += fmt::format("{}{} {:.0f} us", cpu_roles.empty() ? "" : ", ", role, usage.cpu_seconds);
      switch_roles += fmt::format("{}{} {:.2f}", switch_roles.empty() ? "" : ", ", role, usage.switches);
      switches += usage.switches;
    }
    std::printf("| %s signer CPU per signature by thread | %s |\n", r.label.c_str(), cpu_roles.c_str());
    std::printf("| %s signer context switches per signature (all threads) | %.2f (%s) |\n", r.label.c_str(),
                switches, switch_roles.c_str());
    errors += r.errors;
    char buf[160];
    std::snprintf(buf, sizeof buf, "%.0f sig/s (%.2f x raw blst %.0f sig/s); CPU per request %.2f x raw blst; p99 %.1f ms",
                  r.rate, r.rate / r.raw_rate(), r.raw_rate(), raw_cpu_us / r.signer_cpu_us, r.p99);
    const char* target = r.label == "SQLite" ? ">= 0.85 x"
                         : r.label == "PostgreSQL" ? ">= 0.70 x"
                         : r.batch_keys > 0 ? "(batch extension)"
                                            : "(dynalite: protocol cost)";
    const std::string name = r.batch_keys > 0 ? "HTTP batch ATTESTATION, " + std::to_string(r.batch_keys) +
                                                    " keys per request, SQLite, " + std::to_string(batch_connections) +
                                                    " connections"
                                              : "HTTP ATTESTATION + " + r.label + ", " + std::to_string(connections) +
                                                    " connections";
    cc::bench::append_summary(summary, {{name, buf, target}});
  }
  std::filesystem::remove_all(dir);
  return errors == 0 ? 0 : 1;
}
