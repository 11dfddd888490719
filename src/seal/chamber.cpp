#include "seal/chamber.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <set>
#include <stdexcept>

#include "core/json.hpp"
#include "crypto/shamir.hpp"

namespace cc::seal {

namespace {

constexpr std::string_view kDocument = "seal";

struct WrappedShare {
  std::uint8_t x = 0;
  std::string kms_key;
  ByteVector blob;
};

struct SealDocument {
  State state = State::uninitialized;
  std::string master_key_id;
  unsigned threshold = 0;
  Bytes<32> commitment{};
  std::vector<WrappedShare> shares;
};

std::string context_of(const std::string& master_key_id, std::uint8_t x) {
  return "containment-chamber master key " + master_key_id + " share " + std::to_string(x);
}

SealDocument parse(std::string_view text) {
  const auto v = json::parse(text);
  const json::Object o(v, "");
  if (o.u64("format") != 1) throw json::InputError("format: unsupported version (this signer reads 1)");
  SealDocument d;
  auto st = parse_state(o.string("state"));
  if (!st) throw json::InputError("state: unknown '" + std::string(o.string("state")) + "'");
  d.state = *st;
  if (o.string("mode") != "kms_only") throw json::InputError("mode: only kms_only is supported by this version");
  d.master_key_id = std::string(o.string("master_key_id"));
  d.threshold = static_cast<unsigned>(o.u64("threshold"));
  d.commitment = o.bytes<32>("commitment");
  const auto& shares = o.array("shares");
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const json::Object s(shares[i], json::index_path("shares", i));
    WrappedShare w;
    w.x = static_cast<std::uint8_t>(s.u64("x"));
    w.kms_key = std::string(s.string("kms_key"));
    auto blob = from_base64(s.string("blob"));
    if (!blob) throw json::InputError(s.field("blob") + ": " + blob.error().message);
    w.blob = std::move(*blob);
    d.shares.push_back(std::move(w));
  }
  return d;
}

std::string serialize(const SealDocument& d) {
  boost::json::array shares;
  for (const auto& s : d.shares) {
    shares.push_back(boost::json::object{{"x", s.x}, {"kms_key", s.kms_key}, {"blob", to_base64(s.blob)}});
  }
  return boost::json::serialize(boost::json::object{{"format", 1},
                                                    {"state", state_name(d.state)},
                                                    {"mode", "kms_only"},
                                                    {"master_key_id", d.master_key_id},
                                                    {"threshold", d.threshold},
                                                    {"commitment", to_hex(d.commitment)},
                                                    {"shares", std::move(shares)}}) +
         "\n";
}

// Applies `event` to the stored document (version-checked), returning the new document.
Result<SealDocument> advance(state::DocumentStore& store, Event event) {
  SealDocument out;
  auto written = state::update_document(store, kDocument, [&](const std::optional<state::Document>& doc) -> Result<std::string> {
    if (!doc) return Error::conflict("cannot " + std::string(event_name(event)) + ": the chamber is uninitialized");
    try {
      out = parse(doc->content);
    } catch (const std::exception& e) {
      return Error::invalid(std::string("document seal: ") + e.what());
    }
    auto next = transition(out.state, event);
    if (!next) return next.error();
    out.state = *next;
    return serialize(out);
  });
  if (!written) return written.error();
  return out;
}

}  // namespace

Chamber::Chamber(state::DocumentStore& store, WrapperFactory wrappers) : store_(store), wrappers_(std::move(wrappers)) {}

Status Chamber::rebuild_locked(const std::string& text) {
  SealDocument d;
  try {
    d = parse(text);
  } catch (const std::exception& e) {
    return Error::invalid(std::string("document seal: ") + e.what());
  }
  std::vector<crypto::Share> shares;
  std::string failures;
  for (const auto& w : d.shares) {
    if (shares.size() == d.threshold) break;  // enough: leave the other KMS keys alone
    auto wrapper = wrappers_(w.kms_key);
    Result<SecretBytes<32>> y = wrapper ? (*wrapper)->unwrap(w.blob, context_of(d.master_key_id, w.x))
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
  if (shares.size() < d.threshold) {
    for (auto& s : shares) secure_zero(s.y.data(), s.y.size());
    return Error::unavailable("cannot unseal: " + std::to_string(shares.size()) + " of the " +
                              std::to_string(d.threshold) + " KMS shares needed could be decrypted (" + failures + ")");
  }
  auto master = crypto::shamir_combine(shares, d.threshold, d.commitment);
  for (auto& s : shares) secure_zero(s.y.data(), s.y.size());
  if (!master) return Error::invalid("cannot unseal: " + master.error().message);
  if (!failures.empty()) spdlog::warn("seal: unsealed without some KMS keys: {}", failures);
  key_ = std::make_shared<const crypto::MasterKey>(crypto::MasterKey{d.master_key_id, std::move(*master)});
  return {};
}

// Opening is a first refresh: nothing held yet, so a chamber that is operational is rebuilt.
Status Chamber::open() { return refresh(); }

Status Chamber::init_kms_only(const std::vector<std::string>& key_arns, unsigned threshold) {
  if (key_arns.empty()) return Error::invalid("kms_key_arns: at least one KMS key");
  if (std::set<std::string>(key_arns.begin(), key_arns.end()).size() != key_arns.size()) {
    return Error::invalid("kms_key_arns: a KMS key is listed twice (each share needs its own key)");
  }
  if (threshold < 1 || threshold > key_arns.size()) {
    return Error::invalid("kms_threshold: between 1 and the number of KMS keys (" + std::to_string(key_arns.size()) + ")");
  }
  Bytes<32> raw{};
  unsigned char id_raw[4];
  if (RAND_bytes(raw.data(), 32) != 1 || RAND_bytes(id_raw, 4) != 1) throw std::runtime_error("RAND_bytes failed");
  SecretBytes<32> master(raw);
  secure_zero(raw.data(), raw.size());
  SealDocument d;
  d.state = State::unsealed;
  d.master_key_id = "m-" + to_hex(std::span<const std::uint8_t>(id_raw, 4)).substr(2);
  d.threshold = threshold;
  auto split = crypto::shamir_split(master, static_cast<unsigned>(key_arns.size()), threshold);
  if (!split) return split.error();
  d.commitment = split->commitment;
  for (std::size_t i = 0; i < key_arns.size(); ++i) {
    auto& share = split->shares[i];
    auto wrapper = wrappers_(key_arns[i]);
    if (!wrapper) return Error{wrapper.error().kind, "kms key " + key_arns[i] + ": " + wrapper.error().message};
    SecretBytes<32> y(share.y);
    secure_zero(share.y.data(), share.y.size());
    auto blob = (*wrapper)->wrap(y, context_of(d.master_key_id, share.x));
    if (!blob) return Error{blob.error().kind, "kms key " + key_arns[i] + ": " + blob.error().message};
    d.shares.push_back({share.x, key_arns[i], std::move(*blob)});
  }
  std::lock_guard lock(mu_);
  auto written = state::update_document(store_, kDocument, [&](const std::optional<state::Document>& doc) -> Result<std::string> {
    if (doc) return Error::conflict("cannot init: the chamber is initialized already");
    return serialize(d);
  });
  if (!written) return written.error();
  state_ = State::unsealed;
  key_ = std::make_shared<const crypto::MasterKey>(crypto::MasterKey{d.master_key_id, std::move(master)});
  spdlog::warn("seal: chamber initialized (KMS-only, {} of {} KMS keys), unsealed", threshold, key_arns.size());
  return {};
}

Status Chamber::seal() {
  std::lock_guard lock(mu_);
  key_.reset();  // here at once, whatever the store says
  auto d = advance(store_, Event::seal);
  if (!d) {
    if (state_ != State::uninitialized) state_ = State::sealed;
    return d.error();
  }
  state_ = d->state;
  spdlog::warn("seal: chamber sealed; signing with stored keys stops on every replica");
  return {};
}

Status Chamber::unseal() {
  std::lock_guard lock(mu_);
  auto doc = store_.get(kDocument);
  if (!doc) return doc.error();
  if (!*doc) return Error::conflict("cannot unseal with KMS: the chamber is uninitialized (run operator init first)");
  if (auto ok = rebuild_locked((*doc)->content); !ok) return ok;
  auto d = advance(store_, Event::kms_reconstructed);
  if (!d) {
    key_.reset();
    return d.error();
  }
  state_ = d->state;
  return {};
}

Status Chamber::refresh() {
  std::lock_guard lock(mu_);
  auto doc = store_.get(kDocument);
  if (!doc) return doc.error();
  if (!*doc) {
    key_.reset();
    state_ = State::uninitialized;
    return {};
  }
  SealDocument d;
  try {
    d = parse((*doc)->content);
  } catch (const std::exception& e) {
    key_.reset();  // cannot tell whether it was sealed: fail closed
    state_ = State::sealed;
    return Error::invalid(std::string("document seal: ") + e.what());
  }
  if (!signing_allowed(d.state)) {
    if (key_) spdlog::warn("seal: sealed by another replica; master key dropped");
    key_.reset();
    state_ = d.state;
    return {};
  }
  if (!key_) {
    if (auto ok = rebuild_locked((*doc)->content); !ok) {
      state_ = State::sealed;
      return ok;
    }
  }
  state_ = d.state;
  return {};
}

State Chamber::state() const {
  std::lock_guard lock(mu_);
  return state_;
}

std::shared_ptr<const crypto::MasterKey> Chamber::master_key() const {
  std::lock_guard lock(mu_);
  return signing_allowed(state_) ? key_ : nullptr;
}

}  // namespace cc::seal
