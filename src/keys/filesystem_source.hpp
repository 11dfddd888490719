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
#include <map>
#include <optional>
#include <set>
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

// The warning logged at start for a key directory that other users may enter or read (any
// group/other permission bit: keystores and password files should be the signer's alone, mode
// 0700), or nullopt when it is private, or is not a directory. A warning, not a refusal:
// Kubernetes secret and configMap volumes are group-readable by design (fsGroup).
std::optional<std::string> shared_key_directory_warning(const std::string& path);

using LoadProgressCallback = std::function<void(std::size_t done, std::size_t total)>;

// The filesystem key source across reloads. It remembers which file gave which key, so that
// load() called again (a reload: SIGHUP or POST /reload) rescans the same paths and
//   - loads the keys of new files, and of files that changed (size or modification time of the
//     descriptor, keystore or password file), and only those: unchanged files are not decrypted
//     again;
//   - removes from the registry the keys whose files were deleted (or now fail to load);
//   - leaves alone the keys of a path that cannot be listed at all (a missing or unreadable
//     directory is reported, but a volume briefly unmounted must not unload every key);
//   - never touches a key another source (Key Manager import, DynamoDB) added: such a file is
//     counted as a duplicate.
// A key removed while a request is signing with it finishes that request (keys/registry.hpp).
// A stopped load removes nothing. One load() at a time (callers serialise reloads); the registry
// may be read concurrently throughout.
class FilesystemKeySource {
 public:
  FilesystemKeySource(FilesystemLoadOptions options, KeyRegistry& registry);

  // `progress` is called with (0, total) once the paths are scanned, then after each key decrypted
  // (loaded or failed) with (done, total), serialised; total counts the files to decrypt in this pass.
  LoadReport load(const LoadProgressCallback& progress = {});

  // Keys this source has in the registry.
  std::size_t size() const { return owned_.size(); }

 private:
  struct Entry {
    std::size_t path = 0;      // index into options_.paths
    std::string fingerprint;   // sizes and modification times of the files the key came from
    BlsPublicKey public_key{};
    bool canary = false;
  };

  FilesystemLoadOptions options_;
  KeyRegistry& registry_;
  std::map<std::string, Entry> entries_;  // by job identity (descriptor, document, keystore)
  std::set<BlsPublicKey> owned_;          // the keys this source added to the registry
};

// One pass over `options.paths` into `registry` (a FilesystemKeySource used once).
// `progress` is called after each key (loaded or failed) with (done, total), serialised.
LoadReport load_filesystem_keys(const FilesystemLoadOptions& options, KeyRegistry& registry,
                                LoadProgressCallback progress = {});

}  // namespace cc::keys
