#include "seal/chamber.hpp"

#include <spdlog/spdlog.h>

#include <set>

#include "crypto/secure_random.hpp"
#include "crypto/shamir.hpp"
#include "seal/chamber_detail.hpp"
#include "seal/operator_share.hpp"

namespace cc::seal {

namespace detail {

std::string kms_context(const KmsLayer& layer, std::uint8_t x) {
  // The master key's context is the one KMS-only chambers have always used.
  const char* what = layer.secret == KmsLayer::Secret::master ? "master" : "outer";
  return "containment-chamber " + std::string(what) + " key " + layer.secret_id + " share " + std::to_string(x);
}

SecretBytes<32> random_secret() {
  Bytes<32> raw{};
  crypto::fill_random(raw);
  SecretBytes<32> out(raw);
  secure_zero(raw.data(), raw.size());
  return out;
}

std::string random_id(const std::string& prefix) {
  Bytes<4> raw{};
  crypto::fill_random(raw);
  return prefix + to_hex(raw).substr(2);
}

Bytes<32> commitment_of(const SecretBytes<32>& secret) {
  auto split = crypto::shamir_split(secret, 1, 1);
  for (auto& s : split->shares) secure_zero(s.y.data(), s.y.size());
  return split->commitment;
}

Status check_kms_args(const std::vector<std::string>& key_arns, unsigned threshold) {
  if (key_arns.empty()) return Error::invalid("kms_key_arns: at least one KMS key");
  if (std::set<std::string>(key_arns.begin(), key_arns.end()).size() != key_arns.size()) {
    return Error::invalid("kms_key_arns: a KMS key is listed twice (each share needs its own key)");
  }
  if (threshold < 1 || threshold > key_arns.size()) {
    return Error::invalid("kms_threshold: between 1 and the number of KMS keys (" + std::to_string(key_arns.size()) + ")");
  }
  return {};
}

bool operational(State s) { return s == State::kms_unsealed || signing_allowed(s); }

const OperatorSlot* find_slot(const Quorum& q, const std::string& id) {
  for (const auto& s : q.operators) {
    if (s.id == id) return &s;
  }
  return nullptr;
}

bool live_submission(const SealDocument& d, const std::string& operator_id, std::int64_t now) {
  for (const auto& s : d.submissions) {
    if (s.operator_id == operator_id && s.expires > now) return true;
  }
  return false;
}

unsigned live_submissions(const SealDocument& d, std::int64_t now) {
  if (!d.quorum) return 0;
  unsigned n = 0;
  for (const auto& slot : d.quorum->operators) n += live_submission(d, slot.id, now) ? 1 : 0;
  return n;
}

Status advance(SealDocument& d, Event event, std::int64_t now) {
  auto next = transition(d.state, event);
  if (!next) return next.error();
  d.state = *next;
  d.record(now, std::string(event_name(event)));
  return {};
}

}  // namespace detail

using namespace detail;

namespace {
constexpr std::string_view kDocument = "seal";
}

Chamber::Chamber(state::DocumentStore& store, WrapperFactory wrappers, ChamberOptions options)
    : store_(store), wrappers_(std::move(wrappers)), options_(std::move(options)) {
  if (!options_.now) {
    options_.now = [] {
      return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
    };
  }
}

std::int64_t Chamber::now() const { return options_.now(); }

void Chamber::adopt_locked(const SealDocument& d) { last_ = d; }

Result<SealDocument> Chamber::read_locked() {
  auto doc = store_.get(kDocument);
  if (!doc) return doc.error();
  if (!*doc) return Error::conflict("the chamber is uninitialized (run operator init first)");
  try {
    auto d = parse_seal_document((*doc)->content);
    adopt_locked(d);
    return d;
  } catch (const std::exception& e) {
    return Error::invalid(std::string("document seal: ") + e.what());
  }
}

Result<SealDocument> Chamber::write_locked(const std::function<Status(SealDocument&)>& change) {
  SealDocument out;
  auto written = state::update_document(store_, kDocument, [&](const std::optional<state::Document>& doc) -> Result<std::string> {
    if (!doc) return Error::conflict("the chamber is uninitialized (run operator init first)");
    try {
      out = parse_seal_document(doc->content);
    } catch (const std::exception& e) {
      return Error::invalid(std::string("document seal: ") + e.what());
    }
    if (auto ok = change(out); !ok) return ok.error();
    return serialize_seal_document(out);
  });
  if (!written) return written.error();
  adopt_locked(out);
  return out;
}

Result<SecretBytes<32>> Chamber::rebuild_kms_secret(const KmsLayer& layer) {
  std::vector<crypto::Share> shares;
  std::string failures;
  for (const auto& w : layer.shares) {
    if (shares.size() == layer.threshold) break;  // enough: leave the other KMS keys alone
    auto wrapper = wrappers_(w.kms_key);
    Result<SecretBytes<32>> y = wrapper ? (*wrapper)->unwrap(w.blob, kms_context(layer, w.x))
                                        : Result<SecretBytes<32>>(wrapper.error());
    if (!y) {
      failures += (failures.empty() ? "" : "; ") + w.kms_key + ": " + y.error().message;
      continue;
    }
    crypto::Share s;
    s.x = w.x;
    std::copy(y->data(), y->data() + 32, s.y.begin());
    shares.push_back(s);
  }
  if (shares.size() < layer.threshold) {
    for (auto& s : shares) secure_zero(s.y.data(), s.y.size());
    return Error::unavailable("cannot unseal: " + std::to_string(shares.size()) + " of the " +
                              std::to_string(layer.threshold) + " KMS shares needed could be decrypted (" + failures +
                              ")");
  }
  auto secret = crypto::shamir_combine(shares, layer.threshold, layer.commitment);
  for (auto& s : shares) secure_zero(s.y.data(), s.y.size());
  if (!secret) return Error::invalid("cannot unseal: " + secret.error().message);
  if (!failures.empty()) spdlog::warn("seal: rebuilt without some KMS keys: {}", failures);
  return secret;
}

Result<KmsLayer> Chamber::wrap_kms_secret(const SecretBytes<32>& secret, KmsLayer::Secret kind,
                                          const std::string& secret_id, const std::vector<std::string>& key_arns,
                                          unsigned threshold) {
  if (auto ok = check_kms_args(key_arns, threshold); !ok) return ok.error();
  KmsLayer layer;
  layer.secret = kind;
  layer.secret_id = secret_id;
  layer.threshold = threshold;
  auto split = crypto::shamir_split(secret, static_cast<unsigned>(key_arns.size()), threshold);
  if (!split) return split.error();
  layer.commitment = split->commitment;
  Status failed;
  for (std::size_t i = 0; i < key_arns.size() && failed.ok(); ++i) {
    auto& share = split->shares[i];
    SecretBytes<32> y(share.y);
    auto wrapper = wrappers_(key_arns[i]);
    if (!wrapper) {
      failed = Error{wrapper.error().kind, "kms key " + key_arns[i] + ": " + wrapper.error().message};
      break;
    }
    auto blob = (*wrapper)->wrap(y, kms_context(layer, share.x));
    if (!blob) {
      failed = Error{blob.error().kind, "kms key " + key_arns[i] + ": " + blob.error().message};
      break;
    }
    layer.shares.push_back({share.x, key_arns[i], std::move(*blob)});
  }
  for (auto& s : split->shares) secure_zero(s.y.data(), s.y.size());
  if (!failed) return failed.error();
  return layer;
}

void Chamber::hold_key_locked(const std::string& id, const SecretBytes<32>& secret, std::uint64_t epoch) {
  if (!key_) ++counters_.unseal;
  key_ = std::make_shared<const crypto::MasterKey>(crypto::MasterKey{id, secret});
  key_epoch_ = epoch;
}

Status Chamber::ensure_outer_locked(const SealDocument& d) {
  if (d.kms.secret != KmsLayer::Secret::outer) return Error::internal("the KMS layer holds no outer key");
  if (outer_ && outer_id_ == d.kms.secret_id) return {};
  auto o = rebuild_kms_secret(d.kms);
  if (!o) return o.error();
  outer_ = std::move(*o);
  outer_id_ = d.kms.secret_id;
  return {};
}

Status Chamber::combine_submissions_locked(const SealDocument& d) {
  if (!d.quorum || !outer_ || outer_id_ != d.kms.secret_id) return {};
  const auto t = now();
  std::vector<crypto::Share> shares;
  std::set<std::uint8_t> seen;
  for (const auto& s : d.submissions) {
    if (s.expires <= t || seen.count(s.x)) continue;
    const auto* slot = find_slot(*d.quorum, s.operator_id);
    if (slot == nullptr || slot->x != s.x) continue;
    auto y = open_submission(*outer_, {d.master_key_id, d.kms.secret_id, s.operator_id, s.x}, s.expires, s.blob);
    if (!y) {
      spdlog::warn("seal: a submitted share does not open: {}", y.error().message);
      continue;
    }
    crypto::Share share;
    share.x = s.x;
    std::copy(y->data(), y->data() + 32, share.y.begin());
    shares.push_back(share);
    seen.insert(s.x);
  }
  if (shares.size() < d.quorum->threshold) {
    for (auto& s : shares) secure_zero(s.y.data(), s.y.size());
    return {};
  }
  auto master = crypto::shamir_combine(shares, d.quorum->threshold, d.commitment);
  for (auto& s : shares) secure_zero(s.y.data(), s.y.size());
  if (!master) return Error::invalid("cannot unseal: " + master.error().message);
  if (d.state == State::kms_unsealed) {
    // This replica completes the ceremony for every replica (unless it was sealed meanwhile).
    auto w = write_locked([&](SealDocument& doc) -> Status {
      if (doc.epoch != d.epoch) return Error::conflict("cannot unseal: the chamber was sealed meanwhile");
      if (doc.state != State::kms_unsealed) return {};
      return advance(doc, Event::threshold_reached, t);
    });
    if (!w) return w.error();
    hold_key_locked(d.master_key_id, *master, w->epoch);
    state_ = signing_allowed(w->state) ? w->state : State::unsealed;
  } else {
    hold_key_locked(d.master_key_id, *master, d.epoch);
    state_ = d.state;
  }
  spdlog::warn("seal: unsealed with {} operators' shares", d.quorum->threshold);
  return {};
}

Status Chamber::open() { return refresh(); }

Status Chamber::refresh() {
  std::lock_guard lock(mu_);
  return refresh_locked();
}

Status Chamber::refresh_locked() {
  auto doc = store_.get(kDocument);
  if (!doc) return doc.error();
  if (!*doc) {
    key_.reset();
    outer_.reset();
    last_.reset();
    state_ = State::uninitialized;
    return {};
  }
  SealDocument d;
  try {
    d = parse_seal_document((*doc)->content);
  } catch (const std::exception& e) {
    key_.reset();  // cannot tell whether it was sealed: fail closed
    outer_.reset();
    state_ = State::sealed;
    return Error::invalid(std::string("document seal: ") + e.what());
  }
  adopt_locked(d);
  if (!operational(d.state)) {
    if (key_) spdlog::warn("seal: sealed by another replica; master key dropped");
    key_.reset();
    outer_.reset();
    state_ = d.state;
    return {};
  }
  if (key_ && key_epoch_ != d.epoch) {
    spdlog::warn("seal: the chamber was sealed and unsealed since this replica rebuilt its key; dropped");
    key_.reset();
    outer_.reset();
  }
  if (d.mode == Mode::kms_only) {
    outer_.reset();
    if (!key_) {
      auto k = rebuild_kms_secret(d.kms);
      if (!k) {
        state_ = State::sealed;
        return k.error();
      }
      hold_key_locked(d.master_key_id, *k, d.epoch);
    }
    state_ = d.state;
    return {};
  }
  if (key_ && signing_allowed(d.state)) {
    state_ = d.state;
    return {};
  }
  key_.reset();
  if (auto ok = ensure_outer_locked(d); !ok) {
    state_ = State::sealed;
    return ok;
  }
  state_ = State::kms_unsealed;
  return combine_submissions_locked(d);
}

Status Chamber::init_kms_only(const std::vector<std::string>& key_arns, unsigned threshold) {
  if (auto ok = check_kms_args(key_arns, threshold); !ok) return ok;
  std::lock_guard lock(mu_);
  const auto master = random_secret();
  SealDocument d;
  d.state = State::unsealed;
  d.mode = Mode::kms_only;
  d.master_key_id = random_id("m-");
  d.commitment = commitment_of(master);
  auto layer = wrap_kms_secret(master, KmsLayer::Secret::master, d.master_key_id, key_arns, threshold);
  if (!layer) return layer.error();
  d.kms = std::move(*layer);
  d.record(now(), std::string(event_name(Event::init_kms_only)));
  auto written = state::update_document(store_, kDocument, [&](const std::optional<state::Document>& doc) -> Result<std::string> {
    if (doc) return Error::conflict("cannot init: the chamber is initialized already");
    return serialize_seal_document(d);
  });
  if (!written) return written.error();
  adopt_locked(d);
  ++counters_.init;
  state_ = State::unsealed;
  key_ = std::make_shared<const crypto::MasterKey>(crypto::MasterKey{d.master_key_id, master});
  key_epoch_ = d.epoch;
  spdlog::warn("seal: chamber initialized (KMS-only, {} of {} KMS keys), unsealed", threshold, key_arns.size());
  return {};
}

Status Chamber::seal() {
  std::lock_guard lock(mu_);
  key_.reset();  // here at once, whatever the store says
  outer_.reset();
  outer_id_.clear();
  auto d = write_locked([&](SealDocument& doc) -> Status {
    if (auto ok = advance(doc, Event::seal, now()); !ok) return ok;
    ++doc.epoch;
    doc.submissions.clear();
    if (doc.rotation) doc.record(now(), "rotation " + doc.rotation->type + " cancelled by the seal");
    doc.rotation.reset();
    return {};
  });
  if (!d) {
    if (state_ != State::uninitialized) state_ = State::sealed;
    if (d.error().kind == Error::Kind::conflict && d.error().message.rfind("cannot", 0) != 0) {
      return Error::conflict("cannot seal: " + d.error().message);
    }
    return d.error();
  }
  ++counters_.seal;
  state_ = d->state;
  spdlog::warn("seal: chamber sealed; signing with stored keys stops on every replica");
  return {};
}

Result<UnsealProgress> Chamber::unseal() {
  std::lock_guard lock(mu_);
  auto d = read_locked();
  if (!d) {
    if (d.error().kind == Error::Kind::conflict) {
      return Error::conflict("cannot unseal with KMS: the chamber is uninitialized (run operator init first)");
    }
    return d.error();
  }
  if (d->mode == Mode::kms_only) {
    if (auto ok = transition(d->state, Event::kms_reconstructed); !ok) return ok.error();
    auto k = rebuild_kms_secret(d->kms);
    if (!k) return k.error();
    auto w = write_locked([&](SealDocument& doc) { return advance(doc, Event::kms_reconstructed, now()); });
    if (!w) return w.error();
    hold_key_locked(w->master_key_id, *k, w->epoch);
    state_ = w->state;
    return UnsealProgress{state_, 0, 0, ""};
  }
  if (key_ && key_epoch_ == d->epoch && signing_allowed(d->state)) {
    return Error::conflict("cannot unseal: this replica is " + std::string(state_name(state_)) + " already");
  }
  if (!operational(d->state) && d->state != State::sealed) {
    return transition(d->state, Event::kms_decrypted).error();
  }
  if (auto ok = ensure_outer_locked(*d); !ok) return ok.error();
  SealDocument doc = *d;
  if (d->state == State::sealed) {
    auto w = write_locked([&](SealDocument& fresh) { return advance(fresh, Event::kms_decrypted, now()); });
    if (!w) return w.error();
    doc = std::move(*w);
  }
  key_.reset();
  state_ = State::kms_unsealed;
  if (auto ok = combine_submissions_locked(doc); !ok) return ok.error();
  return UnsealProgress{state_, live_submissions(*last_, now()), doc.quorum->threshold, ""};
}

State Chamber::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::shared_ptr<const crypto::MasterKey> Chamber::master_key() const {
  std::lock_guard lock(mu_);
  return signing_allowed(state_) ? key_ : nullptr;
}

bool Chamber::holds_outer_key() const {
  std::lock_guard lock(mu_);
  return outer_.has_value();
}

ChamberCounters Chamber::counters() const {
  std::lock_guard lock(mu_);
  return counters_;
}

ChamberStatus Chamber::status() const {
  std::lock_guard lock(mu_);
  ChamberStatus s;
  s.state = state_;
  if (!last_) return s;
  const auto& d = *last_;
  const auto t = now();
  s.shared_state = d.state;
  s.mode = d.mode;
  s.master_key_id = d.master_key_id;
  for (const auto& w : d.kms.shares) s.kms_keys.push_back(w.kms_key);
  s.kms_threshold = d.kms.threshold;
  auto operators = [&](const Quorum& q) {
    std::vector<OperatorStatus> out;
    for (const auto& slot : q.operators) {
      out.push_back({slot.id, slot.registered, live_submission(d, slot.id, t), slot.lockout.failures,
                     slot.lockout.locked_until > t ? slot.lockout.locked_until : 0});
    }
    return out;
  };
  if (d.quorum) {
    s.unseal_threshold = d.quorum->threshold;
    s.operators = operators(*d.quorum);
    s.submitted = live_submissions(d, t);
  }
  if (d.rotation) {
    s.rotation = d.rotation->type;
    s.rotation_operators = operators(d.rotation->quorum);
    for (auto& o : s.rotation_operators) o.submitted = false;
    s.rotation_threshold = d.rotation->quorum.threshold;
  }
  const std::size_t keep = 8;
  s.transitions.assign(d.transitions.size() > keep ? d.transitions.end() - keep : d.transitions.begin(),
                       d.transitions.end());
  return s;
}

}  // namespace cc::seal
