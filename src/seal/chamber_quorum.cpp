// The operator-quorum half of the Chamber: init, registration, passphrase unseal, rotations.
// The design is at the top of chamber.hpp.
#include <spdlog/spdlog.h>

#include <ctime>
#include <set>

#include "crypto/secure_random.hpp"
#include "crypto/shamir.hpp"
#include "seal/chamber.hpp"
#include "seal/chamber_detail.hpp"
#include "seal/operator_share.hpp"

namespace cc::seal {

using namespace detail;

namespace {

constexpr unsigned kMaxOperators = 32;
constexpr std::string_view kDocument = "seal";

std::string utc(std::int64_t unix_seconds) {
  const std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

bool valid_operator_name(const std::string& name) {
  if (name.empty() || name.size() > 32) return false;
  for (char c : name) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
          c == '.')) {
      return false;
    }
  }
  return true;
}

// Where a registration token's operator is: the chamber's set, or the set of a rotation.
struct SlotRef {
  bool in_rotation = false;
  std::string operator_id;
};

std::optional<SlotRef> find_token(const SealDocument& d, const Bytes<32>& hash) {
  auto scan = [&](const Quorum& q) -> const OperatorSlot* {
    for (const auto& s : q.operators) {
      if (!s.registered && s.token_hash == hash) return &s;
    }
    return nullptr;
  };
  if (d.state == State::awaiting_registration && d.quorum) {
    if (const auto* s = scan(*d.quorum)) return SlotRef{false, s->id};
  }
  if (d.state == State::awaiting_rotation && d.rotation) {
    if (const auto* s = scan(d.rotation->quorum)) return SlotRef{true, s->id};
  }
  return std::nullopt;
}

OperatorSlot* mutable_slot(Quorum& q, const std::string& id) {
  for (auto& s : q.operators) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

}  // namespace

Result<Quorum> Chamber::new_quorum(const SecretBytes<32>& master, const SecretBytes<32>& outer,
                                   const std::string& outer_id, const std::string& master_id, const QuorumSpec& spec,
                                   std::vector<RegistrationToken>& tokens) {
  std::vector<std::string> names = spec.names;
  if (!names.empty()) {
    if (spec.operators != 0 && spec.operators != names.size()) {
      return Error::invalid("operators: " + std::to_string(spec.operators) + " given, but " +
                            std::to_string(names.size()) + " operator names");
    }
    std::set<std::string> unique;
    for (const auto& n : names) {
      if (!valid_operator_name(n)) {
        return Error::invalid("operator_names: '" + n + "' is not 1 to 32 letters, digits, '-', '_' or '.'");
      }
      if (!unique.insert(n).second) return Error::invalid("operator_names: '" + n + "' is listed twice");
    }
  } else {
    for (unsigned i = 1; i <= spec.operators; ++i) names.push_back("op-" + std::to_string(i));
  }
  const auto n = static_cast<unsigned>(names.size());
  if (n < 1 || n > kMaxOperators) {
    return Error::invalid("operators: between 1 and " + std::to_string(kMaxOperators) + " (got " + std::to_string(n) +
                          ")");
  }
  if (spec.threshold < 1 || spec.threshold > n) {
    return Error::invalid("unseal_threshold: between 1 and the number of operators (" + std::to_string(n) + ")");
  }
  auto split = crypto::shamir_split(master, n, spec.threshold);
  if (!split) return split.error();
  Quorum q;
  q.threshold = spec.threshold;
  for (unsigned i = 0; i < n; ++i) {
    auto& share = split->shares[i];
    SecretBytes<32> y(share.y);
    secure_zero(share.y.data(), share.y.size());
    OperatorSlot slot;
    slot.id = names[i];
    slot.x = share.x;
    auto token = new_registration_token();
    slot.token_hash = registration_token_hash(token);
    slot.share = wrap_pending(outer, {master_id, outer_id, slot.id, slot.x}, y);
    tokens.push_back({slot.id, std::move(token)});
    q.operators.push_back(std::move(slot));
  }
  return q;
}

Result<std::vector<RegistrationToken>> Chamber::init_quorum(const std::vector<std::string>& key_arns,
                                                            unsigned kms_threshold, const QuorumSpec& quorum) {
  if (auto ok = check_kms_args(key_arns, kms_threshold); !ok) return ok.error();
  std::lock_guard lock(mu_);
  const auto master = random_secret();
  const auto outer = random_secret();
  SealDocument d;
  d.state = State::awaiting_registration;
  d.mode = Mode::quorum;
  d.master_key_id = random_id("m-");
  d.commitment = commitment_of(master);
  const auto outer_id = random_id("o-");
  std::vector<RegistrationToken> tokens;
  auto q = new_quorum(master, outer, outer_id, d.master_key_id, quorum, tokens);
  if (!q) return q.error();
  d.quorum = std::move(*q);
  auto layer = wrap_kms_secret(outer, KmsLayer::Secret::outer, outer_id, key_arns, kms_threshold);
  if (!layer) return layer.error();
  d.kms = std::move(*layer);
  d.record(now(), std::string(event_name(Event::init_quorum)));
  auto written =
      state::update_document(store_, kDocument, [&](const std::optional<state::Document>& doc) -> Result<std::string> {
        if (doc) return Error::conflict("cannot init: the chamber is initialized already");
        return serialize_seal_document(d);
      });
  if (!written) return written.error();
  adopt_locked(d);
  ++counters_.init;
  state_ = State::awaiting_registration;
  spdlog::warn(
      "seal: chamber initialized (operator quorum: {} of {} operators, {} of {} KMS keys); waiting for the "
      "operators to register",
      d.quorum->threshold, d.quorum->operators.size(), kms_threshold, key_arns.size());
  return tokens;
}

Result<Registered> Chamber::register_operator(std::string_view token, std::string_view passphrase) {
  auto pass = normalize_passphrase(passphrase, options_.min_passphrase_chars);
  if (!pass) return pass.error();
  if (token.rfind("cc-reg-", 0) != 0) return Error::unauthenticated("not a registration token (cc-reg-…)");
  const auto hash = registration_token_hash(token);
  std::lock_guard ceremony(ceremony_mu_);

  // 1. Find the operator, and the outer key its share is under.
  SealDocument d;
  SlotRef ref;
  SecretBytes<32> outer;
  std::string outer_id;
  {
    std::lock_guard lock(mu_);
    auto read = read_locked();
    if (!read) return read.error();
    d = std::move(*read);
    auto found = find_token(d, hash);
    if (!found) return Error::unauthenticated("registration token unknown or already used");
    ref = *found;
    const KmsLayer& layer = ref.in_rotation && d.rotation->kms ? *d.rotation->kms : d.kms;
    outer_id = layer.secret_id;
    if (outer_ && outer_id_ == outer_id) {
      outer = *outer_;
    } else {
      auto o = rebuild_kms_secret(layer);
      if (!o) return o.error();
      outer = *o;
    }
  }
  const Quorum& set = ref.in_rotation ? d.rotation->quorum : *d.quorum;
  const auto* slot = find_slot(set, ref.operator_id);
  const ShareContext ctx{d.master_key_id, outer_id, slot->id, slot->x};
  auto share = open_pending(outer, ctx, slot->share);
  if (!share) return Error::invalid("cannot register: " + share.error().message);

  // 2. The passphrase layer (scrypt: no lock held).
  PassphraseKdf kdf{options_.scrypt_n, options_.scrypt_r, options_.scrypt_p, ByteVector(32)};
  crypto::fill_random(kdf.salt);
  auto key = passphrase_key(*pass, kdf);
  if (!key) return key.error();
  const auto blob = wrap_registered(outer, ctx, *share, *key);

  // 3. Spend the token and store the share, in one version-checked write.
  std::lock_guard lock(mu_);
  const auto t = now();
  bool completed = false;
  std::string rotation_type;
  auto w = write_locked([&](SealDocument& doc) -> Status {
    completed = false;
    auto again = find_token(doc, hash);
    if (!again || again->in_rotation != ref.in_rotation || doc.master_key_id != d.master_key_id ||
        (ref.in_rotation && doc.rotation->started != d.rotation->started)) {
      return Error::unauthenticated("registration token unknown or already used");
    }
    Quorum& q = ref.in_rotation ? doc.rotation->quorum : *doc.quorum;
    auto* s = mutable_slot(q, ref.operator_id);
    s->registered = true;
    s->share = blob;
    s->kdf = kdf;
    s->token_hash = {};
    doc.record(t, "register " + s->id);
    for (const auto& o : q.operators) {
      if (!o.registered) return {};
    }
    completed = true;
    if (!ref.in_rotation) {
      doc.record(t, "all operators registered");
      return advance(doc, Event::all_registered, t);
    }
    rotation_type = doc.rotation->type;
    doc.quorum = std::move(doc.rotation->quorum);
    if (doc.rotation->kms) {
      doc.kms = std::move(*doc.rotation->kms);
      doc.mode = Mode::quorum;
    }
    doc.rotation.reset();
    doc.submissions.clear();
    doc.unnamed_lockout = {};
    return advance(doc, Event::rotation_finished, t);
  });
  if (!w) return w.error();
  const Quorum& now_set = completed ? *w->quorum : (ref.in_rotation ? w->rotation->quorum : *w->quorum);
  Registered out;
  out.operator_id = ref.operator_id;
  out.operators = static_cast<unsigned>(now_set.operators.size());
  for (const auto& o : now_set.operators) out.registered += o.registered ? 1 : 0;
  if (!ref.in_rotation) {
    state_ = w->state;
  } else if (key_ && key_epoch_ == w->epoch) {
    state_ = w->state;
  }
  out.state = state_;
  spdlog::warn("seal: operator {} registered ({} of {}){}", out.operator_id, out.registered, out.operators,
               !completed        ? ""
               : ref.in_rotation ? "; rotation " + rotation_type + " complete"
                                 : "; chamber sealed");
  return out;
}

Result<UnsealProgress> Chamber::submit_passphrase(std::string_view passphrase, const std::string& operator_id,
                                                  std::chrono::seconds* retry_after) {
  auto pass = normalize_passphrase(passphrase, 1);
  if (!pass) return pass.error();
  std::lock_guard ceremony(ceremony_mu_);

  struct Candidate {
    std::string id;
    std::uint8_t x;
    ByteVector blob;
    PassphraseKdf kdf;
  };
  std::vector<Candidate> candidates;
  SecretBytes<32> outer;
  SealDocument d;
  std::uint32_t charged = 0;
  // 1. Rebuild O if needed, pick the shares to try, and charge the attempt before scrypt runs.
  {
    std::lock_guard lock(mu_);
    auto read = read_locked();
    if (!read) return read.error();
    d = std::move(*read);
    if (d.mode != Mode::quorum) {
      return Error::conflict(
          "cannot unseal with a passphrase: the chamber is KMS-only (operator unseal without "
          "--passphrase)");
    }
    if (key_ && key_epoch_ == d.epoch && signing_allowed(d.state)) {
      return Error::conflict("cannot unseal: this replica is " + std::string(state_name(state_)) + " already");
    }
    if (!operational(d.state) && d.state != State::sealed) return transition(d.state, Event::kms_decrypted).error();
    if (auto ok = ensure_outer_locked(d); !ok) return ok.error();
    if (d.state == State::sealed) {
      auto w = write_locked([&](SealDocument& doc) { return advance(doc, Event::kms_decrypted, now()); });
      if (!w) return w.error();
      d = std::move(*w);
    }
    key_.reset();
    state_ = State::kms_unsealed;
    const auto t = now();
    for (const auto& slot : d.quorum->operators) {
      if (!operator_id.empty() && slot.id != operator_id) continue;
      if (!slot.registered) continue;
      if (live_submission(d, slot.id, t)) {
        if (!operator_id.empty()) {
          return Error::conflict("operator " + operator_id + " has submitted already (" +
                                 std::to_string(live_submissions(d, t)) + " of " + std::to_string(d.quorum->threshold) +
                                 ")");
        }
        continue;
      }
      candidates.push_back({slot.id, slot.x, slot.share, slot.kdf});
    }
    if (candidates.empty()) {
      if (!operator_id.empty()) {
        std::string ids;
        for (const auto& s : d.quorum->operators) ids += (ids.empty() ? "" : ", ") + s.id;
        return Error::not_found("no registered operator '" + operator_id + "' (operators: " + ids + ")");
      }
      return Error::conflict("every registered operator has submitted already");
    }
    std::int64_t locked_until = 0;
    auto w = write_locked([&](SealDocument& doc) -> Status {
      if (doc.epoch != d.epoch || !operational(doc.state)) {
        return Error::conflict("cannot unseal: the chamber was sealed meanwhile; unseal again");
      }
      Lockout* bucket = &doc.unnamed_lockout;
      if (!operator_id.empty()) {
        auto* s = mutable_slot(*doc.quorum, operator_id);
        if (s == nullptr) return Error::conflict("cannot unseal: the operators changed meanwhile; try again");
        bucket = &s->lockout;
      }
      if (bucket->locked_until > t) {
        locked_until = bucket->locked_until;
        return Error::unavailable((operator_id.empty() ? std::string("unseal attempts naming no operator are")
                                                       : "operator " + operator_id + " is") +
                                  " locked out after " + std::to_string(bucket->failures) +
                                  " wrong passphrases in a row: retry in " + std::to_string(locked_until - t) +
                                  " s (after " + utc(locked_until) + ")");
      }
      ++bucket->failures;
      const auto lock_for = lockout_seconds(bucket->failures);
      bucket->locked_until = lock_for > 0 ? t + lock_for : 0;
      charged = bucket->failures;
      return {};
    });
    if (!w) {
      if (locked_until > 0 && retry_after != nullptr) *retry_after = std::chrono::seconds(locked_until - t);
      return w.error();
    }
    outer = *outer_;
  }

  // 2. scrypt and the passphrase layer, with no lock held.
  std::optional<SecretBytes<32>> share;
  const Candidate* matched = nullptr;
  std::string damaged;
  for (const auto& c : candidates) {
    auto key = passphrase_key(*pass, c.kdf);
    if (!key) {
      damaged = "operator " + c.id + ": " + key.error().message;
      continue;
    }
    auto y = open_registered(outer, {d.master_key_id, d.kms.secret_id, c.id, c.x}, c.blob, *key);
    if (y) {
      share = std::move(*y);
      matched = &c;
      break;
    }
    if (y.error().kind != Error::Kind::unauthenticated) damaged = y.error().message;
  }
  if (!share) {
    if (!damaged.empty()) spdlog::error("seal: {}", damaged);
    const auto lock_for = lockout_seconds(charged);
    std::string who = operator_id.empty() ? "(it opens no registered operator's share that is still missing)"
                                          : "for operator " + operator_id;
    std::string next = lock_for > 0 ? "locked out for " + std::to_string(lock_for) + " s"
                                    : std::to_string(kFreeAttempts - charged) + " more before a lockout";
    spdlog::warn("seal: a wrong passphrase {}", who);
    return Error::unauthenticated("wrong passphrase " + who + "; " + next);
  }

  // 3. Store the share for every replica, clear the lockout, and unseal if the threshold is met.
  std::lock_guard lock(mu_);
  const auto t = now();
  const auto expires = t + std::chrono::duration_cast<std::chrono::seconds>(options_.unseal_timeout).count();
  const ShareContext ctx{d.master_key_id, d.kms.secret_id, matched->id, matched->x};
  const auto blob = wrap_submission(outer, ctx, expires, *share);
  auto w = write_locked([&](SealDocument& doc) -> Status {
    if (doc.epoch != d.epoch || !operational(doc.state) || doc.kms.secret_id != d.kms.secret_id) {
      return Error::conflict("cannot unseal: the chamber was sealed or rotated meanwhile; unseal again");
    }
    auto* s = mutable_slot(*doc.quorum, matched->id);
    if (s == nullptr || s->x != matched->x) return Error::conflict("cannot unseal: the operators changed meanwhile");
    s->lockout = {};
    if (operator_id.empty()) doc.unnamed_lockout = {};
    std::erase_if(doc.submissions,
                  [&](const Submission& sub) { return sub.expires <= t || sub.operator_id == matched->id; });
    doc.submissions.push_back({matched->id, matched->x, blob, expires});
    doc.record(t, "unseal share " + matched->id);
    return {};
  });
  if (!w) return w.error();
  ++counters_.unseal_shares[matched->id];
  if (auto ok = combine_submissions_locked(*w); !ok) return ok.error();
  spdlog::warn("seal: operator {} submitted a share ({} of {})", matched->id, live_submissions(*last_, t),
               w->quorum->threshold);
  return UnsealProgress{state_, live_submissions(*last_, t), w->quorum->threshold, matched->id};
}

Status Chamber::require_unsealed_locked(const SealDocument& d, const char* what) const {
  if (d.state != State::unsealed) {
    auto refused = transition(d.state, Event::rotation_started);
    if (!refused)
      return Error::conflict(std::string("cannot ") + what + ": " +
                             refused.error().message.substr(refused.error().message.find(':') + 2));
  }
  if (!key_ || key_epoch_ != d.epoch) {
    return Error::conflict(std::string("cannot ") + what + ": this replica does not hold the master key (it is " +
                           std::string(state_name(state_)) + "); unseal it first");
  }
  return {};
}

Status Chamber::rotate_kms(const std::vector<std::string>& key_arns, unsigned threshold) {
  if (auto ok = check_kms_args(key_arns, threshold); !ok) return ok;
  std::lock_guard lock(mu_);
  auto d = read_locked();
  if (!d) return d.error();
  if (auto ok = require_unsealed_locked(*d, "rotate kms"); !ok) return ok;
  Result<KmsLayer> layer = Error::internal("unset");
  if (d->mode == Mode::kms_only) {
    layer = wrap_kms_secret(key_->secret, KmsLayer::Secret::master, d->master_key_id, key_arns, threshold);
  } else {
    if (auto ok = ensure_outer_locked(*d); !ok) return ok;
    layer = wrap_kms_secret(*outer_, KmsLayer::Secret::outer, d->kms.secret_id, key_arns, threshold);
  }
  if (!layer) return layer.error();
  const auto t = now();
  auto w = write_locked([&](SealDocument& doc) -> Status {
    if (doc.epoch != d->epoch || doc.state != State::unsealed || doc.kms.secret_id != d->kms.secret_id) {
      return Error::conflict("cannot rotate kms: the chamber changed meanwhile; try again");
    }
    doc.kms = *layer;
    doc.record(t, "rotate kms (" + std::to_string(threshold) + " of " + std::to_string(key_arns.size()) + " KMS keys)");
    return {};
  });
  if (!w) return w.error();
  ++counters_.rotations["kms"];
  spdlog::warn("seal: KMS keys rotated ({} of {})", threshold, key_arns.size());
  return {};
}

Result<std::vector<RegistrationToken>> Chamber::rotate_operators_locked(const SealDocument& d, const std::string& type,
                                                                        const QuorumSpec& spec) {
  const std::string what = "rotate " + type;
  if (auto ok = require_unsealed_locked(d, what.c_str()); !ok) return ok.error();
  if (d.mode != Mode::quorum) {
    return Error::conflict("cannot " + what + ": the chamber is KMS-only (operator rotate mode adds operators)");
  }
  if (auto ok = ensure_outer_locked(d); !ok) return ok.error();
  std::vector<RegistrationToken> tokens;
  auto q = new_quorum(key_->secret, *outer_, outer_id_, d.master_key_id, spec, tokens);
  if (!q) return q.error();
  const auto t = now();
  auto w = write_locked([&](SealDocument& doc) -> Status {
    if (doc.epoch != d.epoch || doc.kms.secret_id != d.kms.secret_id) {
      return Error::conflict("cannot " + what + ": the chamber changed meanwhile; try again");
    }
    if (auto ok = advance(doc, Event::rotation_started, t); !ok) return ok;
    doc.rotation = Rotation{type, t, std::nullopt, *q};
    doc.record(t, "rotation " + type + " started (" + std::to_string(q->threshold) + " of " +
                      std::to_string(q->operators.size()) + " operators)");
    return {};
  });
  if (!w) return w.error();
  ++counters_.rotations[type];
  state_ = w->state;
  spdlog::warn("seal: rotation {} started; signing goes on until the {} registrations are done", type,
               q->operators.size());
  return tokens;
}

Result<std::vector<RegistrationToken>> Chamber::rotate_quorum(const QuorumSpec& quorum) {
  std::lock_guard lock(mu_);
  auto d = read_locked();
  if (!d) return d.error();
  return rotate_operators_locked(*d, "quorum", quorum);
}

Result<std::vector<RegistrationToken>> Chamber::rotate_unseal() {
  std::lock_guard lock(mu_);
  auto d = read_locked();
  if (!d) return d.error();
  if (d->mode != Mode::quorum) return Error::conflict("cannot rotate unseal: the chamber is KMS-only (no passphrases)");
  // The same operators and threshold; fresh shares of K under new passphrases.
  QuorumSpec same;
  for (const auto& s : d->quorum->operators) same.names.push_back(s.id);
  same.threshold = d->quorum->threshold;
  return rotate_operators_locked(*d, "unseal", same);
}

Result<std::vector<RegistrationToken>> Chamber::rotate_mode(Mode target, const QuorumSpec& quorum) {
  std::lock_guard lock(mu_);
  auto d = read_locked();
  if (!d) return d.error();
  if (auto ok = require_unsealed_locked(*d, "rotate mode"); !ok) return ok.error();
  if (d->mode == target) {
    return Error::conflict("cannot rotate mode: the chamber is " + std::string(mode_name(target)) + " already");
  }
  std::vector<std::string> arns;
  for (const auto& s : d->kms.shares) arns.push_back(s.kms_key);
  const auto t = now();
  std::vector<RegistrationToken> tokens;
  if (target == Mode::kms_only) {
    auto layer = wrap_kms_secret(key_->secret, KmsLayer::Secret::master, d->master_key_id, arns, d->kms.threshold);
    if (!layer) return layer.error();
    auto w = write_locked([&](SealDocument& doc) -> Status {
      if (doc.epoch != d->epoch || doc.state != State::unsealed || doc.mode != Mode::quorum) {
        return Error::conflict("cannot rotate mode: the chamber changed meanwhile; try again");
      }
      doc.mode = Mode::kms_only;
      doc.kms = *layer;
      doc.quorum.reset();
      doc.submissions.clear();
      doc.unnamed_lockout = {};
      doc.record(t, "rotate mode quorum → kms_only");
      return {};
    });
    if (!w) return w.error();
    outer_.reset();
    outer_id_.clear();
    ++counters_.rotations["mode"];
    spdlog::warn("seal: mode rotated to KMS-only; restarts unseal without operators");
    return tokens;
  }
  const auto outer = random_secret();
  const auto outer_id = random_id("o-");
  auto q = new_quorum(key_->secret, outer, outer_id, d->master_key_id, quorum, tokens);
  if (!q) return q.error();
  auto layer = wrap_kms_secret(outer, KmsLayer::Secret::outer, outer_id, arns, d->kms.threshold);
  if (!layer) return layer.error();
  auto w = write_locked([&](SealDocument& doc) -> Status {
    if (doc.epoch != d->epoch || doc.mode != Mode::kms_only) {
      return Error::conflict("cannot rotate mode: the chamber changed meanwhile; try again");
    }
    if (auto ok = advance(doc, Event::rotation_started, t); !ok) return ok;
    doc.rotation = Rotation{"mode", t, *layer, *q};
    doc.record(t, "rotation mode kms_only → quorum started (" + std::to_string(q->threshold) + " of " +
                      std::to_string(q->operators.size()) + " operators)");
    return {};
  });
  if (!w) return w.error();
  ++counters_.rotations["mode"];
  state_ = w->state;
  spdlog::warn("seal: rotation to operator quorum started; KMS-only until every operator registered");
  return tokens;
}

Status Chamber::cancel_rotation() {
  std::lock_guard lock(mu_);
  const auto t = now();
  auto w = write_locked([&](SealDocument& doc) -> Status {
    if (!doc.rotation) return Error::conflict("cannot cancel: no rotation in progress");
    const auto type = doc.rotation->type;
    if (auto ok = advance(doc, Event::rotation_finished, t); !ok) return ok;
    doc.rotation.reset();
    doc.record(t, "rotation " + type + " cancelled");
    return {};
  });
  if (!w) return w.error();
  if (key_ && key_epoch_ == w->epoch) state_ = w->state;
  spdlog::warn("seal: rotation cancelled; its registration tokens are void");
  return {};
}

}  // namespace cc::seal
