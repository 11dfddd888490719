// Restart with many DynamoDB-stored keys (KMS-only chamber): how long from exec until the signer
// is unsealed and healthy with every key loaded, and its memory then.
//   build/release/bench/cc_restart_bench [--keys N] [--runs R] [--summary FILE]
// Set-up (not timed): dynalite started by the project's script, the test-only KMS simulator in
// this process (SigV4-checked, the real KMS JSON protocol), a chamber initialised with 3 KMS keys
// (threshold 2), N fresh keys sealed under its master key into the key table. Each run then starts
// the real binary on those tables and polls /healthcheck until it is 200 and
// /api/v1/eth2/publicKeys lists N keys. Prints a table (median and worst of R runs).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "../tests/support/dynamo_test_server.hpp"
#include "../tests/support/http_client.hpp"
#include "../tests/support/process.hpp"
#include "aws/credentials.hpp"
#include "bench_support.hpp"
#include "aws/dynamodb.hpp"
#include "keys/dynamodb_source.hpp"
#include "kms_simulator.hpp"
#include "seal/chamber.hpp"
#include "seal/kms_wrapper.hpp"
#include "state/dynamodb_store.hpp"

namespace {

using Clock = std::chrono::steady_clock;
constexpr const char* kKeyId = "AKIDEXAMPLE";
constexpr const char* kSecret = "bench-secret";

struct Run {
  double unsealed_s = 0;  // exec → the log says the chamber is unsealed
  double healthy_s = 0;   // exec → /healthcheck 200 with every key listed
  double rss_mib = 0;     // resident memory then
};

double rss_mib(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("VmRSS:", 0) == 0) return std::stod(line.substr(6)) / 1024.0;
  }
  return 0;
}

std::size_t listed_keys(const std::string& body) {
  return static_cast<std::size_t>(std::count(body.begin(), body.end(), 'x'));  // one "0x" per key
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::size_t nkeys = 10000;
  int runs = 3;
  const std::string summary = cc::bench::arg(argc, argv, "--summary", "");
  for (int i = 1; i + 1 < argc; ++i) {
    const std::string a = argv[i];
    if (a == "--keys") nkeys = std::stoul(argv[i + 1]);
    if (a == "--runs") runs = std::max(1, std::stoi(argv[i + 1]));
  }
  const auto dir = std::filesystem::temp_directory_path() / ("cc-restart-bench-" + std::to_string(std::random_device{}()));
  std::filesystem::create_directories(dir);
  const std::string script = std::string(CC_SOURCE_DIR) + "/scripts/dynamo-test-server.sh";
  auto [dy_code, dy_out] = cc::test::run_command({script, "start", (dir / "dynamo").string()});
  if (dy_code != 0) {
    std::fprintf(stderr, "dynalite did not start: %s\n", dy_out.c_str());
    return 1;
  }
  const std::string endpoint = dy_out.substr(0, dy_out.find('\n'));
  auto finish = [&](int code) {
    cc::test::run_command({script, "stop", (dir / "dynamo").string()});
    std::filesystem::remove_all(dir);
    return code;
  };
  auto dynamo = cc::test::dynamo_transport(endpoint);
  if (dynamo == nullptr || !cc::aws::DynamoDb(*dynamo, "state").create_table("pk", "").ok() ||
      !cc::keys::DynamoDbKeySource::create_table(*dynamo, "keys").ok()) {
    std::fprintf(stderr, "cannot create the DynamoDB tables at %s\n", endpoint.c_str());
    return finish(1);
  }

  cc::aws::test::KmsSimulator kms("us-east-1");
  kms.add_principal({kKeyId, kSecret, "", "111122223333", "bench"});
  const std::vector<std::string> arns = {kms.create_key(), kms.create_key(), kms.create_key()};
  auto state = cc::state::DynamoDbDocumentStore::open(*dynamo, "state");
  if (!state) {
    std::fprintf(stderr, "signer state: %s\n", state.error().message.c_str());
    return finish(1);
  }
  cc::seal::Chamber chamber(**state, cc::seal::kms_wrapper_factory(
                                         [&](const std::string& region) -> cc::Result<std::shared_ptr<cc::aws::Transport>> {
                                           std::vector<std::unique_ptr<cc::aws::CredentialsProvider>> p;
                                           p.push_back(std::make_unique<cc::aws::StaticCredentials>(
                                               cc::aws::Credentials(kKeyId, kSecret)));
                                           cc::aws::HttpsTransportOptions o;
                                           o.service = "kms";
                                           o.region = region;
                                           o.endpoint = kms.url();
                                           o.credentials = std::make_shared<cc::aws::CredentialChain>(std::move(p));
                                           auto t = cc::aws::HttpsTransport::create(std::move(o));
                                           if (!t) return t.error();
                                           return std::shared_ptr<cc::aws::Transport>(std::move(*t));
                                         }));
  if (auto ok = chamber.init_kms_only(arns, 2); !ok) {
    std::fprintf(stderr, "chamber init: %s\n", ok.error().message.c_str());
    return finish(1);
  }

  // N keys sealed into the table, from a few writers at once.
  const auto setup0 = Clock::now();
  cc::keys::KeyRegistry scratch;
  cc::keys::DynamoDbKeySource writer(*dynamo, "keys", scratch, [&] { return chamber.master_key(); });
  std::atomic<std::size_t> next{0}, failed{0};
  std::vector<std::thread> writers;
  for (int w = 0; w < 8; ++w) {
    writers.emplace_back([&] {
      while (next.fetch_add(1) < nkeys) {
        if (!writer.store(cc::crypto::SecretKey::generate(), false)) ++failed;
      }
    });
  }
  for (auto& t : writers) t.join();
  if (failed != 0) {
    std::fprintf(stderr, "%zu keys could not be stored\n", failed.load());
    return finish(1);
  }
  const double setup_s = std::chrono::duration<double>(Clock::now() - setup0).count();

  const std::vector<std::string> args = {
      CC_BINARY, "server", "--server-listen-address", "127.0.0.1", "--server-listen-port", "0",
      "--metrics-listen-address", "127.0.0.1", "--metrics-listen-port", "0",
      "--signer-state-backend", "dynamodb", "--signer-state-table", "state", "--key-sources-dynamodb-table", "keys",
      "--aws-endpoints-dynamodb", endpoint, "--aws-endpoints-kms", kms.url(), "--aws-region", "us-east-1",
      "--anti-slashing-path", (dir / "slashing.sqlite").string()};
  const std::vector<std::string> env = {std::string("AWS_ACCESS_KEY_ID=") + kKeyId,
                                        std::string("AWS_SECRET_ACCESS_KEY=") + kSecret};
  std::vector<Run> results;
  for (int r = 0; r < runs; ++r) {
    const auto t0 = Clock::now();
    cc::test::Process srv(args, env, (dir / ("server-" + std::to_string(r) + ".log")).string());
    if (!srv.wait_for_log("listening on http://", std::chrono::seconds(60))) {
      std::fprintf(stderr, "server did not start: %s\n", srv.log().c_str());
      return finish(1);
    }
    const auto text = srv.log();
    const auto pos = text.find("listening on http://");
    const auto port = static_cast<std::uint16_t>(std::stoi(text.substr(text.find(':', pos + 20) + 1)));
    cc::test::HttpClient probe("127.0.0.1", port);
    Run run;
    const auto deadline = t0 + std::chrono::seconds(120);
    for (;;) {
      if (Clock::now() > deadline) {
        std::fprintf(stderr, "not healthy within 120 s: %s\n", srv.log().c_str());
        return finish(1);
      }
      if (run.unsealed_s == 0 && srv.log().find("seal: chamber unsealed") != std::string::npos) {
        run.unsealed_s = std::chrono::duration<double>(Clock::now() - t0).count();
      }
      if (probe.get("/healthcheck").status == 200 && listed_keys(probe.get("/api/v1/eth2/publicKeys").body) >= nkeys) {
        run.healthy_s = std::chrono::duration<double>(Clock::now() - t0).count();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    if (run.unsealed_s == 0) run.unsealed_s = run.healthy_s;  // seen only after the first poll
    run.rss_mib = rss_mib(srv.pid());
    results.push_back(run);
    srv.kill(15);
    srv.wait(std::chrono::seconds(20));
  }

  std::vector<double> unsealed, healthy, rss;
  for (const auto& r : results) unsealed.push_back(r.unsealed_s), healthy.push_back(r.healthy_s), rss.push_back(r.rss_mib);
  std::printf("%s, %s at the end\n\n", cc::bench::machine().c_str(), cc::bench::load_average().c_str());
  std::printf("| measure | value |\n|---|---|\n");
  std::printf("| keys in the DynamoDB table (KMS-only chamber, 3 KMS keys, threshold 2) | %zu |\n", nkeys);
  std::printf("| set-up: seal and store them (8 writers, not part of the restart) | %.1f s |\n", setup_s);
  std::printf("| restart → chamber unsealed, median / worst of %d | %.2f / %.2f s |\n", runs, median(unsealed),
              *std::max_element(unsealed.begin(), unsealed.end()));
  std::printf("| restart → healthy with all %zu keys, median / worst of %d | %.2f / %.2f s |\n", nkeys, runs,
              median(healthy), *std::max_element(healthy.begin(), healthy.end()));
  std::printf("| resident memory then (median) | %.0f MiB |\n", median(rss));
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.2f s median, %.2f s worst of %d; %.0f MiB", median(healthy),
                *std::max_element(healthy.begin(), healthy.end()), runs, median(rss));
  cc::bench::append_summary(summary, {{"restart, " + std::to_string(nkeys) + " DynamoDB-sealed keys -> healthy", buf,
                                       "< 3 s"}});
  return finish(0);
}
