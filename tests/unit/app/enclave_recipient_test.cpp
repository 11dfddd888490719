// The attested unseal path without an enclave: KmsShareWrapper with the enclave's recipient
// (NsmKmsRecipient over the simulated NSM) against the KMS simulator, whose key policy demands
// kms:RecipientAttestation:PCR0/PCR8 and which trusts the simulated NSM's root. The share comes
// back only encrypted to the attested key, and only to an enclave running the allowed image.
#include "app/enclave_recipient.hpp"

#include <gtest/gtest.h>

#include <filesystem>

#include "aws/https_transport.hpp"
#include "kms_simulator.hpp"
#include "nsm_simulator.hpp"
#include "seal/kms_wrapper.hpp"

namespace cc::app {
namespace {

using namespace std::chrono_literals;

const aws::test::KmsPrincipal kEnclaveRole{"AKIDENCLAVE", "enclave-secret", "", "111122223333", "enclave"};

std::shared_ptr<aws::Transport> transport_for(const aws::test::KmsSimulator& kms) {
  std::vector<std::unique_ptr<aws::CredentialsProvider>> providers;
  providers.push_back(std::make_unique<aws::StaticCredentials>(
      aws::Credentials(kEnclaveRole.access_key_id, kEnclaveRole.secret_access_key, "")));
  aws::HttpsTransportOptions o;
  o.service = "kms";
  o.region = kms.region();
  o.endpoint = kms.url();
  o.credentials = std::make_shared<aws::CredentialChain>(std::move(providers));
  o.attempt_timeout = 2000ms;
  o.max_attempts = 1;
  auto t = aws::HttpsTransport::create(std::move(o));
  EXPECT_TRUE(t.ok()) << t.error().message;
  return std::shared_ptr<aws::Transport>(std::move(*t));
}

class AttestedShares : public ::testing::Test {
 protected:
  AttestedShares()
      : dir_(std::filesystem::temp_directory_path() / ("cc-recipient-" + std::to_string(::getpid()))),
        nsm_sim_((std::filesystem::create_directories(dir_), (dir_ / "nsm.sock").string())) {
    kms_.add_principal(kEnclaveRole);
    kms_.trust_attestation_root(nsm_sim_.pki().root_der());
    key_ = kms_.create_key();
    aws::test::KmsKeyPolicy policy;
    policy.allow = {{"*", {"*"}}};
    const auto& pcrs = nsm_sim_.pcrs();
    policy.decrypt_requires_pcrs = {{0, pcrs.at(0)}, {8, pcrs.at(8)}};
    kms_.set_policy(key_, policy);
    transport_ = transport_for(kms_);
  }
  ~AttestedShares() override { std::filesystem::remove_all(dir_); }

  std::shared_ptr<seal::KmsRecipient> recipient() {
    auto nsm = tee::NsmClient::open(nsm_sim_.socket_path());
    EXPECT_TRUE(nsm.ok()) << nsm.error().message;
    auto r = NsmKmsRecipient::create(std::make_shared<tee::NsmClient>(std::move(*nsm)));
    EXPECT_TRUE(r.ok()) << r.error().message;
    return *r;
  }

  static SecretBytes<32> share() {
    SecretBytes<32> s;
    for (std::size_t i = 0; i < 32; ++i) s.data()[i] = static_cast<std::uint8_t>(0xA0 + i);
    return s;
  }

  std::filesystem::path dir_;
  tee::test::NsmSimulator nsm_sim_;
  aws::test::KmsSimulator kms_{"eu-west-1"};
  std::string key_;
  std::shared_ptr<aws::Transport> transport_;
};

TEST_F(AttestedShares, TheShareComesBackOnlyEncryptedToTheAttestedKey) {
  seal::KmsShareWrapper enclave(transport_, key_, recipient());
  auto blob = enclave.wrap(share(), "share-1");  // Encrypt needs no attestation
  ASSERT_TRUE(blob.ok()) << blob.error().message;
  auto back = enclave.unwrap(*blob, "share-1");
  ASSERT_TRUE(back.ok()) << back.error().message;
  EXPECT_TRUE(std::equal(back->data(), back->data() + 32, share().data()));
  EXPECT_EQ(kms_.served("Decrypt"), 1u);

  // The same role outside an enclave (no recipient) is refused by the key policy.
  seal::KmsShareWrapper outside(transport_, key_);
  auto refused = outside.unwrap(*blob, "share-1");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("requires a Recipient attestation"), std::string::npos)
      << refused.error().message;
  // And the share stays bound to its context with a recipient too.
  EXPECT_FALSE(enclave.unwrap(*blob, "share-2").ok());
}

TEST_F(AttestedShares, AnEnclaveRunningAnotherImageIsRefused) {
  seal::KmsShareWrapper enclave(transport_, key_, recipient());
  auto blob = enclave.wrap(share(), "share-1");
  ASSERT_TRUE(blob.ok()) << blob.error().message;
  nsm_sim_.set_pcr(0, ByteVector(48, 0x66));  // another EIF
  auto refused = enclave.unwrap(*blob, "share-1");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("kms:RecipientAttestation:PCR0"), std::string::npos)
      << refused.error().message;
}

TEST_F(AttestedShares, ADocumentFromAnotherRootIsRefused) {
  seal::KmsShareWrapper enclave(transport_, key_, recipient());
  auto blob = enclave.wrap(share(), "share-1");
  ASSERT_TRUE(blob.ok()) << blob.error().message;
  tee::test::NsmSimulator other((dir_ / "other.sock").string());  // its own test PKI
  kms_.trust_attestation_root(other.pki().root_der());
  auto refused = enclave.unwrap(*blob, "share-1");
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("attestation document is not valid"), std::string::npos)
      << refused.error().message;
}

}  // namespace
}  // namespace cc::app
