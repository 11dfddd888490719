// blst backend dispatch: the ADX and portable builds of blst must agree bit for bit on
// keys, signatures and every decoding verdict, accept each other's output, and the
// process must pick ADX exactly when the CPU has it and CC_BLST_FORCE_PORTABLE is unset.
// tests/unit/crypto/CMakeLists.txt also runs BlstDispatch.ActiveBackend* with the
// override set.
#include "crypto/blst_dispatch.hpp"

#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <string_view>
#include <vector>

#include "crypto/bls.hpp"

namespace cc::crypto {
namespace {

constexpr std::string_view kPopDst = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

const byte* dst() {
  return reinterpret_cast<const byte*>(kPopDst.data());
}

// What one backend produces for one key and message, all in compressed/serialised form.
struct Outputs {
  std::array<byte, 32> secret_be{};
  std::array<byte, 48> public_key{};
  std::array<byte, 96> signature{};
  bool operator==(const Outputs&) const = default;
};

Outputs sign_with(const BlstBackend& b, const std::vector<byte>& ikm, const std::vector<byte>& message) {
  Outputs out;
  blst_scalar sk;
  b.keygen(&sk, ikm.data(), ikm.size(), nullptr, 0);
  b.bendian_from_scalar(out.secret_be.data(), &sk);
  blst_p1 pk;
  b.sk_to_pk_in_g1(&pk, &sk);
  b.p1_compress(out.public_key.data(), &pk);
  blst_p2 hash;
  b.hash_to_g2(&hash, message.data(), message.size(), dst(), kPopDst.size(), nullptr, 0);
  blst_p2 sig;
  b.sign_pk_in_g1(&sig, &hash, &sk);
  b.p2_compress(out.signature.data(), &sig);
  return out;
}

// CoreVerify as bls.cpp does it (KeyValidate, signature subgroup check), entirely in `b`.
bool verify_with(const BlstBackend& b, const Outputs& o, const std::vector<byte>& message) {
  blst_p1_affine pk;
  if (b.p1_uncompress(&pk, o.public_key.data()) != BLST_SUCCESS) return false;
  if (b.p1_affine_is_inf(&pk) || !b.p1_affine_in_g1(&pk)) return false;
  blst_p2_affine sig;
  if (b.p2_uncompress(&sig, o.signature.data()) != BLST_SUCCESS) return false;
  if (!b.p2_affine_in_g2(&sig)) return false;
  return b.core_verify_pk_in_g1(&pk, &sig, true, message.data(), message.size(), dst(), kPopDst.size(), nullptr, 0) ==
         BLST_SUCCESS;
}

std::vector<byte> random_bytes(std::mt19937_64& rng, std::size_t n) {
  std::vector<byte> v(n);
  for (auto& x : v) x = static_cast<byte>(rng());
  return v;
}

// The ADX backend, or a skip when this binary or this CPU cannot run it.
const BlstBackend* runnable_adx() {
  if (adx_blst() == nullptr || !cpu_has_adx_bmi2()) return nullptr;
  return adx_blst();
}

TEST(BlstDispatch, AdxAndPortableProduceIdenticalKeysAndSignatures) {
  const BlstBackend* adx = runnable_adx();
  if (adx == nullptr) GTEST_SKIP() << "no ADX build or no ADX/BMI2 on this CPU";
  const BlstBackend& portable = portable_blst();
  std::mt19937_64 rng(20240611);
  for (int i = 0; i < 200; ++i) {
    const auto ikm = random_bytes(rng, 32 + rng() % 33);
    const auto message = random_bytes(rng, rng() % 200);
    const Outputs a = sign_with(*adx, ikm, message);
    const Outputs p = sign_with(portable, ikm, message);
    ASSERT_EQ(a, p) << "case " << i;
  }
}

TEST(BlstDispatch, EachBackendVerifiesTheOthersSignatures) {
  const BlstBackend* adx = runnable_adx();
  if (adx == nullptr) GTEST_SKIP() << "no ADX build or no ADX/BMI2 on this CPU";
  const BlstBackend& portable = portable_blst();
  std::mt19937_64 rng(7);
  for (int i = 0; i < 40; ++i) {
    const auto ikm = random_bytes(rng, 32);
    auto message = random_bytes(rng, 32);
    const Outputs by_adx = sign_with(*adx, ikm, message);
    const Outputs by_portable = sign_with(portable, ikm, message);
    EXPECT_TRUE(verify_with(portable, by_adx, message)) << "case " << i;
    EXPECT_TRUE(verify_with(*adx, by_portable, message)) << "case " << i;
    message[i % message.size()] ^= 1;  // a one-bit change must fail in both
    EXPECT_FALSE(verify_with(portable, by_adx, message)) << "case " << i;
    EXPECT_FALSE(verify_with(*adx, by_portable, message)) << "case " << i;
  }
}

TEST(BlstDispatch, BackendsAgreeOnMalformedInput) {
  const BlstBackend* adx = runnable_adx();
  if (adx == nullptr) GTEST_SKIP() << "no ADX build or no ADX/BMI2 on this CPU";
  const BlstBackend& portable = portable_blst();
  std::mt19937_64 rng(99);
  int g1_decoded = 0, g2_decoded = 0, scalars_valid = 0;
  for (int i = 0; i < 300; ++i) {
    // Random x coordinates with the compression bit set: some decode, the rest are off the
    // curve or not below p.
    auto g1 = random_bytes(rng, 48);
    g1[0] = static_cast<byte>((g1[0] & 0x3f) | 0x80);
    blst_p1_affine pa, pp;
    const BLST_ERROR ea = adx->p1_uncompress(&pa, g1.data());
    ASSERT_EQ(ea, portable.p1_uncompress(&pp, g1.data())) << "G1 case " << i;
    if (ea == BLST_SUCCESS) {
      ++g1_decoded;
      ASSERT_EQ(std::memcmp(&pa, &pp, sizeof pa), 0) << "G1 case " << i;
      ASSERT_EQ(adx->p1_affine_in_g1(&pa), portable.p1_affine_in_g1(&pp)) << "G1 case " << i;
    }

    auto g2 = random_bytes(rng, 96);
    g2[0] = static_cast<byte>((g2[0] & 0x3f) | 0x80);
    g2[48] &= 0x1f;  // the second Fp half has no flag bits; keep it mostly below p
    blst_p2_affine qa, qp;
    const BLST_ERROR fa = adx->p2_uncompress(&qa, g2.data());
    ASSERT_EQ(fa, portable.p2_uncompress(&qp, g2.data())) << "G2 case " << i;
    if (fa == BLST_SUCCESS) {
      ++g2_decoded;
      ASSERT_EQ(std::memcmp(&qa, &qp, sizeof qa), 0) << "G2 case " << i;
      ASSERT_EQ(adx->p2_affine_in_g2(&qa), portable.p2_affine_in_g2(&qp)) << "G2 case " << i;
    }

    // Random scalars: the top byte spans values below and above the curve order r.
    const auto be = random_bytes(rng, 32);
    blst_scalar sa, sp;
    adx->scalar_from_bendian(&sa, be.data());
    portable.scalar_from_bendian(&sp, be.data());
    const bool valid = adx->sk_check(&sa);
    ASSERT_EQ(valid, portable.sk_check(&sp)) << "scalar case " << i;
    scalars_valid += valid ? 1 : 0;
  }
  // Both verdicts were exercised, not only the rejections.
  EXPECT_GT(g1_decoded, 50);
  EXPECT_GT(g2_decoded, 50);
  EXPECT_GT(scalars_valid, 50);
  EXPECT_LT(scalars_valid, 250);
}

TEST(BlstDispatch, ChoiceFollowsCpuAndOverride) {
  EXPECT_EQ(choose_blst(false, false).name, "portable");
  EXPECT_EQ(choose_blst(false, true).name, "portable");
  EXPECT_EQ(choose_blst(true, true).name, "portable");
  EXPECT_EQ(choose_blst(true, false).name, adx_blst() != nullptr ? "adx" : "portable");
}

// Runs twice under ctest: as discovered, and again with CC_BLST_FORCE_PORTABLE=1 where
// ctest additionally requires the printed line to say "portable".
TEST(BlstDispatch, ActiveBackendFollowsCpuAndOverride) {
  const char* force = std::getenv("CC_BLST_FORCE_PORTABLE");
  const bool forced = force != nullptr && std::string_view(force) == "1";
  const bool adx_possible = adx_blst() != nullptr && cpu_has_adx_bmi2();
  std::printf("blst backend: %.*s (cpu adx+bmi2: %s, CC_BLST_FORCE_PORTABLE: %s)\n",
              static_cast<int>(blst_backend().size()), blst_backend().data(), cpu_has_adx_bmi2() ? "yes" : "no",
              forced ? "1" : "unset");
  EXPECT_EQ(blst_backend(), adx_possible && !forced ? "adx" : "portable");
  EXPECT_EQ(&active_blst(), &choose_blst(cpu_has_adx_bmi2(), forced));
}

// The high-level API signs through the active backend and matches the portable build.
TEST(BlstDispatch, ActiveBackendSignsLikePortable) {
  const SecretKey sk = SecretKey::generate();
  const SecretBytes<32> be = sk.export_secret();
  blst_scalar scalar;
  portable_blst().scalar_from_bendian(&scalar, be.data());
  Root root{};
  root[0] = 0x5a;
  blst_p2 hash;
  portable_blst().hash_to_g2(&hash, root.data(), root.size(), dst(), kPopDst.size(), nullptr, 0);
  blst_p2 sig;
  portable_blst().sign_pk_in_g1(&sig, &hash, &scalar);
  BlsSignature expected{};
  portable_blst().p2_compress(expected.data(), &sig);
  EXPECT_EQ(sk.sign(root), expected);
  EXPECT_TRUE(verify(sk.public_key(), root, expected));
}

}  // namespace
}  // namespace cc::crypto
