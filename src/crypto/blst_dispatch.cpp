#include "crypto/blst_dispatch.hpp"

#include <cstdlib>
#include <string_view>

#include "crypto/bls.hpp"

#if defined(__x86_64__)
#include <cpuid.h>
#endif

#if defined(CC_BLST_HAVE_ADX)
// The ADX build of blst, its symbols renamed by cmake/blst.cmake to blstadx_<upstream name>.
// Declared with the upstream types so a signature change in blst.h breaks the build here.
extern "C" {
decltype(::blst_keygen) blstadx_blst_keygen;
decltype(::blst_sk_check) blstadx_blst_sk_check;
decltype(::blst_sk_to_pk_in_g1) blstadx_blst_sk_to_pk_in_g1;
decltype(::blst_sign_pk_in_g1) blstadx_blst_sign_pk_in_g1;
decltype(::blst_scalar_from_bendian) blstadx_blst_scalar_from_bendian;
decltype(::blst_bendian_from_scalar) blstadx_blst_bendian_from_scalar;
decltype(::blst_hash_to_g2) blstadx_blst_hash_to_g2;
decltype(::blst_p1_uncompress) blstadx_blst_p1_uncompress;
decltype(::blst_p1_compress) blstadx_blst_p1_compress;
decltype(::blst_p1_affine_is_inf) blstadx_blst_p1_affine_is_inf;
decltype(::blst_p1_affine_in_g1) blstadx_blst_p1_affine_in_g1;
decltype(::blst_p2_uncompress) blstadx_blst_p2_uncompress;
decltype(::blst_p2_compress) blstadx_blst_p2_compress;
decltype(::blst_p2_affine_in_g2) blstadx_blst_p2_affine_in_g2;
decltype(::blst_core_verify_pk_in_g1) blstadx_blst_core_verify_pk_in_g1;
}
#endif

namespace cc::crypto {
namespace {

constexpr BlstBackend kPortable{
    .name = "portable",
    .keygen = &::blst_keygen,
    .sk_check = &::blst_sk_check,
    .sk_to_pk_in_g1 = &::blst_sk_to_pk_in_g1,
    .sign_pk_in_g1 = &::blst_sign_pk_in_g1,
    .scalar_from_bendian = &::blst_scalar_from_bendian,
    .bendian_from_scalar = &::blst_bendian_from_scalar,
    .hash_to_g2 = &::blst_hash_to_g2,
    .p1_uncompress = &::blst_p1_uncompress,
    .p1_compress = &::blst_p1_compress,
    .p1_affine_is_inf = &::blst_p1_affine_is_inf,
    .p1_affine_in_g1 = &::blst_p1_affine_in_g1,
    .p2_uncompress = &::blst_p2_uncompress,
    .p2_compress = &::blst_p2_compress,
    .p2_affine_in_g2 = &::blst_p2_affine_in_g2,
    .core_verify_pk_in_g1 = &::blst_core_verify_pk_in_g1,
};

#if defined(CC_BLST_HAVE_ADX)
constexpr BlstBackend kAdx{
    .name = "adx",
    .keygen = &blstadx_blst_keygen,
    .sk_check = &blstadx_blst_sk_check,
    .sk_to_pk_in_g1 = &blstadx_blst_sk_to_pk_in_g1,
    .sign_pk_in_g1 = &blstadx_blst_sign_pk_in_g1,
    .scalar_from_bendian = &blstadx_blst_scalar_from_bendian,
    .bendian_from_scalar = &blstadx_blst_bendian_from_scalar,
    .hash_to_g2 = &blstadx_blst_hash_to_g2,
    .p1_uncompress = &blstadx_blst_p1_uncompress,
    .p1_compress = &blstadx_blst_p1_compress,
    .p1_affine_is_inf = &blstadx_blst_p1_affine_is_inf,
    .p1_affine_in_g1 = &blstadx_blst_p1_affine_in_g1,
    .p2_uncompress = &blstadx_blst_p2_uncompress,
    .p2_compress = &blstadx_blst_p2_compress,
    .p2_affine_in_g2 = &blstadx_blst_p2_affine_in_g2,
    .core_verify_pk_in_g1 = &blstadx_blst_core_verify_pk_in_g1,
};
#endif

bool force_portable_requested() {
  const char* value = std::getenv("CC_BLST_FORCE_PORTABLE");
  return value != nullptr && std::string_view(value) == "1";
}

}  // namespace

const BlstBackend& portable_blst() {
  return kPortable;
}

const BlstBackend* adx_blst() {
#if defined(CC_BLST_HAVE_ADX)
  return &kAdx;
#else
  return nullptr;
#endif
}

bool cpu_has_adx_bmi2() {
#if defined(__x86_64__)
  constexpr unsigned kSsse3 = 1u << 9;  // leaf 1 ECX
  constexpr unsigned kBmi2 = 1u << 8;   // leaf 7 EBX
  constexpr unsigned kAdx = 1u << 19;   // leaf 7 EBX
  unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
  if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx) || (ecx & kSsse3) == 0) return false;
  if (!__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx)) return false;
  return (ebx & kBmi2) != 0 && (ebx & kAdx) != 0;
#else
  return false;
#endif
}

const BlstBackend& choose_blst(bool cpu_has_adx_bmi2, bool force_portable) {
  const BlstBackend* adx = adx_blst();
  if (adx != nullptr && cpu_has_adx_bmi2 && !force_portable) return *adx;
  return portable_blst();
}

const BlstBackend& active_blst() {
  // Chosen once; the environment and CPUID do not change under a running process.
  static const BlstBackend& chosen = choose_blst(cpu_has_adx_bmi2(), force_portable_requested());
  return chosen;
}

std::string_view blst_backend() {
  return active_blst().name;
}

}  // namespace cc::crypto
