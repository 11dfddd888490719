#pragma once
// ChamberKeysApi serves the Chamber key API: the keys of the DynamoDB key source
// (keys/dynamodb_source.hpp), sealed under the chamber's master key.
//   GET    /api/v1/chamber/keys           scope chamber_keys_list
//          -> {data: [{pubkey, status: active|inactive, storage: persistent|memory, created_at}]}
//   POST   /api/v1/chamber/keys/generate  scope chamber_keys_generate; {count, storage?: {persist}}
//          -> {data: [{pubkey, status: generated, storage}]}; keys from blst KeyGen over 32 bytes of
//          OpenSSL RAND_bytes (crypto::SecretKey::generate), never leaving the process unsealed
//   POST   /api/v1/chamber/keys           scope chamber_keys_import; the Key Manager import body
//          {keystores, passwords, slashing_protection?} plus storage?: {persist}
//          -> {data: [{status: imported|duplicate|error, message[, pubkey]}]}, one per keystore
//   PATCH  /api/v1/chamber/keys           scope chamber_keys_patch; {pubkeys, status: active|inactive}
//          -> {data: [{pubkey, status: updated|not_found|error, message}]}
//   DELETE /api/v1/chamber/keys           scope chamber_keys_delete; {pubkeys}
//          -> {data: [{pubkey, status: deleted|not_active|not_found|error, message}],
//              slashing_protection: EIP-3076 interchange of the deleted and not_active keys}
// storage.persist (default true): sealed into the DynamoDB table, so every replica loads the key
// within its refresh interval and a restart keeps it; false: held in this process only, gone on
// restart, delete or seal.
//
// Slashing protection is never deleted. DELETE mirrors the Key Manager API: in one transaction the
// deleted keys are disabled in the anti-slashing database (refused on every replica sharing it,
// also one that has not yet refreshed) and their history is exported into the answer; only then
// are they removed. Importing a key again (here or through the Key Manager API) enables it once
// its attached history is in. Deactivating (PATCH) leaves the database alone: the key stays this
// signer's, its records stay where they are.
//
// Every route answers 503 while the chamber is sealed. generate/import/lifecycle (PATCH, DELETE)
// answer 403 naming their chamber.keys.<group>.enabled key unless enabled; more items than
// max_items_per_request → 400 naming the limit; more requests at once than max_concurrent_requests
// → 429 with Retry-After. KMS, DynamoDB, the anti-slashing database and keystore KDFs run on this
// object's own threads, never on an I/O thread. Secrets and passwords are never logged.
// Thread-safe; destruction waits for requests in progress.
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <mutex>
#include <string>

#include "api/http_server.hpp"
#include "api/keystore_import.hpp"
#include "core/config.hpp"
#include "keys/dynamodb_source.hpp"
#include "keys/registry.hpp"
#include "seal/chamber.hpp"
#include "slashing/slashing_store.hpp"

namespace cc::api {

class ChamberKeysApi {
 public:
  static constexpr std::string_view kKeysPath = "/api/v1/chamber/keys";
  static constexpr std::string_view kGeneratePath = "/api/v1/chamber/keys/generate";

  // `genesis_validators_root`: of the signer's network, for the empty interchange of a DELETE.
  ChamberKeysApi(keys::DynamoDbKeySource& source, keys::KeyRegistry& registry, slashing::SlashingStore& store,
                 const seal::Chamber& chamber, ChamberKeysConfig config, std::string genesis_validators_root);
  ~ChamberKeysApi();

  void list(Respond respond);
  void generate(std::string body, Respond respond);
  void import(std::string body, Respond respond);
  void update(std::string body, Respond respond);
  void remove(std::string body, Respond respond);

 private:
  struct ImportJob;
  // The 403/503/429 answer that stops a request before any work, or nullopt with `slot` taken.
  std::optional<HttpResponse> admit(const char* group, const ChamberKeysEndpointConfig* endpoint,
                                    std::atomic<std::uint32_t>& in_use, std::uint32_t limit,
                                    std::optional<ConcurrencySlot>& slot) const;
  void finish_import(ImportJob& job);
  HttpResponse generate_keys(std::uint64_t count, bool persist);
  HttpResponse update_keys(const std::vector<std::string>& pubkeys, bool active);
  HttpResponse delete_keys(const std::vector<std::string>& pubkeys);
  std::string empty_interchange() const;

  keys::DynamoDbKeySource& source_;
  keys::KeyRegistry& registry_;
  slashing::SlashingStore& store_;
  const seal::Chamber& chamber_;
  const ChamberKeysConfig config_;
  const std::string genesis_validators_root_;
  std::atomic<std::uint32_t> listing_{0}, generating_{0}, importing_{0}, lifecycle_{0};
  // Serialises imports and deletes, so that enabling and disabling a key in the anti-slashing
  // database never interleave with its storage changing.
  std::mutex write_mutex_;
  boost::asio::thread_pool list_pool_{1};
  boost::asio::thread_pool write_pool_{1};  // generate, PATCH, DELETE
  // Keystore decryption, apart so that a long import does not hold up the rest. Two threads:
  // scrypt keystores need 256 MiB each while decrypting.
  boost::asio::thread_pool kdf_pool_{2};
};

}  // namespace cc::api
