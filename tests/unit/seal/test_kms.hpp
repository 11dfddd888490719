#pragma once
// A stand-in for a set of KMS keys behind ShareWrapper, for the chamber's unit tests: per ARN an
// AES-256-GCM key, and a switch that makes a key unavailable. (The real KMS client against the
// KMS simulator is tested in the aws layer and end to end in tests/integration/seal_test.cpp.)
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <atomic>
#include <map>
#include <set>
#include <string>

#include "seal/chamber.hpp"

namespace cc::seal {
namespace {

struct TestKms {
  std::map<std::string, Bytes<32>> keys;
  std::set<std::string> down;
  std::atomic<int> unwraps = 0;  // replicas on several threads unwrap at once
};

class TestWrapper final : public ShareWrapper {
 public:
  TestWrapper(TestKms& kms, std::string arn) : kms_(kms), arn_(std::move(arn)) {}
  std::string key_id() const override { return arn_; }
  Result<ByteVector> wrap(const SecretBytes<32>& share, const std::string& context) override {
    if (kms_.down.count(arn_)) return Error::unavailable("KMS key unavailable");
    ByteVector out(12 + 32 + 16);
    RAND_bytes(out.data(), 12);
    int len = 0;
    auto* ctx = EVP_CIPHER_CTX_new();
    EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, kms_.keys.at(arn_).data(), out.data());
    EVP_EncryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(context.data()),
                      static_cast<int>(context.size()));
    EVP_EncryptUpdate(ctx, out.data() + 12, &len, share.data(), 32);
    EVP_EncryptFinal_ex(ctx, out.data() + 44, &len);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out.data() + 44);
    EVP_CIPHER_CTX_free(ctx);
    return out;
  }
  Result<SecretBytes<32>> unwrap(const ByteVector& blob, const std::string& context) override {
    ++kms_.unwraps;
    if (kms_.down.count(arn_)) return Error::unavailable("KMS key unavailable");
    if (blob.size() != 60) return Error::invalid("InvalidCiphertextException");
    SecretBytes<32> out;
    int len = 0;
    ByteVector tag(blob.begin() + 44, blob.end());
    auto* ctx = EVP_CIPHER_CTX_new();
    EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr, kms_.keys.at(arn_).data(), blob.data());
    EVP_DecryptUpdate(ctx, nullptr, &len, reinterpret_cast<const unsigned char*>(context.data()),
                      static_cast<int>(context.size()));
    EVP_DecryptUpdate(ctx, out.data(), &len, blob.data() + 12, 32);
    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag.data());
    const bool ok = EVP_DecryptFinal_ex(ctx, out.data() + len, &len) == 1;
    EVP_CIPHER_CTX_free(ctx);
    if (!ok) return Error::invalid("InvalidCiphertextException");
    return out;
  }

 private:
  TestKms& kms_;
  std::string arn_;
};

}  // namespace
}  // namespace cc::seal
