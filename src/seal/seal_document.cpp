#include "seal/seal_document.hpp"

#include <boost/json.hpp>

#include "core/json.hpp"

namespace cc::seal {

namespace {

constexpr std::size_t kKeptTransitions = 64;

ByteVector base64_field(const json::Object& o, std::string_view key) {
  auto v = from_base64(o.string(key));
  if (!v) throw json::InputError(o.field(key) + ": " + v.error().message);
  return std::move(*v);
}

std::uint8_t x_field(const json::Object& o) {
  const auto x = o.u64("x");
  if (x < 1 || x > 255) throw json::InputError(o.field("x") + ": a share index is between 1 and 255");
  return static_cast<std::uint8_t>(x);
}

std::vector<WrappedShare> parse_shares(const json::Object& o) {
  std::vector<WrappedShare> out;
  const auto& shares = o.array("shares");
  for (std::size_t i = 0; i < shares.size(); ++i) {
    const json::Object s(shares[i], json::index_path(o.field("shares"), i));
    out.push_back({x_field(s), std::string(s.string("kms_key")), base64_field(s, "blob")});
  }
  return out;
}

KmsLayer parse_kms(const json::Object& o) {
  KmsLayer k;
  const auto secret = o.string("secret");
  if (secret != "master" && secret != "outer") throw json::InputError(o.field("secret") + ": master or outer");
  k.secret = secret == "master" ? KmsLayer::Secret::master : KmsLayer::Secret::outer;
  k.secret_id = std::string(o.string("secret_id"));
  k.threshold = static_cast<unsigned>(o.u64("threshold"));
  k.commitment = o.bytes<32>("commitment");
  k.shares = parse_shares(o);
  if (k.threshold < 1 || k.threshold > k.shares.size()) throw json::InputError(o.field("threshold") + ": out of range");
  return k;
}

Lockout parse_lockout(const json::Object& o) {
  return {static_cast<std::uint32_t>(o.u64("failures")), static_cast<std::int64_t>(o.u64("locked_until"))};
}

Quorum parse_quorum(const json::Object& o) {
  Quorum q;
  q.threshold = static_cast<unsigned>(o.u64("threshold"));
  const auto& ops = o.array("operators");
  for (std::size_t i = 0; i < ops.size(); ++i) {
    const json::Object s(ops[i], json::index_path(o.field("operators"), i));
    OperatorSlot slot;
    slot.id = std::string(s.string("id"));
    slot.x = x_field(s);
    slot.registered = s.boolean("registered");
    slot.share = base64_field(s, "share");
    if (slot.registered) {
      const auto kdf = s.object("kdf");
      slot.kdf.n = kdf.u64("n");
      slot.kdf.r = static_cast<std::uint32_t>(kdf.u64("r"));
      slot.kdf.p = static_cast<std::uint32_t>(kdf.u64("p"));
      slot.kdf.salt = base64_field(kdf, "salt");
    } else {
      slot.token_hash = s.bytes<32>("token_hash");
    }
    slot.lockout = parse_lockout(s.object("lockout"));
    q.operators.push_back(std::move(slot));
  }
  if (q.threshold < 1 || q.threshold > q.operators.size()) {
    throw json::InputError(o.field("threshold") + ": out of range");
  }
  return q;
}

boost::json::object kms_json(const KmsLayer& k) {
  boost::json::array shares;
  for (const auto& s : k.shares) {
    shares.push_back(boost::json::object{{"x", s.x}, {"kms_key", s.kms_key}, {"blob", to_base64(s.blob)}});
  }
  return {{"secret", k.secret == KmsLayer::Secret::master ? "master" : "outer"},
          {"secret_id", k.secret_id},
          {"threshold", k.threshold},
          {"commitment", to_hex(k.commitment)},
          {"shares", std::move(shares)}};
}

boost::json::object lockout_json(const Lockout& l) {
  return {{"failures", l.failures}, {"locked_until", l.locked_until}};
}

boost::json::object quorum_json(const Quorum& q) {
  boost::json::array ops;
  for (const auto& s : q.operators) {
    boost::json::object o{{"id", s.id}, {"x", s.x}, {"registered", s.registered}, {"share", to_base64(s.share)}};
    if (s.registered) {
      o["kdf"] = boost::json::object{{"n", s.kdf.n}, {"r", s.kdf.r}, {"p", s.kdf.p}, {"salt", to_base64(s.kdf.salt)}};
    } else {
      o["token_hash"] = to_hex(s.token_hash);
    }
    o["lockout"] = lockout_json(s.lockout);
    ops.push_back(std::move(o));
  }
  return {{"threshold", q.threshold}, {"operators", std::move(ops)}};
}

// Format 1: KMS-only, the master key's shares at the top level.
SealDocument parse_format_1(const json::Object& o) {
  SealDocument d;
  if (o.string("mode") != "kms_only") throw json::InputError("mode: format 1 holds kms_only only");
  d.mode = Mode::kms_only;
  d.master_key_id = std::string(o.string("master_key_id"));
  d.commitment = o.bytes<32>("commitment");
  d.kms.secret = KmsLayer::Secret::master;
  d.kms.secret_id = d.master_key_id;
  d.kms.threshold = static_cast<unsigned>(o.u64("threshold"));
  d.kms.commitment = d.commitment;
  d.kms.shares = parse_shares(o);
  return d;
}

}  // namespace

std::string_view mode_name(Mode m) {
  return m == Mode::kms_only ? "kms_only" : "quorum";
}

std::optional<Mode> parse_mode(std::string_view name) {
  if (name == "kms_only") return Mode::kms_only;
  if (name == "quorum") return Mode::quorum;
  return std::nullopt;
}

void SealDocument::record(std::int64_t at, std::string event) {
  transitions.push_back({at, std::move(event), std::string(state_name(state))});
  if (transitions.size() > kKeptTransitions) {
    transitions.erase(transitions.begin(), transitions.end() - static_cast<std::ptrdiff_t>(kKeptTransitions));
  }
}

SealDocument parse_seal_document(std::string_view text) {
  const auto v = json::parse(text);
  const json::Object o(v, "");
  const auto format = o.u64("format");
  if (format != 1 && format != 2) throw json::InputError("format: unsupported version (this signer reads 1 and 2)");
  auto st = parse_state(o.string("state"));
  if (!st) throw json::InputError("state: unknown '" + std::string(o.string("state")) + "'");
  SealDocument d;
  if (format == 1) {
    d = parse_format_1(o);
    d.state = *st;
    return d;
  }
  d.state = *st;
  auto mode = parse_mode(o.string("mode"));
  if (!mode) throw json::InputError("mode: unknown '" + std::string(o.string("mode")) + "'");
  d.mode = *mode;
  d.master_key_id = std::string(o.string("master_key_id"));
  d.commitment = o.bytes<32>("commitment");
  d.epoch = o.u64("epoch");
  d.kms = parse_kms(o.object("kms"));
  if (o.has("quorum")) d.quorum = parse_quorum(o.object("quorum"));
  if ((d.mode == Mode::quorum) != d.quorum.has_value())
    throw json::InputError("quorum: present exactly in quorum mode");
  if ((d.mode == Mode::quorum) != (d.kms.secret == KmsLayer::Secret::outer)) {
    throw json::InputError("kms.secret: the outer key in quorum mode, the master key otherwise");
  }
  const auto& subs = o.array("submissions");
  for (std::size_t i = 0; i < subs.size(); ++i) {
    const json::Object s(subs[i], json::index_path("submissions", i));
    d.submissions.push_back({std::string(s.string("operator")), x_field(s), base64_field(s, "blob"),
                             static_cast<std::int64_t>(s.u64("expires"))});
  }
  d.unnamed_lockout = parse_lockout(o.object("unnamed_lockout"));
  if (o.has("rotation")) {
    const auto r = o.object("rotation");
    Rotation rot;
    rot.type = std::string(r.string("type"));
    rot.started = static_cast<std::int64_t>(r.u64("started"));
    if (r.has("kms")) rot.kms = parse_kms(r.object("kms"));
    rot.quorum = parse_quorum(r.object("quorum"));
    d.rotation = std::move(rot);
  }
  const auto& ts = o.array("transitions");
  for (std::size_t i = 0; i < ts.size(); ++i) {
    const json::Object t(ts[i], json::index_path("transitions", i));
    d.transitions.push_back(
        {static_cast<std::int64_t>(t.u64("at")), std::string(t.string("event")), std::string(t.string("state"))});
  }
  return d;
}

std::string serialize_seal_document(const SealDocument& d) {
  boost::json::object o{{"format", 2},
                        {"state", state_name(d.state)},
                        {"mode", mode_name(d.mode)},
                        {"master_key_id", d.master_key_id},
                        {"commitment", to_hex(d.commitment)},
                        {"epoch", d.epoch},
                        {"kms", kms_json(d.kms)}};
  if (d.quorum) o["quorum"] = quorum_json(*d.quorum);
  boost::json::array subs;
  for (const auto& s : d.submissions) {
    subs.push_back(boost::json::object{
        {"operator", s.operator_id}, {"x", s.x}, {"blob", to_base64(s.blob)}, {"expires", s.expires}});
  }
  o["submissions"] = std::move(subs);
  o["unnamed_lockout"] = lockout_json(d.unnamed_lockout);
  if (d.rotation) {
    boost::json::object r{{"type", d.rotation->type}, {"started", d.rotation->started}};
    if (d.rotation->kms) r["kms"] = kms_json(*d.rotation->kms);
    r["quorum"] = quorum_json(d.rotation->quorum);
    o["rotation"] = std::move(r);
  }
  boost::json::array ts;
  for (const auto& t : d.transitions)
    ts.push_back(boost::json::object{{"at", t.at}, {"event", t.event}, {"state", t.state}});
  o["transitions"] = std::move(ts);
  return boost::json::serialize(o) + "\n";
}

}  // namespace cc::seal
