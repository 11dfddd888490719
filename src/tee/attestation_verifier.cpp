#include "tee/attestation_verifier.hpp"

#include "tee/openssl_util.hpp"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <ctime>
#include <memory>

namespace cc::tee {
namespace {

using ossl::Deleter;
using ossl::X509Ptr;
using StorePtr = std::unique_ptr<X509_STORE, Deleter<X509_STORE, X509_STORE_free>>;
using StoreCtxPtr = std::unique_ptr<X509_STORE_CTX, Deleter<X509_STORE_CTX, X509_STORE_CTX_free>>;
using ossl::PkeyPtr;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, Deleter<EVP_MD_CTX, EVP_MD_CTX_free>>;
using SigPtr = std::unique_ptr<ECDSA_SIG, Deleter<ECDSA_SIG, ECDSA_SIG_free>>;

void free_x509_stack(STACK_OF(X509) * stack) {
  sk_X509_pop_free(stack, X509_free);
}
struct OpenSslFree {
  void operator()(unsigned char* p) const { OPENSSL_free(p); }
};
using X509StackPtr = std::unique_ptr<STACK_OF(X509), Deleter<STACK_OF(X509), free_x509_stack>>;

// A DER certificate that must be consumed entirely.
X509Ptr parse_der(std::span<const std::uint8_t> der) {
  const unsigned char* p = der.data();
  X509Ptr cert(d2i_X509(nullptr, &p, static_cast<long>(der.size())));
  if (cert && p != der.data() + der.size()) return nullptr;
  return cert;
}

// DER, or the first certificate of a PEM text; returns the DER.
Result<ByteVector> to_der(std::span<const std::uint8_t> certificate) {
  constexpr std::string_view kPem = "-----BEGIN";
  const bool pem = certificate.size() >= kPem.size() &&
                   std::equal(kPem.begin(), kPem.end(), reinterpret_cast<const char*>(certificate.data()));
  X509Ptr cert;
  if (pem) {
    std::unique_ptr<BIO, Deleter<BIO, BIO_free_all>> bio(
        BIO_new_mem_buf(certificate.data(), static_cast<int>(certificate.size())));
    if (bio) cert.reset(PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr));
  } else {
    cert = parse_der(certificate);
  }
  if (!cert) return Error::invalid("root certificate: not a DER or PEM X.509 certificate");
  unsigned char* out = nullptr;
  const int length = i2d_X509(cert.get(), &out);
  if (length <= 0) return Error::internal("root certificate: cannot re-encode");
  ByteVector der(out, out + length);
  OPENSSL_free(out);
  return der;
}

std::string sha256_hex(std::span<const std::uint8_t> data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), digest);
  return to_hex(digest).substr(2);
}

const char* chain_position(int depth, std::size_t bundle_size) {
  if (depth == 0) return "the document's certificate";
  if (static_cast<std::size_t>(depth) >= bundle_size) return "the root";
  return "an intermediate of cabundle";
}

Status verify_chain(const AttestationDocument& doc, const ByteVector& root_der, std::time_t at) {
  if (doc.cabundle.empty()) return Error::invalid("attestation payload.cabundle: empty");
  if (doc.cabundle.front() != root_der) {
    return Error::forbidden("attestation chain: cabundle[0] is not the trusted root (SHA-256 " +
                            sha256_hex(doc.cabundle.front()) + ", trusted " + sha256_hex(root_der) + ")");
  }
  X509Ptr root = parse_der(root_der);
  X509Ptr leaf = parse_der(doc.certificate);
  if (!root) return Error::internal("attestation chain: the trusted root does not parse");
  if (!leaf) return Error::invalid("attestation payload.certificate: not a DER X.509 certificate");
  X509StackPtr untrusted(sk_X509_new_null());
  if (!untrusted) throw std::bad_alloc();
  for (std::size_t i = 1; i < doc.cabundle.size(); ++i) {
    X509Ptr cert = parse_der(doc.cabundle[i]);
    if (!cert) {
      return Error::invalid("attestation payload.cabundle[" + std::to_string(i) + "]: not a DER X.509 certificate");
    }
    if (!sk_X509_push(untrusted.get(), cert.get())) throw std::bad_alloc();
    cert.release();  // owned by the stack now
  }
  StorePtr store(X509_STORE_new());
  StoreCtxPtr ctx(X509_STORE_CTX_new());
  if (!store || !ctx || X509_STORE_add_cert(store.get(), root.get()) != 1 ||
      X509_STORE_CTX_init(ctx.get(), store.get(), leaf.get(), untrusted.get()) != 1) {
    return Error::internal("attestation chain: OpenSSL setup failed");
  }
  X509_STORE_CTX_set_time(ctx.get(), 0, at);
  X509_STORE_CTX_set_depth(ctx.get(), static_cast<int>(kMaxCaBundleLength) + 1);
  if (X509_verify_cert(ctx.get()) != 1) {
    const int error = X509_STORE_CTX_get_error(ctx.get());
    const int depth = X509_STORE_CTX_get_error_depth(ctx.get());
    return Error::forbidden(std::string("attestation chain: ") + X509_verify_cert_error_string(error) + " (" +
                            chain_position(depth, doc.cabundle.size()) + ", depth " + std::to_string(depth) + ")");
  }
  return {};
}

// The document's certificate key, when it is an ECDSA P-384 key allowed to sign.
Result<PkeyPtr> signing_key(const AttestationDocument& doc) {
  X509Ptr leaf = parse_der(doc.certificate);
  if (!leaf) return Error::invalid("attestation payload.certificate: not a DER X.509 certificate");
  if ((X509_get_extension_flags(leaf.get()) & EXFLAG_KUSAGE) &&
      !(X509_get_key_usage(leaf.get()) & KU_DIGITAL_SIGNATURE)) {
    return Error::forbidden("attestation certificate: key usage does not allow digitalSignature");
  }
  PkeyPtr key(X509_get_pubkey(leaf.get()));
  char group[64] = {0};
  std::size_t group_length = 0;
  if (!key || EVP_PKEY_get_base_id(key.get()) != EVP_PKEY_EC ||
      EVP_PKEY_get_utf8_string_param(key.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &group_length) != 1 ||
      std::string_view(group, group_length) != SN_secp384r1) {
    return Error::forbidden("attestation certificate: the key is not ECDSA P-384 (ES384)");
  }
  return key;
}

Status verify_signature(const AttestationDocument& doc, EVP_PKEY* key) {
  // COSE carries r || s (RFC 8152 section 8.1); OpenSSL verifies DER ECDSA-Sig-Value.
  const std::size_t half = kEs384SignatureSize / 2;
  SigPtr sig(ECDSA_SIG_new());
  BIGNUM* r = BN_bin2bn(doc.signature.data(), static_cast<int>(half), nullptr);
  BIGNUM* s = BN_bin2bn(doc.signature.data() + half, static_cast<int>(half), nullptr);
  if (!sig || !r || !s || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
    BN_free(r);
    BN_free(s);
    throw std::bad_alloc();
  }
  unsigned char* der = nullptr;
  const int der_length = i2d_ECDSA_SIG(sig.get(), &der);
  if (der_length <= 0) throw std::bad_alloc();
  std::unique_ptr<unsigned char, OpenSslFree> owned(der);

  const ByteVector input = cose_sign1_signature_input(doc.protected_header, doc.payload);
  MdCtxPtr md(EVP_MD_CTX_new());
  if (!md || EVP_DigestVerifyInit(md.get(), nullptr, EVP_sha384(), nullptr, key) != 1) {
    return Error::internal("attestation signature: OpenSSL setup failed");
  }
  if (EVP_DigestVerify(md.get(), der, static_cast<std::size_t>(der_length), input.data(), input.size()) != 1) {
    return Error::forbidden("attestation signature: does not verify with the document's certificate (ES384)");
  }
  return {};
}

Status check_age(const AttestationDocument& doc, const AttestationPolicy& policy) {
  if (!policy.max_age) return {};
  const auto at_ms = std::chrono::duration_cast<std::chrono::milliseconds>(policy.at.time_since_epoch()).count();
  const auto doc_ms = static_cast<std::int64_t>(std::min<std::uint64_t>(doc.timestamp_ms, INT64_MAX));
  const auto distance = at_ms > doc_ms ? at_ms - doc_ms : doc_ms - at_ms;
  if (distance > policy.max_age->count()) {
    return Error::forbidden("attestation timestamp: " + std::to_string(doc.timestamp_ms) + " ms is " +
                            std::to_string(distance) + " ms from the verification time, more than the allowed " +
                            std::to_string(policy.max_age->count()) + " ms");
  }
  return {};
}

Status check_pcrs(const AttestationDocument& doc, const PcrMap& expected) {
  for (const auto& [index, value] : expected) {
    const std::string name = "PCR" + std::to_string(index);
    if (value.size() != kPcrSize) {
      return Error::invalid("expected " + name + ": " + std::to_string(value.size()) + " bytes, expected 48");
    }
    auto found = doc.pcrs.find(index);
    if (found == doc.pcrs.end()) return Error::forbidden("attestation " + name + ": not in the document");
    if (found->second != value) {
      return Error::forbidden("attestation " + name + " mismatch: document has " + to_hex(found->second) +
                              ", expected " + to_hex(value));
    }
  }
  return {};
}

}  // namespace

Status check_aws_nitro_root(std::span<const std::uint8_t> certificate) {
  auto der = to_der(certificate);
  if (!der) return der.error();
  const std::string fingerprint = sha256_hex(*der);
  if (fingerprint != kAwsNitroRootSha256) {
    return Error::forbidden("root certificate: SHA-256 " + fingerprint + " is not the AWS Nitro Enclaves root (" +
                            std::string(kAwsNitroRootSha256) + ")");
  }
  return {};
}

Result<AttestationVerifier> AttestationVerifier::create(std::span<const std::uint8_t> root) {
  auto der = to_der(root);
  if (!der) return der.error();
  return AttestationVerifier(std::move(*der));
}

Result<AttestationVerifier> AttestationVerifier::for_aws_nitro_root(std::span<const std::uint8_t> root) {
  if (auto ok = check_aws_nitro_root(root); !ok) return ok.error();
  return create(root);
}

Result<VerifiedAttestation> AttestationVerifier::verify(std::span<const std::uint8_t> document,
                                                        const AttestationPolicy& policy) const {
  auto parsed = parse_attestation_document(document);
  if (!parsed) return parsed.error();
  return verify(*parsed, policy);
}

Result<VerifiedAttestation> AttestationVerifier::verify(const AttestationDocument& doc,
                                                        const AttestationPolicy& policy) const {
  if (auto ok = verify_chain(doc, root_der_, std::chrono::system_clock::to_time_t(policy.at)); !ok) return ok.error();
  auto key = signing_key(doc);
  if (!key) return key.error();
  if (auto ok = verify_signature(doc, key->get()); !ok) return ok.error();
  if (auto ok = check_age(doc, policy); !ok) return ok.error();
  if (auto ok = check_pcrs(doc, policy.expected_pcrs); !ok) return ok.error();
  return VerifiedAttestation{doc.module_id, doc.timestamp_ms, doc.pcrs, doc.public_key, doc.user_data, doc.nonce};
}

}  // namespace cc::tee
