#pragma once
// Cryptographically secure random bytes from OpenSSL's DRBG (RAND_bytes), used for key
// generation IKM, keystore salts/IVs and UUIDs. Thread-safe. A DRBG failure means the
// process cannot produce keys safely: fill_random() throws std::runtime_error.
#include <cstdint>
#include <span>
#include <string>

namespace cc::crypto {

void fill_random(std::span<std::uint8_t> out);

// RFC 4122 version 4 UUID in canonical lowercase form ("xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx").
std::string random_uuid_v4();

}  // namespace cc::crypto
