#include "bench_support.hpp"

#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/json.hpp>
#include <cstdio>
#include <ctime>
#include <time.h>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "../tests/support/http_client.hpp"
#include "crypto/bls.hpp"
#include "crypto/kdf.hpp"
#include "crypto/keystore.hpp"
#include "crypto/keystore_cipher.hpp"
#include "crypto/password.hpp"
#include "crypto/secure_random.hpp"

namespace cc::bench {
namespace fs = std::filesystem;

double raw_blst_rate(unsigned threads, double seconds) {
  std::atomic<std::uint64_t> total{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  const auto end = start + std::chrono::duration<double>(seconds);
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      auto key = crypto::SecretKey::generate();
      Root root{};
      root[0] = static_cast<std::uint8_t>(t);
      std::uint64_t n = 0;
      while (Clock::now() < end) {
        root[1] = static_cast<std::uint8_t>(n);
        root[2] ^= key.sign(root)[5];
        ++n;
      }
      total += n;
    });
  }
  for (auto& w : workers) w.join();
  return static_cast<double>(total) / std::chrono::duration<double>(Clock::now() - start).count();
}

double raw_blst_time(std::size_t count, unsigned threads) {
  std::vector<crypto::SecretKey> keys;
  for (unsigned t = 0; t < threads; ++t) keys.push_back(crypto::SecretKey::generate());
  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  const auto start = Clock::now();
  for (unsigned t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      Root root{};
      root[0] = static_cast<std::uint8_t>(t);
      for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
        root[1] = static_cast<std::uint8_t>(i);
        root[2] ^= keys[t].sign(root)[5];
      }
    });
  }
  for (auto& w : workers) w.join();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double raw_blst_cpu_us() {
  const auto key = crypto::SecretKey::generate();
  Root root{};
  auto thread_cpu = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) / 1e9;
  };
  constexpr int kSignatures = 1000;
  const double t0 = thread_cpu();
  for (int i = 0; i < kSignatures; ++i) {
    root[1] = static_cast<std::uint8_t>(i);
    root[2] ^= key.sign(root)[5];
  }
  return 1e6 * (thread_cpu() - t0) / kSignatures;
}

unsigned cores() { return std::max(1u, std::thread::hardware_concurrency()); }

std::string load_average() {
  double l[3] = {0, 0, 0};
  if (getloadavg(l, 3) != 3) return "load average unknown";
  char buf[96];
  std::snprintf(buf, sizeof buf, "load average %.2f, %.2f, %.2f", l[0], l[1], l[2]);
  return buf;
}

std::string machine() {
  std::ifstream in("/proc/cpuinfo");
  std::string model = "unknown CPU";
  for (std::string line; std::getline(in, line);) {
    if (line.rfind("model name", 0) == 0) {
      model = line.substr(line.find(':') + 2);
      break;
    }
  }
  return std::to_string(cores()) + " cores, " + model;
}

std::string today() {
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char buf[16];
  std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
  return buf;
}

double cpu_seconds_self() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

namespace {
// utime + stime of a /proc/.../stat file, in seconds.
double stat_cpu_seconds(const fs::path& stat) {
  std::ifstream in(stat);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return 0;
  // Fields after the command name (which may hold spaces): state is field 3, utime 14, stime 15.
  std::istringstream rest(text.substr(paren + 2));
  std::string field;
  double ticks = 0;
  for (int i = 3; i <= 15 && rest >> field; ++i) {
    if (i >= 14) ticks += std::stod(field);
  }
  return ticks / static_cast<double>(sysconf(_SC_CLK_TCK));
}

double status_switches(const fs::path& status) {
  std::ifstream in(status);
  double total = 0;
  for (std::string line; std::getline(in, line);) {
    if (line.find("ctxt_switches:") != std::string::npos) total += std::stod(line.substr(line.find(':') + 1));
  }
  return total;
}
}  // namespace

double cpu_seconds_of(pid_t pid) { return stat_cpu_seconds("/proc/" + std::to_string(pid) + "/stat"); }

std::map<std::string, ThreadUsage> usage_by_role(pid_t pid) {
  std::map<std::string, ThreadUsage> out;
  std::error_code ec;
  for (const auto& task : fs::directory_iterator("/proc/" + std::to_string(pid) + "/task", ec)) {
    std::string comm;
    std::getline(std::ifstream(task.path() / "comm"), comm);
    const bool main_thread = task.path().filename() == std::to_string(pid);
    const std::string role = main_thread || comm == "cc-io" ? "I/O"
                             : comm == "cc-sign"             ? "signing"
                             : comm == "cc-slash-commit"     ? "committer"
                                                             : "other";
    auto& usage = out[role];
    usage.cpu_seconds += stat_cpu_seconds(task.path() / "stat");
    usage.switches += status_switches(task.path() / "status");
  }
  return out;
}

double cpu_seconds_of_processes(const std::vector<std::string>& names) {
  double total = 0;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/proc", ec)) {
    const std::string pid = entry.path().filename();
    if (pid.find_first_not_of("0123456789") != std::string::npos) continue;
    std::string comm;
    std::getline(std::ifstream(entry.path() / "comm"), comm);
    if (std::find(names.begin(), names.end(), comm) != names.end()) total += stat_cpu_seconds(entry.path() / "stat");
  }
  return total;
}

double context_switches_of(pid_t pid) {
  double total = 0;
  for (const auto& [role, usage] : usage_by_role(pid)) total += usage.switches;
  return total;
}

namespace {

double status_mib(pid_t pid, const std::string& field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);) {
    if (line.rfind(field, 0) == 0) return std::stod(line.substr(field.size())) / 1024.0;
  }
  return 0;
}

}  // namespace

double rss_mib(pid_t pid) { return status_mib(pid, "VmRSS:"); }
double peak_rss_mib(pid_t pid) { return status_mib(pid, "VmHWM:"); }

namespace {

namespace beast = boost::beast;
namespace http = beast::http;

// One connection of a LoadClient: write a request, read its answer, ask for the next.
struct LoadConnection : std::enable_shared_from_this<LoadConnection> {
  using Next = std::function<std::optional<LoadRequest>(int)>;
  using Done = std::function<void(int, unsigned, const std::string&, double)>;
  LoadConnection(boost::asio::io_context& io, int index_) : socket(io), index(index_) {}

  void send() {
    if (Clock::now() >= until) return;
    auto request = (*next)(index);
    if (!request) return;
    req = {http::verb::post, request->target, 11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.set(http::field::accept, "application/json");
    req.body() = std::move(request->body);
    req.prepare_payload();
    started = Clock::now();
    http::async_write(socket, req, [self = shared_from_this()](beast::error_code ec, std::size_t) {
      if (ec) return self->fail();
      self->res = {};
      http::async_read(self->socket, self->buffer, self->res, [self](beast::error_code rec, std::size_t) {
        if (rec) return self->fail();
        (*self->done)(self->index, self->res.result_int(), self->res.body(),
                      std::chrono::duration<double, std::milli>(Clock::now() - self->started).count());
        self->send();
      });
    });
  }
  void fail() {  // the connection is gone: one failed request, and this connection stops
    boost::system::error_code ignored;
    socket.close(ignored);
    (*done)(index, 0, "", std::chrono::duration<double, std::milli>(Clock::now() - started).count());
  }

  boost::asio::ip::tcp::socket socket;
  int index;
  // Set by each LoadClient::run().
  Clock::time_point until;
  const Next* next = nullptr;
  const Done* done = nullptr;
  beast::flat_buffer buffer;
  http::request<http::string_body> req;
  http::response<http::string_body> res;
  Clock::time_point started;
};

}  // namespace

struct LoadClient::Impl {
  boost::asio::io_context io{1};
  std::vector<std::shared_ptr<LoadConnection>> connections;
};

LoadClient::LoadClient(std::uint16_t port, int connections) : impl_(std::make_unique<Impl>()) {
  const boost::asio::ip::tcp::endpoint endpoint(boost::asio::ip::make_address("127.0.0.1"), port);
  for (int c = 0; c < connections; ++c) {
    auto conn = std::make_shared<LoadConnection>(impl_->io, c);
    conn->socket.connect(endpoint);
    conn->socket.set_option(boost::asio::ip::tcp::no_delay(true));
    impl_->connections.push_back(std::move(conn));
  }
}

LoadClient::~LoadClient() = default;

void LoadClient::run(Clock::time_point until, const std::function<std::optional<LoadRequest>(int)>& next,
                     const std::function<void(int, unsigned, const std::string&, double)>& done) {
  for (auto& conn : impl_->connections) {
    conn->until = until;
    conn->next = &next;
    conn->done = &done;
    if (conn->socket.is_open()) {
      conn->send();
    } else {
      conn->fail();  // lost in an earlier run: fails again, so it is counted
    }
  }
  impl_->io.restart();
  impl_->io.run();
}

void drive_connections(std::uint16_t port, int connections, Clock::time_point until,
                       const std::function<std::optional<LoadRequest>(int)>& next,
                       const std::function<void(int, unsigned, const std::string&, double)>& done) {
  LoadClient(port, connections).run(until, next, done);
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

double percentile(std::vector<double> sorted, double p) {
  std::sort(sorted.begin(), sorted.end());
  return sorted.empty() ? 0 : sorted[static_cast<std::size_t>(p * static_cast<double>(sorted.size() - 1))];
}

Signer::Signer(const fs::path& dir, const std::string& label, const std::vector<std::string>& key_paths,
               const std::vector<std::string>& extra_args, const std::vector<std::string>& env) {
  std::vector<std::string> argv = {CC_BINARY, "server", "--server-listen-address", "127.0.0.1", "--server-listen-port",
                                   "0", "--metrics-listen-address", "127.0.0.1", "--metrics-listen-port", "0",
                                   "--signer-state-path", (dir / ("state-" + label)).string()};
  for (const auto& p : key_paths) argv.insert(argv.end(), {"--key-sources-filesystem-paths", p});
  const bool backend_chosen = std::find(extra_args.begin(), extra_args.end(), "--anti-slashing-backend") != extra_args.end();
  if (!backend_chosen) argv.insert(argv.end(), {"--anti-slashing-path", (dir / ("slashing-" + label + ".sqlite")).string()});
  argv.insert(argv.end(), extra_args.begin(), extra_args.end());
  process_ = std::make_unique<test::Process>(argv, env, (dir / ("server-" + label + ".log")).string());
}

Signer::~Signer() { stop(); }

bool Signer::wait_listening(std::chrono::seconds timeout) {
  constexpr std::string_view kNeedle = "listening on http://";
  if (!process_->wait_for_log(std::string(kNeedle), timeout)) {
    std::fprintf(stderr, "signer did not start listening:\n%s\n", process_->log().c_str());
    return false;
  }
  const auto text = process_->log();
  const auto pos = text.find(kNeedle);
  port_ = static_cast<std::uint16_t>(std::stoi(text.substr(text.find(':', pos + kNeedle.size()) + 1)));
  return true;
}

bool Signer::wait_healthy(std::chrono::seconds timeout) {
  test::HttpClient probe("127.0.0.1", port_);
  const auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (probe.get("/healthcheck").status == 200) return true;
    if (!process_->running()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::fprintf(stderr, "signer not healthy:\n%s\n", process_->log().c_str());
  return false;
}

std::vector<std::string> Signer::public_keys() {
  test::HttpClient http("127.0.0.1", port_);
  std::vector<std::string> keys;
  const boost::json::value listed = boost::json::parse(http.get("/api/v1/eth2/publicKeys").body);
  for (const auto& v : listed.as_array()) {
    keys.emplace_back(v.as_string());
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

void Signer::stop() {
  if (process_ && process_->running()) {
    process_->kill(15);
    process_->wait(std::chrono::seconds(30));
  }
}

namespace {

constexpr std::string_view kFixturePassword = "bench-password-1234";

void write_file(const fs::path& path, std::string_view text) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << text;
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::string bare_hex(std::span<const std::uint8_t> bytes) { return to_hex(bytes).substr(2); }

// Writes `count` keystores into `dir`. Standard work factors: one template keystore carries the
// salt and KDF parameters; every other keystore reuses its decryption key with its own IV.
void generate_fixtures(const fs::path& dir, const std::string& kdf, std::size_t count) {
  fs::create_directories(dir);
  const bool light = kdf == "light";
  const auto kind = kdf == "pbkdf2" ? crypto::KdfKind::pbkdf2 : crypto::KdfKind::scrypt;
  crypto::KdfParams params = light ? crypto::KdfParams::light(kind) : crypto::KdfParams::standard(kind);
  params.salt.resize(32);
  crypto::fill_random(params.salt);
  auto processed = crypto::normalize_password(kFixturePassword);
  auto decryption_key = crypto::derive_decryption_key(params, processed->span());
  if (!decryption_key) throw std::runtime_error(decryption_key.error().message);
  const auto template_key = crypto::SecretKey::generate();
  const boost::json::value doc = boost::json::parse(crypto::encrypt_keystore(template_key, kFixturePassword, params));

  std::atomic<std::size_t> next{0};
  std::vector<std::thread> workers;
  for (unsigned t = 0; t < cores(); ++t) {
    workers.emplace_back([&] {
      for (std::size_t i = next.fetch_add(1); i < count; i = next.fetch_add(1)) {
        const auto key = crypto::SecretKey::generate();
        Bytes<16> iv{};
        crypto::fill_random(iv);
        Bytes<32> cipher{};
        const auto secret = key.export_secret();
        if (!crypto::aes128_ctr(decryption_key->span(), iv, secret.span(), cipher)) throw std::runtime_error("aes");
        auto checksum = crypto::keystore_checksum(decryption_key->span(), cipher);
        boost::json::value k = doc;
        auto& c = k.at("crypto").as_object();
        c["checksum"].as_object()["message"] = bare_hex(*checksum);
        c["cipher"].as_object()["message"] = bare_hex(cipher);
        c["cipher"].as_object()["params"].as_object()["iv"] = bare_hex(iv);
        k.as_object()["pubkey"] = bare_hex(key.public_key());
        k.as_object()["uuid"] = crypto::random_uuid_v4();
        const std::string name = "keystore-" + bare_hex(key.public_key());
        write_file(dir / (name + ".json"), boost::json::serialize(k));
        write_file(dir / (name + ".txt"), kFixturePassword);
      }
    });
  }
  for (auto& w : workers) w.join();
}

}  // namespace

fs::path keystore_fixtures(const fs::path& cache_root, const std::string& kdf, std::size_t count) {
  const fs::path dir = cache_root / (kdf + "-" + std::to_string(count));
  const fs::path stamp = cache_root / (kdf + "-" + std::to_string(count) + ".complete");  // beside: the key scan sees only keystores
  if (fs::exists(stamp)) return dir;
  fs::remove_all(dir);
  std::fprintf(stderr, "generating %zu %s keystores into %s (kept for later runs)\n", count, kdf.c_str(),
               dir.c_str());
  generate_fixtures(dir, kdf, count);
  write_file(stamp, "");
  return dir;
}

void append_summary(const std::string& path, const std::vector<std::vector<std::string>>& rows) {
  if (path.empty()) return;
  std::ofstream out(path, std::ios::app);
  for (const auto& r : rows) {
    out << "|";
    for (const auto& cell : r) out << " " << cell << " |";
    out << "\n";
  }
}

std::string arg(int argc, char** argv, const std::string& name, const std::string& fallback) {
  for (int i = 1; i + 1 < argc; ++i) {
    if (argv[i] == name) return argv[i + 1];
  }
  return fallback;
}

bool flag(int argc, char** argv, const std::string& name) {
  for (int i = 1; i < argc; ++i) {
    if (argv[i] == name) return true;
  }
  return false;
}

}  // namespace cc::bench
