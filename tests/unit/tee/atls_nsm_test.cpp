// aTLS with the real attestation path: the certificate's document comes from the (simulated) NSM
// through NsmClient, and the client checks it with AttestationVerifier — chain to the test root,
// ES384 signature, PCR0/PCR8 — before the binding to the certificate's key.
#include <gtest/gtest.h>
#include <openssl/pem.h>

#include <filesystem>
#include <random>

#include "nsm_simulator.hpp"
#include "tee/atls_attestation.hpp"

namespace cc::tee {
namespace {

std::string socket_path() {
  return (std::filesystem::temp_directory_path() / ("cc-nsm-" + std::to_string(std::random_device{}()))).string();
}

struct X509Free {
  void operator()(X509* x) const { X509_free(x); }
};
std::unique_ptr<X509, X509Free> parse(const std::string& pem) {
  BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
  X509* x = PEM_read_bio_X509(bio, nullptr, nullptr, nullptr);
  BIO_free(bio);
  return std::unique_ptr<X509, X509Free>(x);
}

class AtlsWithNsm : public ::testing::Test {
 protected:
  AtlsWithNsm()
      : nsm_(socket_path()),
        client_(std::make_shared<NsmClient>(NsmClient::open(nsm_.socket_path()).value())),
        verifier_(AttestationVerifier::create(nsm_.pki().root_der()).value()) {}

  PcrMap expected() const { return {{0, nsm_.pcrs().at(0)}, {8, nsm_.pcrs().at(8)}}; }

  test::NsmSimulator nsm_;
  std::shared_ptr<NsmClient> client_;
  AttestationVerifier verifier_;
};

TEST_F(AtlsWithNsm, ACertificateFromTheNsmVerifiesWithExpectedPcrs) {
  auto id = make_atls_identity(nsm_attester(client_), "signer.enclave", std::chrono::hours(1));
  ASSERT_TRUE(id) << id.error().message;
  auto cert = parse((*id)->certificate_pem);
  ASSERT_TRUE(cert);
  auto verify = attestation_document_verifier(verifier_, expected(), std::chrono::minutes(5));
  auto ok = verify_atls_certificate(cert.get(), verify);
  EXPECT_TRUE(ok) << ok.error().message;

  // The document inside binds the key: its user_data is the SPKI hash.
  auto document = attestation_of(cert.get()).value();
  auto parsed = parse_attestation_document(document).value();
  EXPECT_EQ(parsed.user_data, (*id)->spki_sha256);
}

TEST_F(AtlsWithNsm, AnotherImageAnotherRootOrAnotherKeyIsRefused) {
  auto id = make_atls_identity(nsm_attester(client_), "signer.enclave", std::chrono::hours(1));
  ASSERT_TRUE(id);
  auto cert = parse((*id)->certificate_pem);

  PcrMap other_image = expected();
  other_image[0] = ByteVector(48, 0x42);
  auto pcr = verify_atls_certificate(cert.get(), attestation_document_verifier(verifier_, other_image));
  ASSERT_FALSE(pcr);
  EXPECT_NE(pcr.error().message.find("PCR0 mismatch"), std::string::npos) << pcr.error().message;

  test::TestNitroPki other_root;
  auto root = verify_atls_certificate(
      cert.get(), attestation_document_verifier(AttestationVerifier::create(other_root.root_der()).value(), {}));
  ASSERT_FALSE(root);
  EXPECT_NE(root.error().message.find("not the trusted root"), std::string::npos) << root.error().message;

  // A genuine NSM document, replayed in a certificate for another key.
  const ByteVector stolen = attestation_of(cert.get()).value();
  auto replay = make_atls_identity([&](const ByteVector&) -> Result<ByteVector> { return stolen; }, "thief",
                                   std::chrono::hours(1));
  ASSERT_TRUE(replay);
  auto replayed = verify_atls_certificate(parse((*replay)->certificate_pem).get(),
                                          attestation_document_verifier(verifier_, expected()));
  ASSERT_FALSE(replayed);
  EXPECT_NE(replayed.error().message.find("not bound to this certificate's key"), std::string::npos);

  // A document without user_data binds nothing.
  const ByteVector unbound = client_->attestation({}).value();
  auto empty = make_atls_identity([&](const ByteVector&) -> Result<ByteVector> { return unbound; }, "unbound",
                                  std::chrono::hours(1));
  ASSERT_TRUE(empty);
  auto no_binding = verify_atls_certificate(parse((*empty)->certificate_pem).get(),
                                            attestation_document_verifier(verifier_, expected()));
  ASSERT_FALSE(no_binding);
  EXPECT_NE(no_binding.error().message.find("no user_data"), std::string::npos);
}

TEST_F(AtlsWithNsm, AnNsmFailureStopsTheIdentity) {
  nsm_.answer_next_with(from_hex("a1654572726f726d496e7465726e616c4572726f72").value());  // {"Error": "InternalError"}
  auto id = make_atls_identity(nsm_attester(client_), "signer.enclave", std::chrono::hours(1));
  ASSERT_FALSE(id);
  EXPECT_NE(id.error().message.find("InternalError"), std::string::npos) << id.error().message;
}

TEST_F(AtlsWithNsm, ThePinnedAwsRootRefusesAnyOtherRoot) {
  // The production client verifier takes the root from the document and accepts it only by
  // AWS's fingerprint: a simulated NSM's test root is refused however valid the document.
  auto id = make_atls_identity(nsm_attester(client_), "signer.enclave", std::chrono::hours(1));
  ASSERT_TRUE(id) << id.error().message;
  auto cert = parse((*id)->certificate_pem);
  auto refused = verify_atls_certificate(cert.get(), aws_nitro_document_verifier(expected()));
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("AWS Nitro"), std::string::npos) << refused.error().message;
}

TEST(PcrHex, NinetySixHexDigits) {
  EXPECT_EQ(parse_pcr_hex("PCR0", std::string(96, 'a')).value(), ByteVector(48, 0xaa));
  EXPECT_EQ(parse_pcr_hex("PCR8", "0x" + std::string(96, '0')).value(), ByteVector(48, 0));
  auto short_one = parse_pcr_hex("PCR0", std::string(64, 'a'));
  ASSERT_FALSE(short_one);
  EXPECT_NE(short_one.error().message.find("PCR0: expected 96 hex digits"), std::string::npos);
  EXPECT_FALSE(parse_pcr_hex("PCR8", std::string(95, 'a') + "g"));
}

}  // namespace
}  // namespace cc::tee
