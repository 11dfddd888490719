#include "api/signing_service.hpp"

#include <boost/asio/post.hpp>
#include <boost/json/monotonic_resource.hpp>
#include <cstddef>
#include <chrono>
#include <latch>
#include <memory>
#include <pthread.h>
#include <spdlog/spdlog.h>
#include <thread>

#include "core/json.hpp"
#include "core/log.hpp"
#include "ssz/signing_request.hpp"

namespace cc::api {

namespace {

unsigned default_threads(unsigned requested) {
  if (requested != 0) return requested;
  return std::max(1u, std::thread::hardware_concurrency());
}

SignOutcome failure(unsigned status, std::string message, std::string reason = {}) {
  SignOutcome o;
  o.status = status;
  o.message = std::move(message);
  o.reason = std::move(reason);
  return o;
}

}  // namespace

SigningService::SigningService(const ssz::Network& network, keys::KeyRegistry& keys, slashing::SlashingStore& store,
                               Options options, std::function<bool()> keys_loading)
    : network_(network),
      keys_(keys),
      store_(store),
      options_(options),
      keys_loading_(std::move(keys_loading)),
      threads_(default_threads(options.signing_threads)),
      pool_(threads_),
      cache_(options.signature_cache_entries) {
  // Named, so that per-thread figures (top -H, /proc/<pid>/task/*/comm, the benchmarks) tell
  // the signing threads apart. The latch gives each thread exactly one of these tasks.
  auto all_named = std::make_shared<std::latch>(threads_);
  for (unsigned i = 0; i < threads_; ++i) {
    boost::asio::post(pool_, [all_named] {
      pthread_setname_np(pthread_self(), "cc-sign");
      all_named->arrive_and_wait();
    });
  }
}

SigningService::~SigningService() {
  // A store's committer may be inside a callback that is about to post onto pool_: let every
  // outstanding decision finish (stores answer within their timeout) before the pool goes.
  for (auto n = in_store_.load(std::memory_order_acquire); n != 0; n = in_store_.load(std::memory_order_acquire)) {
    in_store_.wait(n, std::memory_order_acquire);
  }
  pool_.join();
}

SignOutcome SigningService::refuse_canary(std::string_view pubkey_hex, std::string_view body,
                                          std::string_view client) const {
  // The request type, when the body says one we know: for the log line and the metrics label.
  std::string_view operation = "unknown";
  try {
    operation = ssz::sign_type_name(ssz::decode_signing_request(json::parse(body), network_).type);
  } catch (const std::exception&) {
  }
  return canary_refusal(pubkey_hex, client, operation);
}

SignOutcome SigningService::canary_refusal(std::string_view pubkey_hex, std::string_view client,
                                           std::string_view operation) const {
  if (options_.metrics != nullptr) options_.metrics->canary_signing();
  log_event(spdlog::level::err, "canary key asked to sign: refused (possible intrusion or key leak)",
            {{"pubkey", pubkey_hex}, {"client", client}, {"operation", operation}});
  auto outcome = failure(403,
                         "public key " + std::string(pubkey_hex) +
                             " is a canary key: it never signs, and this request has been logged and reported",
                         "canary_key");
  outcome.operation = operation;
  return outcome;
}

void SigningService::sign(std::string_view pubkey_hex, std::string_view body, std::string_view client,
                          const OperationCheck& may_sign, std::function<void(SignOutcome)> done) {
  // A canary refuses before anything else happens: no decoding beyond a label, no record.
  if (auto pk = from_hex_fixed<48>(pubkey_hex); pk && keys_.is_canary(*pk)) {
    return done(refuse_canary(pubkey_hex, body, client));
  }
  const Deadline deadline = std::chrono::steady_clock::now() + options_.request_timeout;
  // Admission: count this request until its outcome is delivered.
  if (pending_.fetch_add(1, std::memory_order_relaxed) >= options_.max_pending) {
    pending_.fetch_sub(1, std::memory_order_relaxed);
    return done(failure(503, "signer is at capacity (" + std::to_string(options_.max_pending) +
                                 " requests in flight); retry shortly", "overloaded"));
  }
  std::function<void(SignOutcome)> finish = [this, done = std::move(done)](SignOutcome outcome) {
    pending_.fetch_sub(1, std::memory_order_relaxed);
    done(std::move(outcome));
  };

  ssz::SigningRequest request;
  try {
    // The parsed body is needed only while it is decoded: it lives in a buffer on this stack,
    // so a signing request of ordinary size costs no heap allocation to read.
    alignas(std::max_align_t) unsigned char scratch[8192];
    boost::json::monotonic_resource memory(scratch, sizeof scratch);
    request = ssz::decode_signing_request(json::parse(body, &memory), network_);
  } catch (const ssz::WrongNetwork& e) {
    return finish(failure(403, e.what(), "genesis_validators_root_mismatch"));
  } catch (const json::InputError& e) {
    return finish(failure(400, e.what(), "bad_request"));
  }
  const std::string_view operation = ssz::sign_type_name(request.type);
  finish = [operation, finish = std::move(finish)](SignOutcome outcome) {
    outcome.operation = operation;
    finish(std::move(outcome));
  };
  if (may_sign) {
    if (auto refusal = may_sign(operation)) return finish(failure(403, *refusal, "forbidden"));
  }
  if (request.client_signing_root && *request.client_signing_root != request.signing_root) {
    return finish(failure(400,
                          "signingRoot " + to_hex(*request.client_signing_root) +
                              " does not match the signing root computed from the request, " +
                              to_hex(request.signing_root),
                          "signing_root_mismatch"));
  }

  auto pubkey = from_hex_fixed<48>(pubkey_hex);
  if (!pubkey) return finish(failure(400, "public key in the path: " + pubkey.error().message, "bad_request"));
  auto key = keys_.find(*pubkey);
  if (!key) {
    if (keys_loading_ && keys_loading_()) {
      return finish(failure(503, "keys are still loading; " + std::string(pubkey_hex) + " is not available yet",
                            "keys_loading"));
    }
    return finish(failure(404, "no key loaded for public key " + std::string(pubkey_hex), "unknown_key"));
  }

  std::optional<slashing::SignedMessage> message;
  if (request.block_slot) {
    message = slashing::BlockProposal{*pubkey, *request.block_slot, request.signing_root};
  } else if (request.source_epoch && request.target_epoch) {
    message = slashing::AttestationVote{*pubkey, *request.source_epoch, *request.target_epoch, request.signing_root};
  }
  if (!message) {
    // No slashing risk: an identical message signed recently has its signature already.
    if (auto cached = cache_.find(*pubkey, request.signing_root)) {
      SignOutcome outcome;
      outcome.signature = *cached;
      return finish(std::move(outcome));
    }
    return sign_on_pool(std::move(key), request.signing_root, deadline, true, std::move(finish));
  }

  const Root gvr = request.fork_info->genesis_validators_root;
  in_store_.fetch_add(1, std::memory_order_relaxed);
  store_.check_and_record(
      gvr, std::move(*message),
      [this, key = std::move(key), root = request.signing_root, finish = std::move(finish), deadline,
       asked = std::chrono::steady_clock::now()](Result<slashing::Decision> decision) mutable {
        const StoreCallDone store_call_done{*this};
        auto* metrics = options_.metrics;
        if (metrics != nullptr) {
          metrics->slashing_database(std::chrono::duration<double>(std::chrono::steady_clock::now() - asked).count());
        }
        if (!decision) {
          spdlog::error("anti-slashing database unavailable: {}", decision.error().message);
          return finish(failure(503, "anti-slashing database unavailable: " + decision.error().message,
                                "slashing_db_unavailable"));
        }
        if (decision->refusal == slashing::Refusal::key_disabled) {
          // 404 like an unknown key, not 412: the key was deleted through the Key Manager API (here
          // or on a replica sharing the database) and nothing about this message is slashable. A
          // validator client treats 412 as "slashable" (Teku reports it so), while 404 says what a
          // request a moment later gets here anyway, whichever side of the delete it fell on.
          return finish(failure(404, decision->detail, std::string(slashing::refusal_name(decision->refusal))));
        }
        if (!decision->allowed()) {
          if (metrics != nullptr) metrics->slashing_refusal(slashing::refusal_name(decision->refusal));
          return finish(failure(412, decision->detail, std::string(slashing::refusal_name(decision->refusal))));
        }
        if (std::chrono::steady_clock::now() >= deadline) return finish(deadline_exceeded("the anti-slashing database"));
        sign_on_pool(std::move(key), root, deadline, false, std::move(finish));
      });
}

SignOutcome SigningService::deadline_exceeded(std::string_view stage) const {
  const auto seconds = std::chrono::duration_cast<std::chrono::duration<double>>(options_.request_timeout).count();
  return failure(503,
                 fmt::format("request dropped unsigned: it waited for {} past its deadline ({:g} s after it arrived, "
                             "server.request_timeout_seconds)",
                             stage, seconds),
                 "deadline_exceeded");
}

void SigningService::sign_on_pool(std::shared_ptr<const crypto::SecretKey> key, Root signing_root, Deadline deadline,
                                  bool cacheable, std::function<void(SignOutcome)> done) {
  boost::asio::post(pool_, [this, key = std::move(key), signing_root, deadline, cacheable, done = std::move(done)] {
    // Stale: the client has given up; signing now would only delay the requests behind it.
    if (std::chrono::steady_clock::now() >= deadline) return done(deadline_exceeded("a signing thread"));
    SignOutcome outcome;
    outcome.signature = key->sign(signing_root);
    if (cacheable) cache_.insert(key->public_key(), signing_root, outcome.signature);
    done(std::move(outcome));
  });
}

}  // namespace cc::api
