#include "tee/recipient.hpp"

#include "tee/openssl_util.hpp"

#include <openssl/bio.h>
#include <openssl/cms.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace cc::tee {

namespace {

const auto openssl_error = ossl::last_error;

}  // namespace

struct RecipientKey::Key {
  EVP_PKEY* pkey = nullptr;
  ~Key() { EVP_PKEY_free(pkey); }
};

RecipientKey::RecipientKey(std::unique_ptr<Key> key, ByteVector spki) : key_(std::move(key)), spki_(std::move(spki)) {}
RecipientKey::RecipientKey(RecipientKey&&) noexcept = default;
RecipientKey& RecipientKey::operator=(RecipientKey&&) noexcept = default;
RecipientKey::~RecipientKey() = default;

Result<RecipientKey> RecipientKey::generate() {
  auto key = std::make_unique<Key>();
  key->pkey = EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(2048));
  if (key->pkey == nullptr) return Error::internal("recipient key: " + openssl_error());
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key->pkey, &der);
  if (n <= 0) return Error::internal("recipient key: " + openssl_error());
  ByteVector spki(der, der + n);
  OPENSSL_free(der);
  return RecipientKey(std::move(key), std::move(spki));
}

Result<ByteVector> RecipientKey::open(const ByteVector& enveloped_der) const {
  const unsigned char* p = enveloped_der.data();
  CMS_ContentInfo* cms = d2i_CMS_ContentInfo(nullptr, &p, static_cast<long>(enveloped_der.size()));
  if (cms == nullptr) return Error::invalid("CiphertextForRecipient is not a CMS structure: " + openssl_error());
  if (OBJ_obj2nid(CMS_get0_type(cms)) != NID_pkcs7_enveloped) {
    CMS_ContentInfo_free(cms);
    return Error::invalid("CiphertextForRecipient is not CMS EnvelopedData");
  }
  BIO* out = BIO_new(BIO_s_mem());
  // CMS_DEBUG_DECRYPT: report a key that does not fit instead of decrypting with a random one.
  const int ok = CMS_decrypt(cms, key_->pkey, nullptr, nullptr, out, CMS_DEBUG_DECRYPT | CMS_BINARY);
  CMS_ContentInfo_free(cms);
  if (ok != 1) {
    BIO_free(out);
    return Error::invalid("CiphertextForRecipient does not open with this enclave's key: " + openssl_error());
  }
  char* data = nullptr;
  const long n = BIO_get_mem_data(out, &data);
  ByteVector plain(reinterpret_cast<unsigned char*>(data), reinterpret_cast<unsigned char*>(data) + n);
  secure_zero(data, static_cast<std::size_t>(n));
  BIO_free(out);
  return plain;
}

}  // namespace cc::tee
