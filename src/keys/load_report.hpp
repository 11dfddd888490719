#pragma once
// What a key-loading pass did: how many keys it added, how many were already present, and
// every file it could not load with the reason. Plain values; no secrets ever appear in a
// reason (they name files, fields and checks only).
#include <cstddef>
#include <string>
#include <vector>

namespace cc::keys {

struct LoadFailure {
  std::string file;    // the file (or configured directory) the operator has to fix
  std::string reason;  // e.g. "wrong password or corrupted keystore"
};

struct LoadReport {
  std::size_t loaded = 0;      // keys added to the registry
  std::size_t duplicates = 0;  // keys whose public key was already in the registry
  std::size_t removed = 0;     // keys taken out of the registry (their files were deleted)
  std::size_t unchanged = 0;   // keys kept without decrypting their files again (a reload)
  std::vector<LoadFailure> failures;
  double seconds = 0;
  std::size_t peak_kdf_memory_bytes = 0;  // most KDF memory reserved at once (<= the budget)
  bool stopped = false;                   // FilesystemLoadOptions::stop ended loading early
};

}  // namespace cc::keys
