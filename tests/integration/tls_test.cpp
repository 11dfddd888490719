// The HTTPS listener (tls.mode: file): server certificate, client-certificate authentication by
// CA and by pinned fingerprint, and certificate reload on SIGHUP without a restart.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <thread>

#include "../support/https_client.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

// Makes a certificate with the openssl command line tool (the test's own CA, not the code under test).
void openssl(const std::vector<std::string>& args) {
  std::vector<std::string> argv = {"/usr/bin/openssl"};
  argv.insert(argv.end(), args.begin(), args.end());
  auto [code, out] = run_command(argv);
  ASSERT_EQ(code, 0) << out;
}

struct Pki {
  std::filesystem::path dir;
  std::string p(const std::string& name) const { return (dir / name).string(); }
  void make_ca(const std::string& name, const std::string& cn) {
    openssl({"req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2",
             "-subj", "/CN=" + cn, "-keyout", p(name + ".key"), "-out", p(name + ".crt")});
  }
  void make_leaf(const std::string& name, const std::string& ca, const std::string& cn, bool server) {
    openssl({"req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-subj", "/CN=" + cn,
             "-keyout", p(name + ".key"), "-out", p(name + ".csr")});
    std::ofstream(p(name + ".ext")) << (server ? "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n"
                                               : "extendedKeyUsage=clientAuth\n");
    openssl({"x509", "-req", "-in", p(name + ".csr"), "-CA", p(ca + ".crt"), "-CAkey", p(ca + ".key"),
             "-CAcreateserial", "-days", "2", "-extfile", p(name + ".ext"), "-out", p(name + ".crt")});
  }
  std::string fingerprint(const std::string& name) {
    auto [code, out] = run_command({"/usr/bin/openssl", "x509", "-in", p(name + ".crt"), "-noout", "-fingerprint",
                                    "-sha256"});
    EXPECT_EQ(code, 0);
    auto eq = out.find('=');
    auto fp = out.substr(eq + 1);
    while (!fp.empty() && (fp.back() == '\n' || fp.back() == '\r')) fp.pop_back();
    return fp;
  }
};

TEST(Tls, ServesHttpsAndRequiresClientCertificatesSignedByTheClientCa) {
  auto dir = make_temp_dir("tls");
  Pki pki{dir};
  pki.make_ca("ca", "test server CA");
  pki.make_leaf("server", "ca", "127.0.0.1", true);
  pki.make_ca("clientca", "test client CA");
  pki.make_leaf("client", "clientca", "vc", false);
  pki.make_ca("rogueca", "someone else");
  pki.make_leaf("rogue", "rogueca", "vc", false);

  SignerInstance signer(dir, {"--tls-mode", "file", "--tls-listen-port", "0", "--tls-file-cert-path", pki.p("server.crt"),
                              "--tls-file-key-path", pki.p("server.key"), "--tls-file-client-ca-path",
                              pki.p("clientca.crt")});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  const auto port = logged_port(signer.process(), "https");
  auto ok = https_get(port, "/upcheck", pki.p("ca.crt"), pki.p("client.crt"), pki.p("client.key"));
  EXPECT_EQ(ok.status, 200u) << ok.error;
  EXPECT_EQ(ok.body, "OK");
  EXPECT_EQ(https_get(port, "/upcheck", pki.p("ca.crt")).status, 0u) << "no client certificate was accepted";
  EXPECT_EQ(https_get(port, "/upcheck", pki.p("ca.crt"), pki.p("rogue.crt"), pki.p("rogue.key")).status, 0u)
      << "a certificate of another CA was accepted";
  // The plain listener stays up for probes.
  EXPECT_EQ(signer.client().get("/upcheck").status, 200u);
  // Metrics stay plain HTTP whatever tls.mode says.
  EXPECT_EQ(HttpClient("127.0.0.1", signer.metrics_port()).get("/metrics").status, 200u);
  std::filesystem::remove_all(dir);
}

TEST(Tls, PinnedFingerprintsAndReloadOnSighup) {
  auto dir = make_temp_dir("tls");
  Pki pki{dir};
  pki.make_ca("ca", "test server CA");
  pki.make_leaf("server", "ca", "127.0.0.1", true);
  pki.make_ca("client", "pinned self-signed client");  // self-signed: accepted by fingerprint alone
  pki.make_ca("other", "another self-signed client");
  SignerInstance signer(dir, {"--tls-mode", "file", "--tls-listen-port", "0", "--tls-file-cert-path", pki.p("server.crt"),
                              "--tls-file-key-path", pki.p("server.key"), "--tls-file-client-fingerprints",
                              pki.fingerprint("client"), "--tls-file-reload-interval-seconds", "0"});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  const auto port = logged_port(signer.process(), "https");
  EXPECT_EQ(https_get(port, "/upcheck", pki.p("ca.crt"), pki.p("client.crt"), pki.p("client.key")).status, 200u);
  EXPECT_EQ(https_get(port, "/upcheck", pki.p("ca.crt"), pki.p("other.crt"), pki.p("other.key")).status, 0u);

  // Replace the server certificate with one from a new CA and send SIGHUP: new connections see it.
  pki.make_ca("ca2", "rotated server CA");
  pki.make_leaf("server", "ca2", "127.0.0.1", true);
  signer.process().kill(SIGHUP);
  ASSERT_TRUE(signer.process().wait_for_log("TLS certificate reloaded", std::chrono::seconds(10)))
      << signer.process().log();
  EXPECT_EQ(https_get(port, "/upcheck", pki.p("ca2.crt"), pki.p("client.crt"), pki.p("client.key")).status, 200u);
  EXPECT_EQ(https_get(port, "/upcheck", pki.p("ca.crt"), pki.p("client.crt"), pki.p("client.key")).status, 0u);
  // A broken file on reload keeps the working certificate.
  std::ofstream(pki.p("server.key"), std::ios::trunc) << "not a key";
  signer.process().kill(SIGHUP);
  ASSERT_TRUE(signer.process().wait_for_log("reload (SIGHUP) failed", std::chrono::seconds(10)));
  EXPECT_EQ(https_get(port, "/upcheck", pki.p("ca2.crt"), pki.p("client.crt"), pki.p("client.key")).status, 200u);
  EXPECT_TRUE(signer.process().running());
  std::filesystem::remove_all(dir);
}

TEST(Tls, BadCertificateFilesStopStartUpNamingTheFile) {
  auto dir = make_temp_dir("tls");
  std::ofstream(dir / "bad.crt") << "garbage";
  auto [code, out] = run_command({binary_path(), "server", "--anti-slashing-path", (dir / "db.sqlite").string(),
                                  "--signer-state-path", (dir / "state").string(), "--tls-mode", "file", "--tls-file-cert-path", (dir / "bad.crt").string(),
                                  "--tls-file-key-path", (dir / "missing.key").string()});
  EXPECT_NE(code, 0);
  EXPECT_NE(out.find("bad.crt"), std::string::npos) << out;
  std::filesystem::remove_all(dir);
}

// The protocol floor and cipher list (api/tls_context.cpp: TLS 1.2 minimum, ECDHE with AES-GCM
// or ChaCha20-Poly1305 only), seen by a real OpenSSL client: TLS 1.1 and 1.0 (offered with
// SECLEVEL=0 so the client really offers them) and TLS 1.2 without forward secrecy or with CBC
// are refused; TLS 1.2 ECDHE-GCM and TLS 1.3 are accepted.
TEST(Tls, RefusesOldProtocolsAndWeakCiphers) {
  auto dir = make_temp_dir("tls");
  Pki pki{dir};
  pki.make_ca("ca", "test server CA");
  pki.make_leaf("server", "ca", "127.0.0.1", true);
  SignerInstance signer(dir, {"--tls-mode", "file", "--tls-listen-port", "0", "--tls-file-cert-path", pki.p("server.crt"),
                              "--tls-file-key-path", pki.p("server.key")});
  std::string error;
  ASSERT_TRUE(signer.start(error)) << error;
  const auto port = std::to_string(logged_port(signer.process(), "https"));
  auto handshake = [&](const std::string& options) {
    return run_command({"/bin/sh", "-c",
                        "/usr/bin/openssl s_client -brief -connect 127.0.0.1:" + port + " " + options + " </dev/null"});
  };
  for (const std::string refused : {"-tls1_1 -cipher DEFAULT@SECLEVEL=0", "-tls1 -cipher DEFAULT@SECLEVEL=0",
                                    "-tls1_2 -cipher AES128-GCM-SHA256", "-tls1_2 -cipher ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA"}) {
    auto [code, out] = handshake(refused);
    EXPECT_NE(code, 0) << refused << " was accepted:\n" << out;
    EXPECT_EQ(out.find("CONNECTION ESTABLISHED"), std::string::npos) << refused << ":\n" << out;
  }
  for (const std::string accepted : {"-tls1_2 -cipher ECDHE-ECDSA-AES128-GCM-SHA256", "-tls1_2 -cipher ECDHE-ECDSA-CHACHA20-POLY1305", "-tls1_3"}) {
    auto [code, out] = handshake(accepted);
    EXPECT_EQ(code, 0) << accepted << ":\n" << out;
    EXPECT_NE(out.find("CONNECTION ESTABLISHED"), std::string::npos) << accepted << ":\n" << out;
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace cc::test
