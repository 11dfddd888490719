#pragma once
// What the two endpoints that take EIP-2335 keystores share: the Key Manager API
// (POST /eth/v1/keystores) and the Chamber key API (POST /api/v1/chamber/keys). Both accept the
// Key Manager body {keystores: [keystore JSON text], passwords: [...], slashing_protection?:
// EIP-3076 interchange} and decode it here the same way, then decrypt each keystore with
// decrypt_import_item() on a pool thread of their own (scrypt: ~1 s and 256 MiB each). Passwords
// are wiped as soon as they are used and never logged. Also: the pubkey lists of DELETE bodies,
// the interchange filters both use, and the counter behind their concurrency limits.
//
// Errors are the text of a 400 answer and name the field, or the config key of a limit.
// Free functions are thread-safe; a ConcurrencySlot belongs to one request.
#include <atomic>
#include <boost/json.hpp>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "crypto/bls.hpp"

namespace cc::api {

// Counts a request against a concurrency limit for as long as it lives.
class ConcurrencySlot {
 public:
  ConcurrencySlot(std::atomic<std::uint32_t>& in_use, std::uint32_t limit);
  ConcurrencySlot(ConcurrencySlot&& other) noexcept;
  ConcurrencySlot(const ConcurrencySlot&) = delete;
  ConcurrencySlot& operator=(const ConcurrencySlot&) = delete;
  ConcurrencySlot& operator=(ConcurrencySlot&&) = delete;
  ~ConcurrencySlot();
  bool acquired() const { return in_use_ != nullptr; }
  // Gives the slot back early: before answering, so that the client's next request finds it free.
  void release();

 private:
  std::atomic<std::uint32_t>* in_use_ = nullptr;
};

struct KeystoreImportItem {
  std::string keystore;  // JSON text, cleared once decrypted
  std::string password;  // wiped once used
  std::string status;    // "" until decided; then imported | duplicate | error
  std::string message;
  std::shared_ptr<const crypto::SecretKey> key;  // set when decrypted and not yet loaded
  std::string derivation_path;
};

struct KeystoreImportRequest {
  std::vector<KeystoreImportItem> items;
  std::optional<std::string> slashing_protection;  // interchange text, when given
  boost::json::object body;                        // the whole body, its arrays emptied (other fields)
};

// Decodes an import body and wipes `body` (it holds the passwords). At most `max_items`
// keystores; the error then names `limit_key`.
Result<KeystoreImportRequest> decode_keystore_import(std::string& body, std::uint32_t max_items,
                                                     std::string_view limit_key);

// Decodes {pubkeys: [...]} (strings, not yet checked as keys) with at most `max_items` of them.
// `other` receives the body, for further fields.
Result<std::vector<std::string>> decode_pubkeys(const std::string& body, std::uint32_t max_items,
                                                std::string_view limit_key, boost::json::object* other = nullptr);

// Decrypts one keystore: status error (unreadable keystore, wrong password, or `deadline`
// passed: the message names `timeout_key` and `timeout`), duplicate when `loaded` says its public
// key is loaded already (no KDF run spent), else `key` is set. Wipes the password either way.
void decrypt_import_item(KeystoreImportItem& item, const std::function<bool(const BlsPublicKey&)>& loaded,
                         std::chrono::steady_clock::time_point deadline, std::string_view timeout_key,
                         std::chrono::seconds timeout);

// The interchange restricted to the records of `keys` (lowercase 0x hex): an import brings
// history for the keys it imports, not for others. Text that is not an interchange object is
// returned unchanged, so that the store's import names the problem.
std::string interchange_for_keys(const std::string& interchange, const std::set<std::string>& keys);
// Public keys (lowercase 0x hex) listed in an interchange document.
std::set<std::string> keys_in_interchange(const std::string& interchange);

// Overwrites and empties a string that held a secret.
void wipe(std::string& s);

}  // namespace cc::api
