#pragma once
// EIP-2335 password processing: NFKD normalisation, then removal of the C0 (U+0000..U+001F),
// Delete (U+007F) and C1 (U+0080..U+009F) control code points, then UTF-8 encoding
// ("Password requirements" in EIP-2335). Space (U+0020) is kept.
//
// Thread-safe (pure function). The result is a SecretBuffer the caller owns; intermediate
// copies are wiped. Fails only on input that is not valid UTF-8; the error never contains
// any part of the password.
#include <string_view>

#include "core/result.hpp"
#include "crypto/secret_buffer.hpp"

namespace cc::crypto {

Result<SecretBuffer> normalize_password(std::string_view utf8);

}  // namespace cc::crypto
