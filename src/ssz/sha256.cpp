// OpenSSL 3 marks the SHA256_Init/Update/Final interface deprecated, but it is about twice as
// fast as EVP for 64-byte inputs (no provider dispatch: ~95 ns against ~185 ns per node on the
// reference machine). Use it where the library still ships it and fall back to EVP with a
// per-thread context otherwise.
#define OPENSSL_SUPPRESS_DEPRECATED 1
#include "ssz/sha256.hpp"

#include <openssl/evp.h>
#include <openssl/opensslconf.h>
#include <openssl/sha.h>

#include <exception>
#include <memory>

namespace cc::ssz {
namespace {

#if defined(OPENSSL_NO_DEPRECATED_3_0)

const EVP_MD* sha256_md() {
  static EVP_MD* md = [] {
    EVP_MD* m = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (m == nullptr) std::terminate();
    return m;
  }();
  return md;
}

struct ContextDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};

Root digest(const std::uint8_t* a, std::size_t a_len, const std::uint8_t* b, std::size_t b_len) {
  thread_local std::unique_ptr<EVP_MD_CTX, ContextDeleter> ctx(EVP_MD_CTX_new());
  Root out;
  unsigned int out_len = 0;
  if (!ctx || EVP_DigestInit_ex2(ctx.get(), sha256_md(), nullptr) != 1 || EVP_DigestUpdate(ctx.get(), a, a_len) != 1 ||
      (b_len != 0 && EVP_DigestUpdate(ctx.get(), b, b_len) != 1) ||
      EVP_DigestFinal_ex(ctx.get(), out.data(), &out_len) != 1 || out_len != out.size()) {
    std::terminate();
  }
  return out;
}

#else

Root digest(const std::uint8_t* a, std::size_t a_len, const std::uint8_t* b, std::size_t b_len) {
  SHA256_CTX ctx;
  Root out;
  if (SHA256_Init(&ctx) != 1 || SHA256_Update(&ctx, a, a_len) != 1 ||
      (b_len != 0 && SHA256_Update(&ctx, b, b_len) != 1) || SHA256_Final(out.data(), &ctx) != 1) {
    std::terminate();
  }
  return out;
}

#endif

}  // namespace

Root sha256(std::span<const std::uint8_t> data) { return digest(data.data(), data.size(), nullptr, 0); }

Root hash_pair(const Root& left, const Root& right) {
  return digest(left.data(), left.size(), right.data(), right.size());
}

}  // namespace cc::ssz
