#include "tee/atls.hpp"

#include "tee/openssl_util.hpp"

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>

namespace cc::tee {

namespace {

using ossl::BioPtr;
using ossl::Deleter;
using ossl::PkeyPtr;
using ossl::X509Ptr;
using ExtPtr = std::unique_ptr<X509_EXTENSION, Deleter<X509_EXTENSION, X509_EXTENSION_free>>;
using OctetPtr = std::unique_ptr<ASN1_OCTET_STRING, Deleter<ASN1_OCTET_STRING, ASN1_OCTET_STRING_free>>;
using ObjPtr = std::unique_ptr<ASN1_OBJECT, Deleter<ASN1_OBJECT, ASN1_OBJECT_free>>;
const auto openssl_error = ossl::last_error;

Result<ByteVector> spki_sha256(EVP_PKEY* key) {
  unsigned char* der = nullptr;
  const int n = i2d_PUBKEY(key, &der);
  if (n <= 0) return Error::internal("aTLS: cannot encode the public key: " + openssl_error());
  ByteVector digest(SHA256_DIGEST_LENGTH);
  SHA256(der, static_cast<std::size_t>(n), digest.data());
  OPENSSL_free(der);
  return digest;
}

std::string pem_of(BIO* bio) {
  char* data = nullptr;
  const long n = BIO_get_mem_data(bio, &data);
  return std::string(data, static_cast<std::size_t>(n));
}

bool add_extension(X509* cert, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, cert, cert, nullptr, nullptr, 0);
  ExtPtr ext(X509V3_EXT_conf_nid(nullptr, &ctx, nid, value));
  return ext != nullptr && X509_add_ext(cert, ext.get(), -1) == 1;
}

ObjPtr attestation_oid() { return ObjPtr(OBJ_txt2obj(kAttestationExtensionOid, 1)); }

// Holds a client context's verifier (SSL_CTX ex_data, freed with the context).
struct PeerCheck {
  DocumentVerifier verify;
  std::shared_ptr<std::string> last_error;
};

int peer_check_index() {
  static const int index = SSL_CTX_get_ex_new_index(
      0, nullptr, nullptr, nullptr,
      [](void*, void* ptr, CRYPTO_EX_DATA*, int, long, void*) { delete static_cast<PeerCheck*>(ptr); });
  return index;
}

int verify_peer(X509_STORE_CTX* store, void* arg) {
  auto* check = static_cast<PeerCheck*>(arg);
  X509* leaf = X509_STORE_CTX_get0_cert(store);
  auto st = leaf == nullptr ? Status(Error::invalid("the server sent no certificate")) : verify_atls_certificate(leaf, check->verify);
  if (!st) {
    if (check->last_error) *check->last_error = st.error().message;
    X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
    return 0;
  }
  if (check->last_error) check->last_error->clear();
  return 1;
}

}  // namespace

AtlsIdentity::~AtlsIdentity() { secure_zero(private_key_pem.data(), private_key_pem.size()); }

Result<std::unique_ptr<AtlsIdentity>> make_atls_identity(const Attester& attest, const std::string& common_name,
                                                         std::chrono::seconds validity) {
  PkeyPtr key(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", "P-256"));
  if (!key) return Error::internal("aTLS: cannot make a key: " + openssl_error());
  auto binding = spki_sha256(key.get());
  if (!binding) return binding.error();
  auto document = attest(*binding);
  if (!document) return Error{document.error().kind, "aTLS: attestation: " + document.error().message};

  X509Ptr cert(X509_new());
  unsigned char serial[16];
  if (!cert || RAND_bytes(serial, sizeof serial) != 1) return Error::internal("aTLS: " + openssl_error());
  serial[0] &= 0x7F;  // a positive INTEGER
  BIGNUM* bn = BN_bin2bn(serial, sizeof serial, nullptr);
  BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert.get()));
  BN_free(bn);
  X509_set_version(cert.get(), 2);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), static_cast<long>(validity.count()));
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, reinterpret_cast<const unsigned char*>(common_name.c_str()), -1,
                             -1, 0);
  X509_set_issuer_name(cert.get(), name);
  X509_set_pubkey(cert.get(), key.get());
  const std::string san = "DNS:" + common_name;
  if (!add_extension(cert.get(), NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert.get(), NID_ext_key_usage, "serverAuth") ||
      !add_extension(cert.get(), NID_subject_alt_name, san.c_str())) {
    return Error::internal("aTLS: certificate extensions: " + openssl_error());
  }
  // extnValue = DER(OCTET STRING(document)).
  OctetPtr inner(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(inner.get(), document->data(), static_cast<int>(document->size()));
  unsigned char* der = nullptr;
  const int der_len = i2d_ASN1_OCTET_STRING(inner.get(), &der);
  OctetPtr value(ASN1_OCTET_STRING_new());
  ASN1_OCTET_STRING_set(value.get(), der, der_len);
  OPENSSL_free(der);
  auto oid = attestation_oid();
  ExtPtr ext(X509_EXTENSION_create_by_OBJ(nullptr, oid.get(), 0, value.get()));
  if (!ext || X509_add_ext(cert.get(), ext.get(), -1) != 1) {
    return Error::internal("aTLS: attestation extension: " + openssl_error());
  }
  if (X509_sign(cert.get(), key.get(), EVP_sha256()) <= 0) return Error::internal("aTLS: signing: " + openssl_error());

  auto identity = std::make_unique<AtlsIdentity>();
  BioPtr cert_bio(BIO_new(BIO_s_mem()));
  BioPtr key_bio(BIO_new(BIO_s_mem()));
  if (PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
      PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) != 1) {
    return Error::internal("aTLS: PEM: " + openssl_error());
  }
  identity->certificate_pem = pem_of(cert_bio.get());
  identity->private_key_pem = pem_of(key_bio.get());
  char* key_data = nullptr;
  const long key_len = BIO_get_mem_data(key_bio.get(), &key_data);
  secure_zero(key_data, static_cast<std::size_t>(key_len));
  identity->spki_sha256 = std::move(*binding);
  identity->not_after = std::chrono::system_clock::now() + validity;
  return identity;
}

Result<ByteVector> attestation_of(X509* certificate) {
  auto oid = attestation_oid();
  const int at = X509_get_ext_by_OBJ(certificate, oid.get(), -1);
  if (at < 0) {
    return Error::invalid("the server certificate carries no attestation document (not an aTLS certificate: is the "
                          "signer running in an enclave with tls.mode: atls?)");
  }
  const ASN1_OCTET_STRING* value = X509_EXTENSION_get_data(X509_get_ext(certificate, at));
  const unsigned char* p = ASN1_STRING_get0_data(value);
  OctetPtr inner(d2i_ASN1_OCTET_STRING(nullptr, &p, ASN1_STRING_length(value)));
  if (!inner) return Error::invalid("the attestation extension is malformed (not an OCTET STRING)");
  const unsigned char* d = ASN1_STRING_get0_data(inner.get());
  return ByteVector(d, d + ASN1_STRING_length(inner.get()));
}

Status verify_atls_certificate(X509* certificate, const DocumentVerifier& verify) {
  auto document = attestation_of(certificate);
  if (!document) return document.error();
  auto verified = verify(*document);
  if (!verified) return Error{verified.error().kind, "attestation document: " + verified.error().message};
  EVP_PKEY* key = X509_get0_pubkey(certificate);
  if (key == nullptr) return Error::invalid("the server certificate has no public key");
  auto binding = spki_sha256(key);
  if (!binding) return binding.error();
  if (verified->user_data != *binding) {
    return Error::invalid("the attestation document is not bound to this certificate's key (user_data is not the "
                          "SHA-256 of its SubjectPublicKeyInfo): someone else's document");
  }
  return {};
}

void require_atls_peer(SSL_CTX* client, DocumentVerifier verify, std::shared_ptr<std::string> last_error) {
  auto* check = new PeerCheck{std::move(verify), std::move(last_error)};
  SSL_CTX_set_ex_data(client, peer_check_index(), check);  // freed with the context
  SSL_CTX_set_verify(client, SSL_VERIFY_PEER, nullptr);
  SSL_CTX_set_cert_verify_callback(client, verify_peer, check);
}

}  // namespace cc::tee
