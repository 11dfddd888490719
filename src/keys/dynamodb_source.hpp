#pragma once
// DynamoDbKeySource: `key_sources.dynamodb: {table, refresh_interval_seconds}`. Validator keys
// live in a DynamoDB table sealed under the chamber's master key (crypto/sealed_key.hpp); this
// source reads them into the KeyRegistry and keeps the registry in step with the table: keys
// added by another replica appear within the refresh interval, deleted ones disappear. An item
// that fails authentication (tampered with, moved, sealed under another master key) is refused
// and reported loudly on every refresh until fixed; it is never signed with.
//
// Table: partition key `pk` (S) = the public key as 0x-hex; attributes `master_key_id` (S),
// `nonce` (B), `ciphertext` (B, with the GCM tag), `created_at` (N, unix seconds) and, once a key
// was deactivated or activated through the Chamber key API, `key_status` (S, active | inactive;
// absent means active). An inactive key stays in the table but is never loaded; a key this
// replica loaded is dropped when a refresh finds it inactive (UpdateItem elsewhere), so every
// replica follows within its refresh interval. Any other `key_status` value is refused (not
// loaded, reported): the table is not trusted to widen what signs.
//
// Memory keys: keys imported with `storage.persist: false` (hold_in_memory) belong to this source
// too but never reach the table: they sign only on this replica, until a restart, delete or seal.
//
// While the chamber is sealed (no master key) nothing is loaded, and a refresh that finds it
// sealed drops every key this source loaded, memory keys included (they are gone for good: the
// chamber's keys are not kept decrypted while it is sealed). Thread-safe.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "aws/dynamodb.hpp"
#include "crypto/sealed_key.hpp"
#include "keys/registry.hpp"

namespace cc::keys {

class DynamoDbKeySource {
 public:
  // The current master key, or null while sealed.
  using MasterKeyProvider = std::function<std::shared_ptr<const crypto::MasterKey>()>;

  struct Refresh {
    std::size_t loaded = 0;   // keys of this source in the registry after the refresh
    std::size_t added = 0;
    std::size_t removed = 0;
    std::size_t inactive = 0;  // stored keys left unloaded because they are inactive
    std::vector<std::pair<std::string, std::string>> failures;  // (public key, reason)
    double seconds = 0;  // how long the table read and key opening took (0 while sealed)
  };

  DynamoDbKeySource(aws::Transport& transport, std::string table, KeyRegistry& registry, MasterKeyProvider master);
  ~DynamoDbKeySource();

  // The table exists with key `pk`; the error names table, endpoint and missing permission.
  Status check_table() const;

  // Reads the whole table once and brings the registry in step. unavailable when DynamoDB
  // cannot be read (the registry is left as it was). A key another source already loaded is
  // left alone (and counted as a failure naming the duplicate).
  Result<Refresh> refresh();

  // Seals `key` under the current master key and stores it. conflict when the table holds the
  // public key already; unavailable while sealed. The key appears in the registry at the next
  // refresh (or at once with `load_now`).
  Status store(const crypto::SecretKey& key, bool load_now = true);
  // Deletes the key's item (or forgets the memory key) and drops it from the registry.
  // not_found when neither stored nor held in memory.
  Status erase(const BlsPublicKey& public_key);

  // Holds `key` in memory only (never stored) and loads it. conflict when the registry has the
  // public key already or the table stores it (even inactive: activate it instead);
  // unavailable while sealed or when the table cannot be read.
  Status hold_in_memory(std::shared_ptr<const crypto::SecretKey> key);

  // Marks the key active or inactive: a stored key through UpdateItem (other replicas follow at
  // their refresh), a memory key here. Deactivating drops the key from the registry at once;
  // activating loads it at once (unavailable while sealed). not_found when unknown.
  Status set_active(const BlsPublicKey& public_key, bool active);

  enum class Storage { persistent, memory };
  struct KeyInfo {
    BlsPublicKey public_key{};
    bool active = true;
    Storage storage = Storage::persistent;
    std::uint64_t created_at = 0;  // unix seconds
  };
  // Every stored key (read from the table, active or not; nothing is decrypted) and every
  // memory key, in public-key order. unavailable when the table cannot be read.
  Result<std::vector<KeyInfo>> list();

  // Refreshes every `interval` on a thread of its own until stop() (or destruction).
  void start(std::chrono::milliseconds interval, std::function<void(const Result<Refresh>&)> on_refresh = {});
  void stop();

  static Status create_table(aws::Transport& transport, const std::string& table);

 private:
  aws::DynamoDb db_;
  KeyRegistry& registry_;
  MasterKeyProvider master_;
  std::mutex mu_;                  // one refresh at a time
  struct MemoryKey {
    std::shared_ptr<const crypto::SecretKey> key;
    bool active = true;
    std::uint64_t created_at = 0;
  };

  void drop_all_locked();

  std::set<BlsPublicKey> mine_;    // stored keys this source added to the registry
  std::map<BlsPublicKey, MemoryKey> memory_;  // memory keys (in the registry while active)
  std::thread thread_;
  std::mutex wake_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
};

}  // namespace cc::keys
