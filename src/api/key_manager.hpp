#pragma once
// KeyManagerApi serves ethereum/keymanager-APIs /eth/v1/keystores:
//   GET    list keys: {data:[{validating_pubkey, derivation_path?, readonly}]}; readonly is true
//          for keys loaded from a key source (files), false for keys imported here
//   POST   {keystores:[json text], passwords:[...], slashing_protection?: interchange json text}
//          -> {data:[{status: imported|duplicate|error, message}]}, one entry per keystore
//   DELETE {pubkeys:[...]} -> {data:[{status: deleted|not_active|not_found|error, message}],
//          slashing_protection: EIP-3076 interchange text of the deleted and not_active keys}
// Imported keys are memory keys (keys::MemoryKeys): signing with them works as soon as the
// response is sent; only they can be deleted here, and a restart forgets them. An attached
// interchange is imported (all or nothing) before any key of the request becomes usable; if it
// fails, no key is imported.
// A deleted key is also disabled in the anti-slashing database, in the transaction that reads
// its export (SlashingStore::disable_and_export), so a request already in flight for it is
// either in the export or refused, and every replica sharing the database refuses it from then
// on (404, key_disabled); importing it again enables it (SlashingStore::enable) once its
// attached history is in. If the database fails, a deleted key stays loaded and enabled
// (status error). Keystores are decrypted (scrypt: up to ~1 s and 256 MiB each) on
// this object's own small pool, never on an I/O thread; export and import of slashing data
// run there too. Passwords and secrets are never logged.
//
// Thread-safe. Requests beyond max_items_per_request answer 400; beyond the concurrency limits,
// 503 with Retry-After. Destruction waits for requests in progress.
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

#include "api/http_server.hpp"
#include "api/keystore_import.hpp"
#include "keys/memory_keys.hpp"
#include "keys/registry.hpp"
#include "slashing/slashing_store.hpp"

namespace cc::api {

struct KeyManagerOptions {
  std::uint32_t max_items_per_request = 100;
  std::uint32_t max_concurrent_reads = 50;
  std::uint32_t max_concurrent_writes = 10;
  std::chrono::seconds request_timeout{30};
  // Of the signer's network: the interchange answered when the database has no history at all.
  std::string genesis_validators_root;
};

class KeyManagerApi {
 public:
  KeyManagerApi(keys::KeyRegistry& keys, keys::MemoryKeys& memory_keys, slashing::SlashingStore& store,
                KeyManagerOptions options);
  ~KeyManagerApi();

  void list(Respond respond);
  void import(std::string body, Respond respond);
  void remove(std::string body, Respond respond);

 private:
  struct ImportJob;

  void decrypt_one(const std::shared_ptr<ImportJob>& job, std::size_t index);
  void finish_import(ImportJob& job);
  HttpResponse delete_keys(const std::vector<std::string>& pubkeys);
  std::string empty_interchange() const;

  keys::KeyRegistry& keys_;
  keys::MemoryKeys& memory_keys_;
  slashing::SlashingStore& store_;
  const KeyManagerOptions options_;
  std::atomic<std::uint32_t> reads_{0};
  std::atomic<std::uint32_t> writes_{0};
  // Serialises the registry changes of imports and deletes, so that MemoryKeys and KeyRegistry
  // never disagree about a key.
  std::mutex write_mutex_;
  // Two threads: scrypt keystores need 256 MiB each while decrypting.
  boost::asio::thread_pool pool_{2};
};

}  // namespace cc::api
