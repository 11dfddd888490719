// The slot burst of a 10,000-validator signer, and its memory.
//   build/release/bench/cc_slot_burst_bench [--keys 10000] [--validators 313] [--connections 64] [--bursts 10]
//                                           [--fixtures DIR] [--summary FILE] [-- extra server flags]
// A signer with --keys keystores (light KDF: this measures signing, not loading) and SQLite
// anti-slashing (durable, synchronous=FULL). Each burst is one slot's duties of 10,000 validators:
// --validators ATTESTATION requests (distinct keys, a new epoch each burst, so each is recorded)
// and as many AGGREGATION_SLOT selection proofs, released at once over --connections keep-alive
// connections (each sends its share back to back). The figure is the time from release to the
// last response, next to the time raw blst needs for as many signatures on the same cores just
// before that burst (the machine may be shared). Also: resident memory with the keys loaded and
// while bursting.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <random>
#include <thread>

#include "bench_support.hpp"

namespace {

using cc::bench::Clock;
namespace fs = std::filesystem;

constexpr const char* kForkInfo =
    R"("fork_info":{"fork":{"previous_version":"0x04000000","current_version":"0x05000000","epoch":"364032"},)"
    R"("genesis_validators_root":"0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"})";

std::string attestation(std::uint64_t epoch, std::uint64_t slot, std::size_t index) {
  char buf[1024];
  std::snprintf(buf, sizeof buf,
                R"({"type":"ATTESTATION",%s,"attestation":{"slot":"%llu","index":"%zu","beacon_block_root":)"
                R"("0x%064llx","source":{"epoch":"%llu","root":"0x%064llx"},"target":{"epoch":"%llu","root":"0x%064llx"}}})",
                kForkInfo, static_cast<unsigned long long>(slot), index % 64, static_cast<unsigned long long>(slot),
                static_cast<unsigned long long>(epoch - 1), static_cast<unsigned long long>(epoch - 1),
                static_cast<unsigned long long>(epoch), static_cast<unsigned long long>(epoch));
  return buf;
}

std::string selection_proof(std::uint64_t slot) {
  return std::string(R"({"type":"AGGREGATION_SLOT",)") + kForkInfo + R"(,"aggregation_slot":{"slot":")" +
         std::to_string(slot) + R"("}})";
}

std::string registration(const std::string& pubkey, std::uint64_t timestamp) {
  return R"({"type":"VALIDATOR_REGISTRATION","validator_registration":{"fee_recipient":"0x)" + std::string(40, 'e') +
         R"(","gas_limit":"36000000","timestamp":")" + std::to_string(timestamp) + R"(","pubkey":")" + pubkey + R"("}})";
}

using cc::bench::LoadClient;
using cc::bench::LoadRequest;

// Sends `work` over `load`'s connections (connection c sends items c, c+connections, ..., each
// after the answer to the one before), answers in `status` and the seconds from the start to
// each answer in `done_at`; returns the seconds until the last answer.
double drive(LoadClient& load, std::size_t connections, const std::vector<LoadRequest>& work,
             std::vector<unsigned>& status, std::vector<double>& done_at) {
  status.assign(work.size(), 0);
  done_at.assign(work.size(), 0);
  std::vector<std::size_t> next_item(connections), in_flight(connections);
  for (std::size_t c = 0; c < connections; ++c) next_item[c] = c;
  const auto start = Clock::now();
  load.run(
      Clock::time_point::max(),
      [&](int conn) -> std::optional<LoadRequest> {
        auto& i = next_item[static_cast<std::size_t>(conn)];
        if (i >= work.size()) return std::nullopt;
        in_flight[static_cast<std::size_t>(conn)] = i;
        i += connections;
        return work[in_flight[static_cast<std::size_t>(conn)]];
      },
      [&](int conn, unsigned code, const std::string&, double) {
        const auto i = in_flight[static_cast<std::size_t>(conn)];
        status[i] = code;
        done_at[i] = std::chrono::duration<double>(Clock::now() - start).count();
      });
  return std::chrono::duration<double>(Clock::now() - start).count();
}

std::size_t failures(const std::vector<unsigned>& status) {
  return static_cast<std::size_t>(std::count_if(status.begin(), status.end(), [](unsigned s) { return s != 200; }));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cc::bench;
  const std::size_t nkeys = std::stoul(arg(argc, argv, "--keys", "10000"));
  const std::size_t validators = std::stoul(arg(argc, argv, "--validators", "313"));
  const std::size_t connections = std::stoul(arg(argc, argv, "--connections", "64"));
  const int bursts = std::max(1, std::stoi(arg(argc, argv, "--bursts", "10")));
  const std::string summary = arg(argc, argv, "--summary", "");
  const fs::path fixtures = arg(argc, argv, "--fixtures", CC_BENCH_FIXTURES);
  std::vector<std::string> server_args;
  for (int i = 1; i < argc; ++i) {
    if (std::string(argv[i]) == "--") server_args.assign(argv + i + 1, argv + argc);
  }
  if (validators > nkeys) {
    std::fprintf(stderr, "--validators must not exceed --keys\n");
    return 2;
  }
  const std::string load_at_start = load_average();
  const std::size_t requests = 2 * validators;

  // The reference: raw blst for `requests` signatures on every core, measured right before each
  // burst (the machine is shared: its load drifts), and the raw rate once.
  const double raw_rate = raw_blst_rate(cores(), 2.0);

  const fs::path keys = keystore_fixtures(fixtures, "light", nkeys);
  const auto dir = fs::temp_directory_path() / ("cc-burst-bench-" + std::to_string(std::random_device{}()));
  fs::create_directories(dir);
  Signer signer(dir, "burst", {keys.string()}, server_args);
  if (!signer.wait_listening(std::chrono::seconds(60)) || !signer.wait_healthy(std::chrono::seconds(600))) return 1;
  const auto pubkeys = signer.public_keys();
  if (pubkeys.size() != nkeys) {
    std::fprintf(stderr, "signer lists %zu keys, expected %zu\n", pubkeys.size(), nkeys);
    return 1;
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // let start-up allocations settle
  const double rss_loaded = rss_mib(signer.pid());

  // One event loop for every connection, connected before the first burst and kept open.
  LoadClient load(signer.port(), static_cast<int>(connections));
  std::vector<LoadRequest> work(requests);
  std::vector<double> done_at;  // seconds after release
  std::vector<unsigned> status;

  std::vector<double> burst_times, raw_times, ratios, latencies;
  double rss_burst = 0, cpu = 0, wall = 0, signer_cpu = 0, switches = 0;
  std::size_t errors = 0;
  for (int b = 0; b < bursts; ++b) {
    const std::uint64_t epoch = 400000 + static_cast<std::uint64_t>(b);
    const std::uint64_t slot = epoch * 32 + static_cast<std::uint64_t>(b % 32);
    for (std::size_t v = 0; v < validators; ++v) {
      const std::string target = "/api/v1/eth2/sign/" + pubkeys[v];
      work[2 * v] = {target, attestation(epoch, slot, v)};
      work[2 * v + 1] = {target, selection_proof(slot)};
    }
    raw_times.push_back(raw_blst_time(requests, cores()));
    std::atomic<bool> sampling{true};
    std::thread sampler([&] {
      while (sampling) {
        rss_burst = std::max(rss_burst, rss_mib(signer.pid()));
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
      }
    });
    const double cpu0 = cpu_seconds_self();
    const double signer_cpu0 = cpu_seconds_of(signer.pid());
    const double switches0 = context_switches_of(signer.pid());
    drive(load, connections, work, status, done_at);
    signer_cpu += cpu_seconds_of(signer.pid()) - signer_cpu0;
    switches += context_switches_of(signer.pid()) - switches0;
    const double elapsed = *std::max_element(done_at.begin(), done_at.end());
    cpu += cpu_seconds_self() - cpu0;
    wall += elapsed;
    sampling = false;
    sampler.join();
    burst_times.push_back(elapsed);
    ratios.push_back(elapsed / raw_times.back());
    // Per-request latency: a connection's k-th request waited for its k-1 predecessors.
    for (std::size_t c = 0; c < connections; ++c) {
      double prev = 0;
      for (std::size_t i = c; i < requests; i += connections) {
        latencies.push_back(done_at[i] - prev);
        prev = done_at[i];
      }
    }
    errors += failures(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(300));  // the rest of the slot: idle
  }
  // Builder registrations, which validator clients send for every key each epoch, unchanged
  // from one epoch to the next: the first round signs them, the identical second round finds
  // them in the signature cache (server.signature_cache_entries).
  std::vector<LoadRequest> registrations;
  for (const auto& pk : pubkeys) registrations.push_back({"/api/v1/eth2/sign/" + pk, registration(pk, 1700000000)});
  const double reg_cold = drive(load, connections, registrations, status, done_at);
  errors += failures(status);
  const double reg_again = drive(load, connections, registrations, status, done_at);
  errors += failures(status);
  const double peak = peak_rss_mib(signer.pid());
  signer.stop();
  fs::remove_all(dir);

  const double med = median(burst_times);
  const double worst = *std::max_element(burst_times.begin(), burst_times.end());
  const double raw_time = median(raw_times);
  const double med_ratio = median(ratios);
  const double worst_ratio = *std::max_element(ratios.begin(), ratios.end());
  char buf[512];
  std::printf("%s, %s at start\n\n| measure | value |\n|---|---|\n", machine().c_str(), load_at_start.c_str());
  std::printf("| raw blst, %zu signatures on %u threads, measured before each burst, median | %.1f ms (%.0f sig/s) |\n",
              requests, cores(), 1e3 * raw_time, raw_rate);
  std::printf("| burst: %zu ATTESTATION + %zu AGGREGATION_SLOT, %zu connections, SQLite durable; median / worst of %d "
              "| %.1f / %.1f ms |\n",
              validators, validators, connections, bursts, 1e3 * med, 1e3 * worst);
  std::printf("| burst time / raw blst time just before it, median / worst | **%.2f x** / %.2f x (target <= 1.3 x) |\n",
              med_ratio, worst_ratio);
  std::printf("| per-request latency p50 / p99 / max | %.1f / %.1f / %.1f ms |\n", 1e3 * percentile(latencies, 0.5),
              1e3 * percentile(latencies, 0.99), 1e3 * percentile(latencies, 1.0));
  std::printf("| resident memory, %zu keys loaded, idle | %.0f MiB (target < 100 MiB) |\n", nkeys, rss_loaded);
  std::printf("| resident memory under the bursts (highest sample) / peak since start | %.0f / %.0f MiB |\n", rss_burst,
              peak);
  const double signed_total = static_cast<double>(requests) * bursts;
  const double raw_cpu_us = raw_blst_cpu_us();
  const double signer_cpu_us = 1e6 * signer_cpu / signed_total;
  std::printf("| signer CPU per request; raw blst CPU per signature | %.0f us; %.0f us (**%.2f x** in CPU time, whatever "
              "the load; the rest: HTTP, JSON, signing root, anti-slashing, scheduling) |\n",
              signer_cpu_us, raw_cpu_us, raw_cpu_us / signer_cpu_us);
  std::printf("| signer context switches per request | %.1f |\n", switches / signed_total);
  std::printf("| %zu VALIDATOR_REGISTRATION, first round; identical again | %.0f sig/s; %.0f answers/s (%.1f x) |\n",
              nkeys, static_cast<double>(nkeys) / reg_cold, static_cast<double>(nkeys) / reg_again, reg_cold / reg_again);
  std::printf("| errors | %zu |\n| load generator CPU during bursts | %.0f%% of one core |\n", errors,
              100.0 * cpu / std::max(wall, 1e-9));
  std::snprintf(buf, sizeof buf,
                "%.1f ms median, %.1f ms worst of %d; %.2f x / %.2f x raw blst (%.1f ms); CPU per request %.2f x raw blst",
                1e3 * med, 1e3 * worst, bursts, med_ratio, worst_ratio, 1e3 * raw_time, raw_cpu_us / signer_cpu_us);
  const std::string what = "slot burst, " + std::to_string(requests) + " requests over " + std::to_string(connections) +
                           " connections, SQLite";
  std::vector<std::vector<std::string>> rows = {{what, buf, "<= 1.3 x"}};
  std::snprintf(buf, sizeof buf, "%.0f MiB idle, %.0f MiB under the bursts", rss_loaded, rss_burst);
  rows.push_back({"resident memory, " + std::to_string(nkeys) + " keys", buf, "< 100 MiB"});
  std::snprintf(buf, sizeof buf, "%.1f x faster (%.0f -> %.0f answers/s)", reg_cold / reg_again,
                static_cast<double>(nkeys) / reg_cold, static_cast<double>(nkeys) / reg_again);
  rows.push_back({std::to_string(nkeys) + " identical VALIDATOR_REGISTRATION again (signature cache)", buf, "-"});
  append_summary(summary, rows);
  return errors == 0 ? 0 : 1;
}
