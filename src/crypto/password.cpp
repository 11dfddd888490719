#include "crypto/password.hpp"

#include <utf8proc.h>

namespace cc::crypto {
namespace {

bool is_control(utf8proc_int32_t cp) { return cp <= 0x1F || (cp >= 0x7F && cp <= 0x9F); }

}  // namespace

Result<SecretBuffer> normalize_password(std::string_view utf8) {
  const auto* in = reinterpret_cast<const utf8proc_uint8_t*>(utf8.data());
  const auto in_len = static_cast<utf8proc_ssize_t>(utf8.size());
  // NFKD == compatibility decomposition + canonical ordering (utf8proc's NFKD flags,
  // without NULLTERM so that an embedded NUL is processed and then stripped).
  const auto options = static_cast<utf8proc_option_t>(UTF8PROC_STABLE | UTF8PROC_DECOMPOSE | UTF8PROC_COMPAT);

  const utf8proc_ssize_t needed = utf8proc_decompose(in, in_len, nullptr, 0, options);
  if (needed < 0) return Error::invalid("password is not valid UTF-8");

  // Code points live in a wiped buffer we own, so no library-allocated copy survives.
  SecretBuffer points(static_cast<std::size_t>(needed) * sizeof(utf8proc_int32_t));
  auto* cps = reinterpret_cast<utf8proc_int32_t*>(points.data());
  const utf8proc_ssize_t count = utf8proc_decompose(in, in_len, cps, needed, options);
  if (count != needed) return Error::internal("password normalisation failed");

  std::size_t out_len = 0;
  for (utf8proc_ssize_t i = 0; i < count; ++i) {
    utf8proc_uint8_t scratch[4];
    if (!is_control(cps[i])) out_len += static_cast<std::size_t>(utf8proc_encode_char(cps[i], scratch));
    secure_zero(scratch, sizeof scratch);
  }
  SecretBuffer out(out_len);
  std::size_t pos = 0;
  for (utf8proc_ssize_t i = 0; i < count; ++i) {
    if (is_control(cps[i])) continue;
    pos += static_cast<std::size_t>(utf8proc_encode_char(cps[i], out.data() + pos));
  }
  return out;
}

}  // namespace cc::crypto
