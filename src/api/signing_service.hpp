#pragma once
// SigningService is the signing request path: decode and recompute the signing root, look up
// the key, check and durably record the message (blocks and attestations), then compute the
// BLS signature on the signing pool. No signature is computed before the protection check has
// passed, and none is handed back before its record is durable. Refusals answer 412, except
// key_disabled (a key deleted through the Key Manager API): 404, as for a key not loaded.
//
// A canary key (keys/registry.hpp) never signs: any request for one is answered 403 (reason
// "canary_key") before the body is acted on, so no anti-slashing record is written and no
// signature computed; it is logged at error (public key, client, request type) and counted in
// containment_canary_signing_total.
//
// Admission is bounded: past `max_pending` requests in flight, new ones are answered 503 at
// once instead of queueing without limit. Each request has a deadline (`request_timeout` after
// it arrived, server.request_timeout_seconds): one still waiting for the anti-slashing database
// or for a signing thread then is dropped with 503 (reason "deadline_exceeded") instead of being
// signed late, when its validator client has given up on it; an anti-slashing record already
// written for it stays (it only ever refuses more, and the identical message may be signed
// again).
//
// Messages without slashing risk (selection proofs, registrations, RANDAO reveals, ...) are
// answered from a SignatureCache (signature_cache.hpp) when an identical one was signed
// recently with the same key: same answer, no second BLS signature.
//
// Batch signing (sign_batch, POST /api/v1/eth2/sign, the remote-signing-api batch draft): one
// signing request, many public keys. The signing root is computed once; then every key goes
// the single-key way on its own: access check, canary, key lookup, and for attestations its own
// anti-slashing check and durable record, all keys of the batch queued together so that they
// share one group commit. Each key gets its own outcome (a signature, or a refusal with the
// status the single-key request would have had); the batch fails as a whole only for what is
// common to all keys (malformed body, too many keys, another network, overload), or with 403
// when the caller may sign with none of its keys. Only types
// without slashing risk or with per-key protection are accepted (kBatchTypes): types whose
// object names one validator (blocks, aggregates, exits, registrations, ...) stay single-key.
// The signatures are computed on the signing pool, the batch cut into one share per thread.
// A batch of n keys counts n against `max_pending`. Thread-safe; `sign` may be called from any I/O thread
// and never blocks it on BLS or fsync. The outcome callback runs on a signing-pool or store thread.
#include <atomic>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "api/api_metrics.hpp"
#include "api/signature_cache.hpp"
#include "core/bytes.hpp"
#include "keys/registry.hpp"
#include "slashing/slashing_store.hpp"
#include "ssz/network.hpp"
#include "ssz/signing_request.hpp"

namespace cc::api {

struct SignOutcome {
  unsigned status = 200;
  BlsSignature signature{};  // valid when status == 200
  std::string message;       // why, when status != 200
  std::string reason;        // machine-readable refusal (412, key_disabled 404) or error class
  std::string_view operation = "unknown";  // the request type once decoded ("ATTESTATION"), for metrics
};

// One key's answer in a batch: `identifier` as the request spelled it.
struct BatchItem {
  std::string identifier;
  SignOutcome outcome;
};

// The answer to a batch: `status` 200 with one item per identifier in request order, or the
// error (`message`, `reason`) that refused the whole batch (then no items).
struct BatchOutcome {
  unsigned status = 200;
  std::string message;
  std::string reason;
  std::string_view operation = "unknown";
  std::vector<BatchItem> items;
};

// Asked for each key of a batch once the request type is decoded: nullopt when the caller may
// sign `operation` with the key `key_hex` (lower-case 0x hex), else the refusal to report for
// that key (status, message, reason). An empty function allows everything.
using BatchKeyCheck =
    std::function<std::optional<SignOutcome>(const BlsPublicKey& key, std::string_view key_hex, std::string_view operation)>;

// Asked once the request type is decoded: nullopt when the caller may sign that operation,
// else the reason (answered 403). An empty function allows everything.
using OperationCheck = std::function<std::optional<std::string>(std::string_view operation)>;

class SigningService {
 public:
  struct Options {
    unsigned signing_threads = 0;  // 0: one per core
    std::uint32_t max_pending = 4096;
    ApiMetrics* metrics = nullptr;  // times the anti-slashing database and counts its refusals
    std::chrono::milliseconds request_timeout{30000};
    std::size_t signature_cache_entries = 32768;  // 0: no cache
    std::size_t max_batch_keys = 1024;             // identifiers in one batch request at most
  };

  // Request types a batch may carry (remote-signing-api batch draft): none embeds a validator
  // identity, and the only slashable one (ATTESTATION) is protected per key.
  static bool batch_type(ssz::SignType type);

  // `keys_loading` tells whether key sources are still loading, so that a request for a key
  // not loaded yet gets 503 (try again) rather than 404.
  SigningService(const ssz::Network& network, keys::KeyRegistry& keys, slashing::SlashingStore& store, Options options,
                 std::function<bool()> keys_loading);
  ~SigningService();

  // `pubkey_hex` is the path parameter; `body` the request body; `client` who asked (address and
  // principal, for the canary alarm's log line).
  void sign(std::string_view pubkey_hex, std::string_view body, std::string_view client, const OperationCheck& may_sign,
            std::function<void(SignOutcome)> done);

  // `body` is {"identifiers": [...], "signing_request": {...}}; `done` runs once, on a
  // signing-pool or store thread, or on the caller's thread for an early refusal.
  void sign_batch(std::string_view body, std::string_view client, const BatchKeyCheck& may_sign,
                  std::function<void(BatchOutcome)> done);

  std::uint32_t pending() const { return pending_.load(std::memory_order_relaxed); }
  unsigned signing_threads() const { return threads_; }
  std::uint32_t max_pending() const { return options_.max_pending; }
  // Where the router counts signing requests too; null when nothing is counted.
  ApiMetrics* metrics() const { return options_.metrics; }
  const SignatureCache& signature_cache() const { return cache_; }

 private:
  SignOutcome refuse_canary(std::string_view pubkey_hex, std::string_view body, std::string_view client) const;
  // Logs and counts the canary alarm; the 403 outcome to answer.
  SignOutcome canary_refusal(std::string_view pubkey_hex, std::string_view client, std::string_view operation) const;
  using Deadline = std::chrono::steady_clock::time_point;
  // `cacheable`: a message without slashing risk, whose signature the cache may keep.
  void sign_on_pool(std::shared_ptr<const crypto::SecretKey> key, Root signing_root, Deadline deadline, bool cacheable,
                    std::function<void(SignOutcome)> done);
  SignOutcome deadline_exceeded(std::string_view stage) const;
  struct Batch;
  void decide_batch(std::shared_ptr<Batch> batch);
  void sign_batch_on_pool(std::shared_ptr<Batch> batch);

  const ssz::Network& network_;
  keys::KeyRegistry& keys_;
  slashing::SlashingStore& store_;
  Options options_;
  std::function<bool()> keys_loading_;
  unsigned threads_;
  boost::asio::thread_pool pool_;
  std::atomic<std::uint32_t> pending_{0};
  // Decisions asked of the anti-slashing store whose callback has not finished yet: the callback
  // posts onto pool_, so the destructor waits for these before it joins and destroys the pool.
  std::atomic<std::uint32_t> in_store_{0};
  // Marks the end of one store callback (on every return path), waking the destructor at the last.
  struct StoreCallDone {
    SigningService& service;
    ~StoreCallDone() {
      if (service.in_store_.fetch_sub(1, std::memory_order_acq_rel) == 1) service.in_store_.notify_all();
    }
  };
  SignatureCache cache_;
};

}  // namespace cc::api
