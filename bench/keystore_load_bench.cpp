// Start-up with EIP-2335 keystores at the standard work factors (scrypt n=2^18 r=8 p=1, pbkdf2
// c=2^18): time from exec to /healthcheck 200, keys/s next to cores x the single-thread KDF rate
// measured in the same run, and peak resident memory next to the KDF memory budget.
//   build/release/bench/cc_keystore_load_bench [--keys 1000] [--kdf scrypt,pbkdf2] [--runs 1]
//                                              [--budget-mib M] [--fixtures DIR] [--summary FILE]
// Fixtures are generated once into --fixtures (default: a directory of the build tree) and reused.
// --budget-mib sets key_sources.filesystem.kdf_memory_budget_mib; without it the signer's default.
#include <algorithm>
#include <cstdio>
#include <random>
#include <sstream>
#include <thread>

#include "bench_support.hpp"
#include "crypto/kdf.hpp"
#include "crypto/password.hpp"

namespace {

using cc::bench::Clock;
namespace fs = std::filesystem;

// Derivations per second on `threads` threads at once, over at least `seconds` and 2 rounds.
double kdf_rate(cc::crypto::KdfKind kind, unsigned threads, double seconds) {
  auto params = cc::crypto::KdfParams::standard(kind);
  params.salt.assign(32, 7);
  auto password = cc::crypto::normalize_password("bench-password-1234");
  std::vector<std::size_t> counts(threads);
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      while (counts[t] < 2 || Clock::now() < end) {
        if (!cc::crypto::derive_decryption_key(params, password->span())) return;
        ++counts[t];
      }
    });
  }
  for (auto& w : workers) w.join();
  std::size_t total = 0;
  for (auto c : counts) total += c;
  return static_cast<double>(total) / std::chrono::duration<double>(Clock::now() - start).count();
}

// "key loading finished in 12.3 s" from the signer's log.
double load_seconds(const std::string& log) {
  const std::string needle = "key loading finished in ";
  const auto pos = log.rfind(needle);
  return pos == std::string::npos ? 0 : std::stod(log.substr(pos + needle.size()));
}

}  // namespace

int main(int argc, char** argv) {
  using namespace cc::bench;
  const std::size_t nkeys = std::stoul(arg(argc, argv, "--keys", "1000"));
  const int runs = std::max(1, std::stoi(arg(argc, argv, "--runs", "1")));
  const std::string budget = arg(argc, argv, "--budget-mib", "");
  const std::string summary = arg(argc, argv, "--summary", "");
  const fs::path fixtures = arg(argc, argv, "--fixtures", CC_BENCH_FIXTURES);
  std::vector<std::string> kdfs;
  {
    std::istringstream in(arg(argc, argv, "--kdf", "scrypt,pbkdf2"));
    for (std::string k; std::getline(in, k, ',');) kdfs.push_back(k);
  }
  const std::string load_at_start = load_average();

  std::printf("%s, %s at start\n\n| measure | value |\n|---|---|\n", machine().c_str(), load_at_start.c_str());
  std::vector<std::vector<std::string>> rows;
  bool ok = true;
  for (const auto& kdf : kdfs) {
    const auto kind = kdf == "pbkdf2" ? cc::crypto::KdfKind::pbkdf2 : cc::crypto::KdfKind::scrypt;
    const fs::path keys = keystore_fixtures(fixtures, kdf, nkeys);
    const double single = kdf_rate(kind, 1, 3.0);
    const double all = kdf_rate(kind, cores(), 3.0);
    std::vector<double> healthy, loads, peaks, idles;
    for (int r = 0; r < runs; ++r) {
      const auto dir = fs::temp_directory_path() / ("cc-load-bench-" + std::to_string(std::random_device{}()));
      fs::create_directories(dir);
      std::vector<std::string> extra;
      if (!budget.empty()) extra = {"--key-sources-filesystem-kdf-memory-budget-mib", budget};
      const auto start = Clock::now();
      Signer signer(dir, kdf, {keys.string()}, extra);
      if (!signer.wait_listening(std::chrono::seconds(60)) || !signer.wait_healthy(std::chrono::hours(3))) return 1;
      healthy.push_back(std::chrono::duration<double>(Clock::now() - start).count());
      loads.push_back(load_seconds(signer.log()));
      peaks.push_back(peak_rss_mib(signer.pid()));
      idles.push_back(rss_mib(signer.pid()));
      if (signer.public_keys().size() != nkeys) {
        std::fprintf(stderr, "signer lists fewer than %zu keys\n", nkeys);
        ok = false;
      }
      signer.stop();
      fs::remove_all(dir);
    }
    const double load = median(loads);
    const double rate = static_cast<double>(nkeys) / std::max(load, 1e-9);
    const double reference = cores() * single;
    const double peak = *std::max_element(peaks.begin(), peaks.end());
    std::printf("| %s: single-thread KDF rate; %u threads at once | %.2f /s; %.2f /s (%.2f x cores x single) |\n",
                kdf.c_str(), cores(), single, all, all / reference);
    std::printf("| %s: %zu keystores, exec -> healthy, median of %d | %.1f s (key loading %.1f s) |\n", kdf.c_str(),
                nkeys, runs, median(healthy), load);
    std::printf("| %s: keys/s | %.2f (**%.2f x** cores x single-thread KDF rate %.2f, target >= 0.9 x; %.2f x the "
                "rate of %u threads at once) |\n",
                kdf.c_str(), rate, rate / reference, reference, rate / all, cores());
    std::printf("| %s: peak resident memory; after loading | %.0f MiB (KDF memory budget %s); %.0f MiB |\n",
                kdf.c_str(), peak, budget.empty() ? "default: half of RAM" : (budget + " MiB").c_str(),
                median(idles));
    char buf[256];
    std::snprintf(buf, sizeof buf,
                  "%.1f s to healthy, %.2f keys/s (%.2f x cores x single-thread KDF; %.2f x all cores at once)",
                  median(healthy), rate, rate / reference, rate / all);
    rows.push_back({"start-up, " + std::to_string(nkeys) + " " + kdf + " keystores", buf, ">= 0.9 x"});
    // The budget bounds the KDFs' working memory; the signer itself (its resident memory once
    // loading is over) comes on top of it.
    std::snprintf(buf, sizeof buf, "%.0f MiB peak = %.0f MiB signer + %.0f MiB KDF working memory (budget %s)", peak,
                  median(idles), peak - median(idles), budget.empty() ? "default" : (budget + " MiB").c_str());
    rows.push_back({"start-up peak memory, " + kdf, buf, "KDF memory within the budget"});
  }
  append_summary(summary, rows);
  return ok ? 0 : 1;
}
