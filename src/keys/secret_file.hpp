#pragma once
// Reads a small secret file (a keystore password) straight into a wiped buffer, without
// iostream buffers that would keep copies. Thread-safe. Errors name the file and the
// system error, never its content.
#include <filesystem>

#include "core/result.hpp"
#include "crypto/secret_buffer.hpp"

namespace cc::keys {

// The file's bytes, minus one trailing "\n" or "\r\n" (Web3Signer password-file convention:
// other whitespace is part of the password). Files over 64 KiB are refused.
Result<crypto::SecretBuffer> read_password_file(const std::filesystem::path& path);

}  // namespace cc::keys
