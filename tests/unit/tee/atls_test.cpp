// aTLS binding with a stand-in attester and verifier (the NSM and the document checks are tested
// on their own): the certificate carries the document, the client accepts it only when the
// document is bound to the key it was shown, and a real TLS handshake follows that verdict.
#include <gtest/gtest.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <future>

#include "tee/atls.hpp"

namespace cc::tee {
namespace {

// A "document" is "DOC" + the binding; the verifier gives the binding back as user_data.
Result<ByteVector> fake_attest(const ByteVector& binding) {
  ByteVector doc = {'D', 'O', 'C'};
  doc.insert(doc.end(), binding.begin(), binding.end());
  return doc;
}
Result<VerifiedDocument> fake_verify(const ByteVector& doc) {
  if (doc.size() < 3 || doc[0] != 'D') return Error::invalid("signature does not verify");
  return VerifiedDocument{ByteVector(doc.begin() + 3, doc.end())};
}

X509* parse_cert(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return x;
}

TEST(Atls, TheCertificateCarriesADocumentBoundToItsKey) {
  auto id = make_atls_identity(fake_attest, "signer.enclave", std::chrono::hours(12));
  ASSERT_TRUE(id.ok()) << id.error().message;
  EXPECT_EQ((*id)->spki_sha256.size(), 32u);
  EXPECT_NE((*id)->private_key_pem.find("PRIVATE KEY"), std::string::npos);
  X509* cert = parse_cert((*id)->certificate_pem);
  ASSERT_NE(cert, nullptr);
  auto doc = attestation_of(cert);
  ASSERT_TRUE(doc.ok()) << doc.error().message;
  EXPECT_EQ(ByteVector(doc->begin() + 3, doc->end()), (*id)->spki_sha256);
  EXPECT_TRUE(verify_atls_certificate(cert, fake_verify).ok());
  X509_free(cert);
}

TEST(Atls, SomeoneElsesDocumentOrNoneIsRefused) {
  auto mine = make_atls_identity(fake_attest, "a", std::chrono::hours(1));
  ASSERT_TRUE(mine.ok());
  // Another key presenting the first one's document (a replayed attestation).
  ByteVector stolen;
  {
    X509* c = parse_cert((*mine)->certificate_pem);
    stolen = *attestation_of(c);
    X509_free(c);
  }
  auto replay = make_atls_identity([&](const ByteVector&) -> Result<ByteVector> { return stolen; }, "b", std::chrono::hours(1));
  ASSERT_TRUE(replay.ok());
  X509* cert = parse_cert((*replay)->certificate_pem);
  auto st = verify_atls_certificate(cert, fake_verify);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("not bound to this certificate's key"), std::string::npos) << st.error().message;
  X509_free(cert);

  auto bad = make_atls_identity([](const ByteVector&) -> Result<ByteVector> { return ByteVector{'X'}; }, "c",
                                std::chrono::hours(1));
  ASSERT_TRUE(bad.ok());
  cert = parse_cert((*bad)->certificate_pem);
  st = verify_atls_certificate(cert, fake_verify);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("attestation document: signature does not verify"), std::string::npos);
  X509_free(cert);

  // A plain self-signed certificate.
  EVP_PKEY* key = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509* plain = X509_new();
  X509_set_pubkey(plain, key);
  X509_sign(plain, key, EVP_sha256());
  st = verify_atls_certificate(plain, fake_verify);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("carries no attestation document"), std::string::npos);
  X509_free(plain);
  EVP_PKEY_free(key);
}

TEST(Atls, AttestationFailureIsNamed) {
  auto id = make_atls_identity([](const ByteVector&) -> Result<ByteVector> { return Error::unavailable("cannot open /dev/nsm"); },
                               "x", std::chrono::hours(1));
  ASSERT_FALSE(id.ok());
  EXPECT_NE(id.error().message.find("aTLS: attestation: cannot open /dev/nsm"), std::string::npos);
}

// A TLS handshake over a socket pair: server with the identity, client requiring aTLS.
std::pair<bool, std::string> handshake(const AtlsIdentity& server_id, const DocumentVerifier& verify) {
  ::signal(SIGPIPE, SIG_IGN);  // a refused handshake closes one end while the other still writes
  int fds[2];
  ::socketpair(AF_UNIX, SOCK_STREAM, 0, fds);
  SSL_CTX* sctx = SSL_CTX_new(TLS_server_method());
  BIO* cb = BIO_new_mem_buf(server_id.certificate_pem.data(), -1);
  BIO* kb = BIO_new_mem_buf(server_id.private_key_pem.data(), -1);
  X509* cert = PEM_read_bio_X509(cb, nullptr, nullptr, nullptr);
  EVP_PKEY* key = PEM_read_bio_PrivateKey(kb, nullptr, nullptr, nullptr);
  SSL_CTX_use_certificate(sctx, cert);
  SSL_CTX_use_PrivateKey(sctx, key);
  SSL_CTX* cctx = SSL_CTX_new(TLS_client_method());
  auto last_error = std::make_shared<std::string>();
  require_atls_peer(cctx, verify, last_error);
  auto server = std::async(std::launch::async, [&] {
    SSL* s = SSL_new(sctx);
    SSL_set_fd(s, fds[0]);
    const int rc = SSL_accept(s);
    SSL_free(s);
    ::close(fds[0]);
    return rc;
  });
  SSL* c = SSL_new(cctx);
  SSL_set_fd(c, fds[1]);
  const bool ok = SSL_connect(c) == 1;
  SSL_free(c);
  ::close(fds[1]);
  server.get();
  SSL_CTX_free(cctx);
  SSL_CTX_free(sctx);
  X509_free(cert);
  EVP_PKEY_free(key);
  BIO_free(cb);
  BIO_free(kb);
  ERR_clear_error();
  return {ok, *last_error};
}

TEST(Atls, TheHandshakeFollowsTheVerdict) {
  auto id = make_atls_identity(fake_attest, "signer", std::chrono::hours(1));
  ASSERT_TRUE(id.ok());
  auto [ok, why] = handshake(**id, fake_verify);
  EXPECT_TRUE(ok) << why;
  auto [refused, reason] = handshake(**id, [](const ByteVector&) -> Result<VerifiedDocument> {
    return Error::invalid("PCR0 does not match");
  });
  EXPECT_FALSE(refused);
  EXPECT_NE(reason.find("PCR0 does not match"), std::string::npos) << reason;
}

}  // namespace
}  // namespace cc::tee
