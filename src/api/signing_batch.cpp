// SigningService::sign_batch: one signing request, many keys (signing_service.hpp explains the
// rules). Kept apart from the single-key path so that each reads top to bottom.
#include <boost/asio/post.hpp>
#include <map>
#include <spdlog/spdlog.h>

#include "api/signing_service.hpp"
#include "core/json.hpp"

namespace cc::api {

namespace {

SignOutcome refused(unsigned status, std::string message, std::string reason) {
  SignOutcome o;
  o.status = status;
  o.message = std::move(message);
  o.reason = std::move(reason);
  return o;
}

BatchOutcome batch_refused(unsigned status, std::string message, std::string reason,
                           std::string_view operation = "unknown") {
  BatchOutcome o;
  o.status = status;
  o.message = std::move(message);
  o.reason = std::move(reason);
  o.operation = operation;
  return o;
}

constexpr std::string_view kBatchTypeList =
    "ATTESTATION, AGGREGATION_SLOT, RANDAO_REVEAL, SYNC_COMMITTEE_MESSAGE, SYNC_COMMITTEE_SELECTION_PROOF";

}  // namespace

// What a batch carries from its decoding to its answer. Items are written by one thread at a
// time (the I/O thread, then the store thread, then each pool share on its own indexes); the
// share counter hands them over.
struct SigningService::Batch {
  std::vector<BatchItem> items;
  std::vector<std::shared_ptr<const crypto::SecretKey>> keys;  // per item, while it may still sign
  std::vector<std::size_t> to_sign;                            // items waiting for a signature
  Root signing_root{};
  bool cacheable = false;
  Deadline deadline{};
  std::uint32_t admitted = 0;
  std::string_view operation = "unknown";
  std::function<void(BatchOutcome)> done;
  std::atomic<std::size_t> shares_left{0};
};

bool SigningService::batch_type(ssz::SignType type) {
  switch (type) {
    case ssz::SignType::attestation:
    case ssz::SignType::aggregation_slot:
    case ssz::SignType::randao_reveal:
    case ssz::SignType::sync_committee_message:
    case ssz::SignType::sync_committee_selection_proof:
      return true;
    default:
      return false;
  }
}

void SigningService::sign_batch(std::string_view body, std::string_view client, const BatchKeyCheck& may_sign,
                                std::function<void(BatchOutcome)> done) {
  const Deadline deadline = std::chrono::steady_clock::now() + options_.request_timeout;
  boost::json::value parsed;
  const boost::json::array* identifiers = nullptr;
  const boost::json::value* signing_request = nullptr;
  try {
    parsed = json::parse(body);
    if (!parsed.is_object()) throw json::InputError("body: expected an object {\"identifiers\", \"signing_request\"}");
    const json::Object top(parsed, "");
    identifiers = &top.array("identifiers");
    signing_request = &top.at("signing_request");
    if (!signing_request->is_object()) throw json::InputError("signing_request: expected an object");
  } catch (const json::InputError& e) {
    return done(batch_refused(400, e.what(), "bad_request"));
  }
  const std::size_t n = identifiers->size();
  if (n == 0) return done(batch_refused(400, "identifiers: empty; name at least one public key", "bad_request"));
  if (n > options_.max_batch_keys) {
    return done(batch_refused(400,
                              "identifiers: " + std::to_string(n) + " public keys, more than the " +
                                  std::to_string(options_.max_batch_keys) +
                                  " of one batch (server.max_batch_keys); split the batch",
                              "batch_too_large"));
  }

  // Every identifier well-formed and named once, however it is spelled.
  auto batch = std::make_shared<Batch>();
  batch->items.resize(n);
  batch->keys.resize(n);
  std::vector<BlsPublicKey> pubkeys(n);
  std::map<BlsPublicKey, std::size_t> seen;
  for (std::size_t i = 0; i < n; ++i) {
    const auto& v = (*identifiers)[i];
    const std::string at = "identifiers[" + std::to_string(i) + "]";
    if (!v.is_string()) return done(batch_refused(400, at + ": expected a 0x-hex public key string", "bad_request"));
    batch->items[i].identifier = std::string(v.as_string());
    auto pk = from_hex_fixed<48>(batch->items[i].identifier);
    if (!pk) return done(batch_refused(400, at + ": " + pk.error().message, "bad_request"));
    if (auto [it, fresh] = seen.emplace(*pk, i); !fresh) {
      return done(batch_refused(400, at + " repeats identifiers[" + std::to_string(it->second) + "] (" + to_hex(*pk) + ")",
                                "bad_request"));
    }
    pubkeys[i] = *pk;
  }

  ssz::SigningRequest request;
  try {
    request = ssz::decode_signing_request(*signing_request, network_);
  } catch (const ssz::WrongNetwork& e) {
    return done(batch_refused(403, std::string("signing_request: ") + e.what(), "genesis_validators_root_mismatch"));
  } catch (const json::InputError& e) {
    return done(batch_refused(400, std::string("signing_request.") + e.what(), "bad_request"));
  }
  const std::string_view operation = ssz::sign_type_name(request.type);
  if (!batch_type(request.type)) {
    return done(batch_refused(400,
                              "signing_request.type: " + std::string(operation) +
                                  " cannot be batched (its message names one validator, or it has no per-key "
                                  "protection); batch types: " + std::string(kBatchTypeList) +
                                  "; sign it with POST /api/v1/eth2/sign/{identifier}",
                              "unsupported_batch_type", operation));
  }
  if (request.client_signing_root && *request.client_signing_root != request.signing_root) {
    return done(batch_refused(400,
                              "signing_request.signingRoot " + to_hex(*request.client_signing_root) +
                                  " does not match the signing root computed from the request, " +
                                  to_hex(request.signing_root),
                              "signing_root_mismatch", operation));
  }

  // Admission: the batch counts as n requests until it is answered.
  const auto admitted = static_cast<std::uint32_t>(n);
  if (pending_.fetch_add(admitted, std::memory_order_relaxed) + admitted > options_.max_pending) {
    pending_.fetch_sub(admitted, std::memory_order_relaxed);
    return done(batch_refused(503,
                              "signer is at capacity (" + std::to_string(options_.max_pending) +
                                  " requests in flight, a batch of " + std::to_string(n) + " counts " +
                                  std::to_string(n) + "); retry shortly",
                              "overloaded", operation));
  }
  batch->signing_root = request.signing_root;
  batch->cacheable = !request.source_epoch;
  batch->deadline = deadline;
  batch->admitted = admitted;
  batch->operation = operation;
  batch->done = std::move(done);

  // Each key the single-key way: access, canary, loaded; then the cache or the queue.
  std::vector<slashing::SignedMessage> votes;
  std::vector<std::size_t> vote_items;
  const bool loading = keys_loading_ && keys_loading_();
  std::size_t forbidden = 0;
  for (std::size_t i = 0; i < n; ++i) {
    auto& item = batch->items[i];
    item.outcome.operation = operation;
    const std::string key_hex = to_hex(pubkeys[i]);
    if (may_sign) {
      if (auto refusal = may_sign(pubkeys[i], key_hex, operation)) {
        if (refusal->status == 403) ++forbidden;
        item.outcome = std::move(*refusal);
        item.outcome.operation = operation;
        continue;
      }
    }
    if (keys_.is_canary(pubkeys[i])) {
      item.outcome = canary_refusal(key_hex, client, operation);
      continue;
    }
    auto key = keys_.find(pubkeys[i]);
    if (!key) {
      item.outcome = loading ? refused(503, "keys are still loading; " + key_hex + " is not available yet", "keys_loading")
                             : refused(404, "no key loaded for public key " + key_hex, "unknown_key");
      item.outcome.operation = operation;
      continue;
    }
    if (request.source_epoch && request.target_epoch) {
      votes.push_back(slashing::AttestationVote{pubkeys[i], *request.source_epoch, *request.target_epoch,
                                                request.signing_root});
      vote_items.push_back(i);
    } else if (auto cached = cache_.find(pubkeys[i], request.signing_root)) {
      item.outcome.signature = *cached;
      continue;
    } else {
      batch->to_sign.push_back(i);
    }
    batch->keys[i] = std::move(key);
  }
  if (forbidden == n) {
    // The caller may sign with none of these keys: refused as a whole, like a single-key request.
    pending_.fetch_sub(admitted, std::memory_order_relaxed);
    auto message = std::move(batch->items[0].outcome.message);
    if (n > 1) message += " (nor with any other key of the batch)";
    return batch->done(batch_refused(403, std::move(message), "forbidden", operation));
  }
  if (votes.empty()) return sign_batch_on_pool(std::move(batch));

  // Every vote of the batch checked and recorded individually, queued at once: one group commit.
  const Root gvr = request.fork_info->genesis_validators_root;
  in_store_.fetch_add(1, std::memory_order_relaxed);
  store_.check_and_record_batch(
      gvr, std::move(votes),
      [this, batch, vote_items = std::move(vote_items),
       asked = std::chrono::steady_clock::now()](std::vector<Result<slashing::Decision>> decisions) mutable {
        const StoreCallDone store_call_done{*this};
        auto* metrics = options_.metrics;
        const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count();
        const bool late = std::chrono::steady_clock::now() >= batch->deadline;
        for (std::size_t v = 0; v < vote_items.size(); ++v) {
          const std::size_t i = vote_items[v];
          auto& outcome = batch->items[i].outcome;
          auto& decision = decisions[v];
          if (metrics != nullptr) metrics->slashing_database(seconds);
          if (!decision) {
            outcome = refused(503, "anti-slashing database unavailable: " + decision.error().message,
                              "slashing_db_unavailable");
          } else if (decision->refusal == slashing::Refusal::key_disabled) {
            outcome = refused(404, decision->detail, std::string(slashing::refusal_name(decision->refusal)));
          } else if (!decision->allowed()) {
            if (metrics != nullptr) metrics->slashing_refusal(slashing::refusal_name(decision->refusal));
            outcome = refused(412, decision->detail, std::string(slashing::refusal_name(decision->refusal)));
          } else if (late) {
            outcome = deadline_exceeded("the anti-slashing database");
          } else {
            batch->to_sign.push_back(i);
            continue;
          }
          outcome.operation = batch->operation;
          batch->keys[i].reset();
        }
        std::sort(batch->to_sign.begin(), batch->to_sign.end());
        if (std::any_of(decisions.begin(), decisions.end(), [](const auto& d) { return !d; })) {
          spdlog::error("anti-slashing database unavailable for part of a signing batch");
        }
        sign_batch_on_pool(std::move(batch));
      });
}

void SigningService::sign_batch_on_pool(std::shared_ptr<Batch> batch) {
  auto finish = [this](Batch& b) {
    pending_.fetch_sub(b.admitted, std::memory_order_relaxed);
    BatchOutcome outcome;
    outcome.operation = b.operation;
    outcome.items = std::move(b.items);
    b.done(std::move(outcome));
  };
  if (batch->to_sign.empty()) return finish(*batch);
  // One share per signing thread (interleaved indexes), so a batch keeps every core busy with
  // one hand-off per thread instead of one per key.
  const std::size_t shares = std::min<std::size_t>(threads_, batch->to_sign.size());
  batch->shares_left.store(shares, std::memory_order_relaxed);
  for (std::size_t s = 0; s < shares; ++s) {
    boost::asio::post(pool_, [this, batch, s, shares, finish] {
      const bool late = std::chrono::steady_clock::now() >= batch->deadline;
      for (std::size_t j = s; j < batch->to_sign.size(); j += shares) {
        const std::size_t i = batch->to_sign[j];
        auto& outcome = batch->items[i].outcome;
        if (late) {
          outcome = deadline_exceeded("a signing thread");
          outcome.operation = batch->operation;
        } else {
          const auto& key = batch->keys[i];
          outcome.signature = key->sign(batch->signing_root);
          if (batch->cacheable) cache_.insert(key->public_key(), batch->signing_root, outcome.signature);
        }
        batch->keys[i].reset();
      }
      // acq_rel: the last share sees the items every other share wrote.
      if (batch->shares_left.fetch_sub(1, std::memory_order_acq_rel) == 1) finish(*batch);
    });
  }
}

}  // namespace cc::api
