#pragma once
// Finds the keys configured in one directory, following Web3Signer's two conventions
// (non-recursive; dot-files, including Kubernetes' "..data" links, are skipped):
//
//  (a) YAML descriptors *.yaml / *.yml, possibly multi-document, each document one of
//        {type: file-keystore, keystoreFile: <path>, keystorePasswordFile: <path>}
//        {type: file-raw, privateKey: 0x<32 bytes hex>}
//      Relative paths resolve against the descriptor's directory. Any other `type` (or a
//      `keyType` other than BLS) fails that document only. Either form may say `canary: true`:
//      the key is an intrusion tripwire, listed but never used to sign (keys/registry.hpp).
//  (b) EIP-2335 keystores *.json with the password in <same stem>.txt beside them. A .json
//      that a descriptor in the same directory names is left to that descriptor.
//
// scan_key_directory() reads descriptors only (cheap); keystores and password files are read
// later by the loader, in parallel. It never throws for bad input: each unusable file or
// document becomes a LoadFailure. Thread-safe (no shared state). Raw private keys are held
// in SecretBytes (wiped); yaml-cpp's own copy of the descriptor text cannot be wiped, which
// is inherent to keeping keys in plaintext files.
#include <filesystem>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "keys/load_report.hpp"

namespace cc::keys {

struct KeyJob {
  enum class Kind { keystore, raw };
  Kind kind = Kind::keystore;
  std::string file;  // named in failures: the descriptor or the bulk keystore
  std::string where;  // "document 2" inside a multi-document descriptor, else ""
  std::filesystem::path keystore_file;  // keystore jobs
  std::filesystem::path password_file;  // keystore jobs
  SecretBytes<32> raw_secret;           // raw jobs: big-endian scalar
  bool canary = false;                  // the descriptor says `canary: true`
};

struct DirectoryScan {
  std::vector<KeyJob> jobs;
  std::vector<LoadFailure> failures;
  bool listed = true;  // false: the directory itself is missing or unreadable (no jobs)
};

DirectoryScan scan_key_directory(const std::filesystem::path& directory);

}  // namespace cc::keys
