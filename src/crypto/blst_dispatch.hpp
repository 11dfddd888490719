#pragma once
// BlstBackend is one build of blst seen through the functions this project calls. Two
// builds are linked in on x86-64 (see cmake/blst.cmake): "adx" (mulx/adcx/adox, about 25%
// faster signing, SIGILL on CPUs without ADX and BMI2) and "portable" (mulq, any x86-64 CPU).
// Elsewhere only "portable" exists.
//
// active_blst() picks the backend once, on first use, from CPUID; setting the environment
// variable CC_BLST_FORCE_PORTABLE=1 before start-up forces "portable". The tables are
// immutable, so every function here is thread-safe.
//
// The point and scalar types (blst_p1, blst_scalar, ...) have the same layout in both
// builds, so blst.h still provides them; call blst functions only through a BlstBackend.
#include <blst.h>

#include <string_view>

namespace cc::crypto {

struct BlstBackend {
  std::string_view name;  // "adx" or "portable"
  decltype(&::blst_keygen) keygen;
  decltype(&::blst_sk_check) sk_check;
  decltype(&::blst_sk_to_pk_in_g1) sk_to_pk_in_g1;
  decltype(&::blst_sign_pk_in_g1) sign_pk_in_g1;
  decltype(&::blst_scalar_from_bendian) scalar_from_bendian;
  decltype(&::blst_bendian_from_scalar) bendian_from_scalar;
  decltype(&::blst_hash_to_g2) hash_to_g2;
  decltype(&::blst_p1_uncompress) p1_uncompress;
  decltype(&::blst_p1_compress) p1_compress;
  decltype(&::blst_p1_affine_is_inf) p1_affine_is_inf;
  decltype(&::blst_p1_affine_in_g1) p1_affine_in_g1;
  decltype(&::blst_p2_uncompress) p2_uncompress;
  decltype(&::blst_p2_compress) p2_compress;
  decltype(&::blst_p2_affine_in_g2) p2_affine_in_g2;
  decltype(&::blst_core_verify_pk_in_g1) core_verify_pk_in_g1;
};

// The backend every BLS operation in this process uses.
const BlstBackend& active_blst();

// The portable build; always present.
const BlstBackend& portable_blst();

// The ADX build, or nullptr when this binary has none (not x86-64). Calling it on a CPU
// where cpu_has_adx_bmi2() is false crashes.
const BlstBackend* adx_blst();

// CPUID leaf 7: ADX (EBX bit 19) and BMI2 (EBX bit 8); also leaf 1 SSSE3 (ECX bit 9), which
// the ADX build's SHA-256 uses. False off x86-64.
bool cpu_has_adx_bmi2();

// The choice active_blst() makes, given what it observed; exposed for tests.
const BlstBackend& choose_blst(bool cpu_has_adx_bmi2, bool force_portable);

}  // namespace cc::crypto
