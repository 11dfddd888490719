#pragma once
// SHA-256 as merkleization uses it: one-shot digests and the 64-byte "hash two chunks" step.
// Backed by OpenSSL; nothing here allocates, so the signing-root hot path stays heap-free.
// Thread-safe. OpenSSL failures (a broken installation, never bad input) terminate.
#include <cstdint>
#include <span>

#include "core/bytes.hpp"

namespace cc::ssz {

// SHA-256 of arbitrary bytes.
Root sha256(std::span<const std::uint8_t> data);

// SHA-256(left || right): the node hash of a Merkle tree.
Root hash_pair(const Root& left, const Root& right);

}  // namespace cc::ssz
