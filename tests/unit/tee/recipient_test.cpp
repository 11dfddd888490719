// CiphertextForRecipient as KMS makes it (CMS EnvelopedData, RSAES-OAEP-SHA-256 key transport,
// AES-256-CBC content) opens with the enclave's key and with no other.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "tee/recipient.hpp"

namespace cc::tee {
namespace {

// Encrypts like KMS does for a Recipient (the simulator uses the same construction).
ByteVector envelope_for(const ByteVector& spki, const ByteVector& plaintext) {
  const unsigned char* p = spki.data();
  EVP_PKEY* pub = d2i_PUBKEY(nullptr, &p, static_cast<long>(spki.size()));
  EXPECT_NE(pub, nullptr);
  // A recipient identified by key id needs a certificate for CMS; a throwaway self-signed one
  // carries the public key (KMS's own envelopes name the key by subjectKeyIdentifier too).
  X509* cert = X509_new();
  X509_set_pubkey(cert, pub);
  EVP_PKEY* signer = EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256");
  X509_sign(cert, signer, EVP_sha256());
  BIO* in = BIO_new_mem_buf(plaintext.data(), static_cast<int>(plaintext.size()));
  CMS_ContentInfo* cms = CMS_encrypt(nullptr, nullptr, EVP_aes_256_cbc(), CMS_BINARY | CMS_PARTIAL);
  CMS_RecipientInfo* ri = CMS_add1_recipient_cert(cms, cert, CMS_KEY_PARAM);
  EVP_PKEY_CTX* pctx = CMS_RecipientInfo_get0_pkey_ctx(ri);
  EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_OAEP_PADDING);
  EVP_PKEY_CTX_set_rsa_oaep_md(pctx, EVP_sha256());
  EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256());
  EXPECT_EQ(CMS_final(cms, in, nullptr, CMS_BINARY), 1);
  unsigned char* der = nullptr;
  const int n = i2d_CMS_ContentInfo(cms, &der);
  ByteVector out(der, der + n);
  OPENSSL_free(der);
  CMS_ContentInfo_free(cms);
  BIO_free(in);
  X509_free(cert);
  EVP_PKEY_free(signer);
  EVP_PKEY_free(pub);
  return out;
}

TEST(RecipientKey, OpensWhatWasEncryptedToItAndNothingElse) {
  auto key = RecipientKey::generate();
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_GT(key->public_key_der().size(), 256u);
  const ByteVector share(32, 0x5A);
  auto env = envelope_for(key->public_key_der(), share);
  auto opened = key->open(env);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, share);

  auto other = RecipientKey::generate();
  ASSERT_TRUE(other.ok());
  auto refused = other->open(env);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not open with this enclave's key"), std::string::npos)
      << refused.error().message;

  auto tampered = env;
  tampered[tampered.size() - 5] ^= 1;
  EXPECT_FALSE(key->open(tampered).ok());
  EXPECT_NE(key->open(ByteVector{1, 2, 3}).error().message.find("not a CMS structure"), std::string::npos);
}

}  // namespace
}  // namespace cc::tee
