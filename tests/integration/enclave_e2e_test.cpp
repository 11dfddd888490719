// Nitro mode end to end, everything real but the hardware: the real binary as controller and as
// enclave; the enclave reaches dynalite (signer state and key table), the KMS simulator and a
// PostgreSQL server (anti-slashing) only through its egress forwarders, the parent's proxies and
// emulated vsock; it proves itself with documents from the simulated NSM; and the operator CLI and
// a signing client accept it only by attestation (aTLS with the expected PCR0/PCR8).
//
// Name resolution is real too: the controller runs in a mount namespace whose /etc/hosts names
// the test's services (the "outside world" of the parent), and the enclave gets a private /etc in
// which it writes /etc/hosts for its egress names, as in a real enclave (fake-nitro-cli with
// CC_FAKE_NITRO_PRIVATE_ETC). That needs root and unshare; elsewhere the test says why it skips.
#include <gtest/gtest.h>
#include <unistd.h>

#include <boost/json.hpp>
#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "../support/process.hpp"
#include "app/signer_client.hpp"
#include "chamber_rig.hpp"
#include "nsm_simulator.hpp"
#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

namespace http = boost::beast::http;

std::string read_all(const std::filesystem::path& p) {
  std::ifstream in(p);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string port_of(const std::string& text, const std::regex& pattern) {
  std::smatch m;
  return std::regex_search(text, m, pattern) ? m[1].str() : "";
}

// `name` found on PATH (Process and run_command exec without a search); empty when absent.
std::string program(const std::string& name) {
  const char* path = std::getenv("PATH");
  std::stringstream dirs(path != nullptr ? path : "/usr/bin:/bin");
  for (std::string d; std::getline(dirs, d, ':');) {
    const auto candidate = std::filesystem::path(d) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
  }
  return "";
}

std::string why_no_namespaces() {
  if (::geteuid() != 0) return "needs root (a mount namespace per process for /etc/hosts)";
  if (program("unshare").empty()) return "needs unshare (util-linux)";
  if (run_command({program("unshare"), "-m", "/bin/true"}).first != 0) return "unshare -m does not work here";
  return "";
}

std::string hex(const ByteVector& b) {
  return to_hex(b).substr(2);
}

// The parent side of one enclave run: the controller in its own mount namespace, the enclave it
// starts, and the logs of both. Terminates the enclave when it goes.
class Pod {
 public:
  Pod(const std::filesystem::path& dir, const std::filesystem::path& config, const std::filesystem::path& nsm_socket,
      const std::string& ingress, const std::vector<std::string>& env)
      : dir_(dir), earlier_(enclave_logs()) {
    const auto eif = dir / "containment-chamber.eif";
    std::ofstream(eif) << "exec " << binary_path() << " enclave --boot-timeout-seconds 60 --nsm-device "
                       << nsm_socket.string() << " --web-identity-token-file " << (dir / "enclave-token").string()
                       << "\n";
    std::vector<std::string> e = env;
    e.push_back("CC_VSOCK_EMULATION=" + (dir / "vsock").string() + ":3");
    e.push_back("CC_FAKE_NITRO_DIR=" + (dir / "nitro").string());
    e.push_back("CC_FAKE_NITRO_PRIVATE_ETC=1");
    controller_ = std::make_unique<Process>(
        std::vector<std::string>{program("unshare"), "-m", "/bin/sh", "-c", "mount --bind \"$0\" /etc/hosts && exec \"$@\"",
                                 (dir / "parent-hosts").string(), binary_path(), "controller", "-c", config.string(),
                                 "--eif-path", eif.string(), "--nitro-cli", nitro_cli(), "--enclave-cid", "17",
                                 "--listen-address", "127.0.0.1", "--ingress", ingress,
                                 "--enclave-id-file", (dir / "enclave.id").string()},
        e, (dir / ("controller-" + std::to_string(++runs_) + ".log")).string());
  }
  ~Pod() {
    if (controller_->running()) {
      controller_->kill(SIGTERM);  // the controller terminates its enclave
      controller_->wait(std::chrono::seconds(30));
    }
    run_command({nitro_cli(), "terminate-enclave", "--all"}, {"CC_FAKE_NITRO_DIR=" + (dir_ / "nitro").string()});
  }

  static std::string nitro_cli() { return std::string(CC_SOURCE_DIR) + "/tests/support/fake-nitro-cli"; }

  // What this pod's enclave printed so far.
  std::string enclave_log() const {
    std::string out;
    for (const auto& f : enclave_logs()) {
      if (!earlier_.contains(f)) out += read_all(f);
    }
    return out;
  }
  bool wait_for_enclave_log(const std::string& needle, std::chrono::seconds within) const {
    const auto until = std::chrono::steady_clock::now() + within;
    while (std::chrono::steady_clock::now() < until) {
      if (enclave_log().find(needle) != std::string::npos) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    return false;
  }
  Process& controller() { return *controller_; }

 private:
  std::set<std::filesystem::path> enclave_logs() const {
    std::set<std::filesystem::path> out;
    if (!std::filesystem::exists(dir_ / "nitro")) return out;
    for (const auto& f : std::filesystem::directory_iterator(dir_ / "nitro")) {
      if (f.path().extension() == ".log") out.insert(f.path());
    }
    return out;
  }

  std::filesystem::path dir_;
  std::set<std::filesystem::path> earlier_;  // logs of enclaves of earlier pods
  std::unique_ptr<Process> controller_;
  static inline int runs_ = 0;
};

TEST(EnclaveEndToEnd, AttestedSignerBehindTheControllerSignsRefusesADoubleVoteAndUnsealsOnlyAsTheAllowedImage) {
  if (const auto why = why_no_namespaces(); !why.empty()) GTEST_SKIP() << why;
  ChamberRig rig("enclave-e2e");
  ASSERT_TRUE(rig.start());
  const auto& dir = rig.dir();
  PgServer pg(dir / "pg");
  ASSERT_TRUE(pg.run("start"));
  tee::test::NsmSimulator nsm((dir / "nsm.sock").string());
  const ByteVector pcr0 = nsm.pcrs().at(0), pcr8 = nsm.pcrs().at(8);

  // KMS releases shares only to an enclave running this image (PCR0) signed by this key (PCR8).
  auto& kms = rig.kms();
  kms.trust_attestation_root(nsm.pki().root_der());
  for (const auto& arn : rig.arns()) {
    aws::test::KmsKeyPolicy policy;
    policy.allow = {{"*", {"*"}}};
    policy.decrypt_requires_pcrs = {{0, pcr0}, {8, pcr8}};
    kms.set_policy(arn, policy);
  }
  const auto dynamo_port = port_of(rig.endpoint(), std::regex(":(\\d+)$"));
  const auto kms_port = port_of(kms.url(), std::regex(":(\\d+)$"));
  const auto pg_port = port_of(pg.conninfo(), std::regex("port=(\\d+)"));
  ASSERT_FALSE(dynamo_port.empty() || kms_port.empty() || pg_port.empty());

  // The parent's view of the world, and the configuration both sides run.
  std::ofstream(dir / "parent-hosts") << "127.0.0.1 localhost\n127.0.0.1 dynamodb.test kms.test postgres.test\n";
  const auto http_port = free_tcp_port(), tls_port = free_tcp_port(), metrics_port = free_tcp_port(), ingress = free_tcp_port(),
             ingress_http = free_tcp_port();
  // The enclave serves once its vsock twin of the aTLS port forwards (the last thing it opens).
  const std::string serving = "forwarder: vsock:any:" + std::to_string(tls_port) + " ";
  // The pod's ports: aTLS, and plain HTTP for the probes.
  const std::string ports = std::to_string(ingress) + ":" + std::to_string(tls_port) + "," +
                            std::to_string(ingress_http) + ":" + std::to_string(http_port);
  const auto config = dir / "config.yaml";
  std::ofstream(config) << "network: mainnet\n"
                        << "server: {listen_address: 127.0.0.1, listen_port: " << http_port << "}\n"
                        << "metrics: {listen_address: 127.0.0.1, listen_port: " << metrics_port << "}\n"
                        << "tls: {mode: atls, listen_port: " << tls_port << "}\n"
                        << "tee:\n  platform: nitro\n  nitro:\n    aws: {region: us-east-1}\n    egress:\n"
                        << "      endpoints:\n"
                        << "        - {hostname: dynamodb.test, port: " << dynamo_port
                        << ", loopback: 127.77.0.1, vsock_port: 8001}\n"
                        << "        - {hostname: kms.test, port: " << kms_port
                        << ", loopback: 127.77.0.2, vsock_port: 8002}\n"
                        << "        - {hostname: postgres.test, port: " << pg_port
                        << ", loopback: 127.77.0.3, vsock_port: 8003}\n"
                        << "aws:\n  endpoints: {dynamodb: 'http://dynamodb.test:" << dynamo_port
                        << "', kms: 'http://kms.test:" << kms_port << "'}\n"
                        << "signer_state: {backend: dynamodb, table: state}\n"
                        << "key_sources: {dynamodb: {table: keys}}\n"
                        << "chamber: {keys: {generate: {enabled: true}}}\n"
                        << "anti_slashing: {backend: postgres, url: 'host=postgres.test port=" << pg_port
                        << " user=postgres dbname=postgres sslmode=disable'}\n";
  const auto root_pem = dir / "nsm-root.der";
  {
    const auto& der = nsm.pki().root_der();
    std::ofstream(root_pem, std::ios::binary).write(reinterpret_cast<const char*>(der.data()),
                                                    static_cast<std::streamsize>(der.size()));
  }
  const std::string url = "https://127.0.0.1:" + std::to_string(ingress);
  const std::vector<std::string> attested = {"--signer-url",   url,       "--expected-pcr0",  hex(pcr0),
                                             "--expected-pcr8", hex(pcr8), "--attestation-root", root_pem.string()};
  auto op = [&](std::vector<std::string> a, const std::vector<std::string>& connection) {
    std::vector<std::string> argv = {binary_path(), "operator"};
    argv.insert(argv.end(), a.begin(), a.end());
    argv.insert(argv.end(), connection.begin(), connection.end());
    return run_command(argv);
  };
  app::SignerClientOptions client;
  client.url = url;
  client.expected_pcrs = {{0, pcr0}, {8, pcr8}};
  client.attestation_root = root_pem.string();
  auto sign = [&](const std::string& key, const std::string& body) {
    return app::signer_request(client, {http::verb::post, "/api/v1/eth2/sign/" + key, body});
  };

  // EKS IRSA on the parent: the enclave gets the token's text, and each renewal of the file.
  std::ofstream(dir / "irsa-token") << "token-1\n";
  auto pod_env = rig.env();
  pod_env.push_back("AWS_WEB_IDENTITY_TOKEN_FILE=" + (dir / "irsa-token").string());
  pod_env.push_back("AWS_ROLE_ARN=arn:aws:iam::111122223333:role/signer");

  std::string key;
  {
    Pod pod(dir, config, nsm.socket_path(), ports, pod_env);
    ASSERT_TRUE(pod.wait_for_enclave_log("setup_token=cc-setup-", std::chrono::seconds(60)))
        << pod.controller().log() << pod.enclave_log();
    const auto inside = pod.enclave_log();
    EXPECT_NE(inside.find("egress endpoint(s) mapped in /etc/hosts"), std::string::npos) << inside;
    std::smatch m;
    ASSERT_TRUE(std::regex_search(inside, m, std::regex("setup_token=(cc-setup-[0-9a-f]+)")));
    ASSERT_TRUE(pod.wait_for_enclave_log(serving, std::chrono::seconds(30)))
        << pod.enclave_log();

    // The plain port crosses the parent: probes only.
    HttpClient plain("127.0.0.1", ingress_http);
    EXPECT_EQ(plain.get("/upcheck").status, 200u);
    auto api_refused = plain.post("/api/v1/eth2/sign/0x" + std::string(96, 'a'), attestation(1, 2, 1));
    EXPECT_EQ(api_refused.status, 403u) << api_refused.body;
    EXPECT_NE(api_refused.body.find("aTLS port"), std::string::npos) << api_refused.body;

    // A CA check cannot accept the enclave's self-made certificate; another image is refused.
    auto [ca_code, ca_out] = op({"status", "--auth-token", "x"}, {"--signer-url", url});
    EXPECT_EQ(ca_code, 1) << ca_out;
    EXPECT_NE(ca_out.find("TLS with"), std::string::npos) << ca_out;
    auto wrong = attested;
    wrong[3] = std::string(96, 'e');
    auto [wrong_code, wrong_out] = op({"status", "--auth-token", "x"}, wrong);
    EXPECT_EQ(wrong_code, 1) << wrong_out;
    EXPECT_NE(wrong_out.find("failed attestation"), std::string::npos) << wrong_out;
    EXPECT_NE(wrong_out.find("PCR0"), std::string::npos) << wrong_out;

    // init through aTLS: KMS-only chamber over three KMS keys, reached through the egress pipes.
    auto [init_code, init_out] = op({"init", "--setup-token", m[1], "--kms-key-arns",
                                     rig.arns()[0] + "," + rig.arns()[1] + "," + rig.arns()[2], "--kms-threshold", "2"},
                                    attested);
    ASSERT_EQ(init_code, 0) << init_out << pod.enclave_log();
    std::smatch t;
    ASSERT_TRUE(std::regex_search(init_out, t, std::regex("\"management_token\"\\s*:\\s*\"(cc_token_[^\"]+)\""))) << init_out;
    const std::string token = t[1];
    EXPECT_GE(kms.served("Encrypt"), 3u);
    client.token = token;

    auto [gen_code, gen_out] = op({"keys", "generate", "--count", "1", "--auth-token", token}, attested);
    ASSERT_EQ(gen_code, 0) << gen_out;
    std::smatch k;
    ASSERT_TRUE(std::regex_search(gen_out, k, std::regex("\"pubkey\"\\s*:\\s*\"(0x[0-9a-f]{96})\"")))
        << gen_out;
    key = k[1];

    // The token arrived with the configuration; a renewal on the parent reaches the enclave.
    EXPECT_EQ(read_all(dir / "enclave-token"), "token-1");
    std::ofstream(dir / "irsa-token") << "token-2\n";
    for (int i = 0; i < 200 && read_all(dir / "enclave-token") != "token-2"; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    EXPECT_EQ(read_all(dir / "enclave-token"), "token-2") << pod.controller().log() << pod.enclave_log();

    // Sign over aTLS; the double vote is refused by the record in PostgreSQL, behind the pipes.
    std::optional<Result<app::SignerResponse>> first;
    for (int i = 0; i < 100; ++i) {  // the key table refresh makes the new key visible
      first = sign(key, attestation(1, 2, 1));
      if (!*first || (*first)->status != 404) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(*first) << first->error().message;
    EXPECT_EQ((*first)->status, 200u) << (*first)->body;
    auto double_vote = sign(key, attestation(1, 2, 7));
    ASSERT_TRUE(double_vote) << double_vote.error().message;
    EXPECT_EQ(double_vote->status, 412u) << double_vote->body;
    auto rows = run_command({program("psql"), "-At", "-c", "SELECT count(*) FROM cc_attestations",
                             "host=127.0.0.1 port=" + pg_port + " user=postgres dbname=postgres"});
    if (rows.first == 0) {
      EXPECT_EQ(rows.second.substr(0, 1), "1") << "one attestation recorded: " << rows.second;
    }
  }

  // Restart: the KMS-only chamber unseals by itself, because KMS releases each share to this
  // enclave's attested key (a Decrypt without the attestation would be refused by the policy).
  const auto decrypts = kms.served("Decrypt");
  {
    Pod pod(dir, config, nsm.socket_path(), ports, rig.env());
    ASSERT_TRUE(pod.wait_for_enclave_log("seal: chamber unsealed", std::chrono::seconds(60)))
        << pod.controller().log() << pod.enclave_log();
    EXPECT_GE(kms.served("Decrypt"), decrypts + 2);
    ASSERT_TRUE(pod.wait_for_enclave_log(serving, std::chrono::seconds(30)))
        << pod.enclave_log();
    std::optional<Result<app::SignerResponse>> next;
    for (int i = 0; i < 100; ++i) {
      next = sign(key, attestation(2, 3, 1));
      if (!*next || (*next)->status != 404) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ASSERT_TRUE(*next) << next->error().message;
    EXPECT_EQ((*next)->status, 200u) << (*next)->body << pod.enclave_log();
    auto again = sign(key, attestation(1, 2, 9));
    ASSERT_TRUE(again);
    EXPECT_EQ(again->status, 412u) << again->body;
  }

  // Another image (PCR0) gets nothing from KMS: the chamber stays sealed and signing answers 503;
  // a client expecting the real image refuses the new one.
  nsm.set_pcr(0, ByteVector(48, 0x5e));
  {
    Pod pod(dir, config, nsm.socket_path(), ports, rig.env());
    ASSERT_TRUE(pod.wait_for_enclave_log("seal: chamber", std::chrono::seconds(60))) << pod.enclave_log();
    ASSERT_TRUE(pod.wait_for_enclave_log(serving, std::chrono::seconds(30)))
        << pod.enclave_log();
    const auto inside = pod.enclave_log();
    EXPECT_NE(inside.find("kms:RecipientAttestation:PCR0"), std::string::npos) << inside;
    auto refused = sign(key, attestation(3, 4, 1));
    ASSERT_FALSE(refused);
    EXPECT_NE(refused.error().message.find("PCR0"), std::string::npos) << refused.error().message;
    client.expected_pcrs[0] = ByteVector(48, 0x5e);
    auto sealed = sign(key, attestation(3, 4, 1));
    ASSERT_TRUE(sealed) << sealed.error().message;
    EXPECT_EQ(sealed->status, 503u) << sealed->body;
  }
}

}  // namespace
}  // namespace cc::test
