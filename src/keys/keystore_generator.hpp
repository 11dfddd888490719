#pragma once
// Generates fresh BLS keys as EIP-2335 keystores for the `keys generate` CLI command and for
// tests: keystore-<pubkey hex>.json plus keystore-<pubkey hex>.txt holding the password, both
// mode 0600, in `out_dir` (created with mode 0700 if missing). The pair follows the bulk
// convention that load_filesystem_keys() reads.
//
// Blocking; encrypts on all cores within the default KDF memory budget. Throws
// std::runtime_error naming the path if a file cannot be written (existing files are never
// overwritten) and std::invalid_argument if the password is not valid UTF-8.
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/kdf.hpp"

namespace cc::keys {

// Returns the new public keys as 0x-prefixed hex, in generation order. `light` selects tiny
// KDF parameters (crypto::KdfParams::light) that protect nothing: tests and demos only.
std::vector<std::string> generate_keystores(std::size_t count, const std::string& out_dir, std::string_view password,
                                            crypto::KdfKind kind, bool light);

}  // namespace cc::keys
