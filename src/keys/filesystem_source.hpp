#pragma once
// The filesystem key source: loads every key configured under key_sources.filesystem.paths
// (Web3Signer YAML descriptors and bulk EIP-2335 keystore + password pairs; see
// key_directory.hpp for the conventions) into a KeyRegistry.
//
// Decryption runs on `threads` worker threads; concurrent scrypt derivations are bounded by
// a memory budget (each needs 128*r*n bytes, 256 MiB for standard keystores), so a host or
// enclave with little RAM loads keys more slowly instead of being OOM-killed. One bad file
// (invalid JSON or YAML, wrong password, pubkey mismatch, missing password file) becomes a
// LoadFailure naming it and never stops the others. A configured path that does not exist is
// also a failure entry: the caller decides whether that is fatal.
//
// Blocking: returns when every key has been tried. Keys are added to the registry as they
// are decrypted, so lookups may see a partial set while loading runs. Logs progress and a
// summary at info, each failure at warn; never logs secrets.
#include <cstddef>
#include <atomic>
#include <functional>
#include <string>
#include <vector>

#include "keys/load_report.hpp"
#include "keys/registry.hpp"

namespace cc::keys {

struct FilesystemLoadOptions {
  std::vector<std::string> paths;
  unsigned threads = 0;                    // 0 = std::thread::hardware_concurrency()
  std::size_t kdf_memory_budget_bytes = 0;  // 0 = default_kdf_memory_budget() (half of RAM)
  // When set and true, no further keystore is started (those in progress finish): shutdown
  // does not wait for thousands of scrypt decryptions. LoadReport::stopped tells.
  const std::atomic<bool>* stop = nullptr;
};

// `progress` is called after each key (loaded or failed) with (done, total), serialised.
LoadReport load_filesystem_keys(const FilesystemLoadOptions& options, KeyRegistry& registry,
                                std::function<void(std::size_t done, std::size_t total)> progress = {});

}  // namespace cc::keys
