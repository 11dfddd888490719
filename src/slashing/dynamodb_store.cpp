#include "slashing/dynamodb_store.hpp"

#include <openssl/rand.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdio>
#include <map>
#include <thread>

#include "aws/dynamodb.hpp"
#include "slashing/interchange.hpp"

namespace cc::slashing {

namespace {

using aws::attr_b;
using aws::attr_n;
using aws::attr_s;
using aws::Condition;
using aws::Item;
using Clock = std::chrono::steady_clock;

constexpr const char* kSourceIndex = "by_source";
constexpr int kMaxAttempts = 32;  // CAS rounds lost to other writers before giving up (503)

// 20 digits: string order is numeric order for every uint64.
std::string num(std::uint64_t v) {
  char buf[24];
  std::snprintf(buf, sizeof buf, "%020llu", static_cast<unsigned long long>(v));
  return buf;
}

std::string key_pk(const BlsPublicKey& pubkey) { return "v#" + to_hex(pubkey); }
std::string block_sk(std::uint64_t slot) { return "b#" + num(slot); }
std::string vote_sk(std::uint64_t source, std::uint64_t target) { return "a#" + num(target) + "#" + num(source); }
std::string vote_src(std::uint64_t source, std::uint64_t target) { return "a#" + num(source) + "#" + num(target); }

Item item_key(const std::string& pk, const std::string& sk) { return {{"pk", attr_s(pk)}, {"sk", attr_s(sk)}}; }

RecordedRoot root_of(const Item& item) {
  if (!aws::has(item, "root")) return std::nullopt;
  auto b = aws::get_b(item, "root");
  if (!b || b->size() != 32) throw std::runtime_error("a record's root is not 32 bytes");
  Root r{};
  std::copy(b->begin(), b->end(), r.begin());
  return r;
}

std::uint64_t n_of(const Item& item, const char* name) {
  auto n = aws::get_n(item, name);
  if (!n) throw std::runtime_error(n.error().message);
  return *n;
}

std::optional<std::uint64_t> optional_n(const Item& item, const char* name) {
  if (!aws::has(item, name)) return std::nullopt;
  return n_of(item, name);
}

struct Head {
  bool exists = false;
  std::uint64_t version = 0;
  LowWatermarks low;
  bool disabled = false;  // deleted through the Key Manager API
};

Head head_of(const std::optional<Item>& item) {
  Head h;
  if (!item) return h;
  h.exists = true;
  h.version = n_of(*item, "version");
  h.low = {optional_n(*item, "low_slot"), optional_n(*item, "low_source"), optional_n(*item, "low_target")};
  h.disabled = aws::has(*item, "disabled");
  return h;
}

// Any failure of the database while deciding: unavailable (503), nothing released.
Error unavailable(const std::string& doing, const Error& e) {
  return Error::unavailable("anti-slashing (dynamodb): " + doing + ": " + e.message);
}

class DynamoDbStore final : public SlashingStore {
 public:
  DynamoDbStore(std::shared_ptr<aws::Transport> transport, DynamoDbOptions options)
      : transport_(std::move(transport)),
        db_(*transport_, options.table), options_(std::move(options)), pool_(std::max<std::size_t>(1, options_.workers)) {
    for (std::size_t i = 0; i < std::max<std::size_t>(1, options_.workers); ++i) {
      lanes_.push_back(boost::asio::make_strand(pool_.get_executor()));
    }
    unsigned char raw[8];
    if (RAND_bytes(raw, sizeof raw) != 1) throw std::runtime_error("RAND_bytes failed");
    writer_ = to_hex(std::span<const std::uint8_t>(raw, sizeof raw));
  }
  ~DynamoDbStore() override { pool_.join(); }

  Status open_checks() {
    if (auto ok = db_.check_table("pk", "sk"); !ok) return Error{ok.error().kind, "anti-slashing: " + ok.error().message};
    aws::QueryRequest probe;
    probe.index = kSourceIndex;
    probe.key_condition = "pk = :pk";
    probe.values = {{":pk", attr_s("meta")}};
    probe.limit = 1;
    probe.first_only = true;
    if (auto r = db_.query(probe); !r) {
      return Error::invalid("anti-slashing: " + db_.describe() + " cannot be queried by its local index '" +
                            kSourceIndex + "' (create the table with it, see docs/aws-iam.md): " + r.error().message);
    }
    if (options_.genesis_validators_root) {
      auto gvr = ensure_gvr(*options_.genesis_validators_root);
      if (!gvr) return gvr.error();
      if (*gvr != *options_.genesis_validators_root) {
        return Error::invalid("anti-slashing: " + db_.describe() + " belongs to another network: it recorded "
                              "genesis_validators_root " + to_hex(*gvr) + ", this signer runs " +
                              to_hex(*options_.genesis_validators_root));
      }
    }
    return {};
  }

  void check_and_record(const Root& gvr, SignedMessage msg, std::function<void(Result<Decision>)> done) override {
    const auto deadline = Clock::now() + options_.timeout;
    // One lane per key (chosen by its bytes): a key's requests are decided in arrival order, as a
    // validator client sends them; different keys proceed in parallel.
    const auto& pk = pubkey_of(msg);
    std::size_t lane = 0;
    for (auto b : pk) lane = lane * 131 + b;
    boost::asio::post(lanes_[lane % lanes_.size()], [this, gvr, msg = std::move(msg), done = std::move(done), deadline]() mutable {
      auto r = decide(gvr, msg, deadline);
      ++requests_;
      done(std::move(r));
    });
  }

  Status health() override {
    auto r = db_.get(item_key("meta", "gvr"));
    if (!r) return unavailable("health check", r.error());
    return {};
  }
  std::string_view backend_name() const override { return "dynamodb"; }
  StoreStats stats() const override { return {requests_.load(), commits_.load(), failed_commits_.load()}; }

  Status import_interchange(std::string_view json) override;
  Result<std::string> export_interchange(const std::vector<BlsPublicKey>& only) override;
  Result<std::optional<HighWatermark>> high_watermark() override;
  Status set_high_watermark(std::optional<HighWatermark> mark) override;
  Result<LowWatermarks> low_watermarks(const BlsPublicKey& pubkey) override;
  Status raise_low_watermark(const BlsPublicKey& pubkey, std::optional<std::uint64_t> slot,
                             std::optional<std::uint64_t> source_epoch,
                             std::optional<std::uint64_t> target_epoch) override;
  Result<PruneReport> prune(std::uint64_t keep_epochs) override;
  Result<std::optional<std::string>> disable_and_export(const std::vector<BlsPublicKey>& disable,
                                                        const std::vector<BlsPublicKey>& also_export) override;
  Status enable(const std::vector<BlsPublicKey>& keys) override;

 private:
  // Sets or clears the disabled flag of each key (creating the head of an unknown key when
  // setting), each with a version bump, so any request deciding meanwhile starts over.
  Status set_disabled(const std::vector<BlsPublicKey>& keys, bool disabled) {
    for (const auto& pubkey : keys) {
      const auto pk = key_pk(pubkey);
      for (int attempt = 0;; ++attempt) {
        if (attempt == kMaxAttempts) return Error::unavailable("anti-slashing (dynamodb): the key keeps changing");
        auto h = read_head(pk);
        if (!h) return unavailable(disabled ? "disabling keys" : "enabling keys", h.error());
        if (h->disabled == disabled || (!h->exists && !disabled)) break;
        auto bumped = bump_head(pk, *h, h->low, disabled);
        if (bumped) break;
        if (bumped.error().kind != Error::Kind::conflict) return unavailable("disabling keys", bumped.error());
      }
    }
    return {};
  }

  // The recorded root, writing `proposed` first when none is recorded yet.
  Result<Root> ensure_gvr(const Root& proposed) {
    for (int i = 0; i < 3; ++i) {
      auto item = db_.get(item_key("meta", "gvr"));
      if (!item) return unavailable("reading the genesis_validators_root", item.error());
      if (*item) {
        auto b = aws::get_b(**item, "root");
        if (!b || b->size() != 32) return Error::unavailable("anti-slashing (dynamodb): the recorded genesis_validators_root is malformed");
        Root r{};
        std::copy(b->begin(), b->end(), r.begin());
        return r;
      }
      Item gvr = item_key("meta", "gvr");
      gvr["root"] = attr_b(ByteVector(proposed.begin(), proposed.end()));
      auto put = db_.put(gvr, Condition{"attribute_not_exists(pk)", {}, {}}, aws::Retry::idempotent);
      if (!put && put.error().kind != Error::Kind::conflict) return unavailable("recording the genesis_validators_root", put.error());
    }
    return Error::unavailable("anti-slashing (dynamodb): the genesis_validators_root keeps changing");
  }

  Result<Head> read_head(const std::string& pk) {
    auto item = db_.get(item_key(pk, "head"));
    if (!item) return item.error();
    try {
      return head_of(*item);
    } catch (const std::exception& e) {
      return Error::unavailable(std::string("malformed head item of ") + pk + ": " + e.what());
    }
  }

  // Bumps the key's head from `h` (absent: creates it) to `low` (and `disabled`, default: as
  // it was). conflict when another writer got there first.
  Status bump_head(const std::string& pk, const Head& h, const LowWatermarks& low,
                   std::optional<bool> disabled = std::nullopt) {
    Item item = item_key(pk, "head");
    item["version"] = attr_n(h.version + 1);
    if (disabled.value_or(h.disabled)) item["disabled"] = attr_n(1);
    if (low.slot) item["low_slot"] = attr_n(*low.slot);
    if (low.source_epoch) item["low_source"] = attr_n(*low.source_epoch);
    if (low.target_epoch) item["low_target"] = attr_n(*low.target_epoch);
    Condition c = h.exists ? Condition{"version = :v", {{":v", attr_n(h.version)}}, {}}
                           : Condition{"attribute_not_exists(pk)", {}, {}};
    auto r = db_.put(item, c, aws::Retry::not_idempotent);
    if (r) ++commits_;
    return r;
  }

  std::optional<HighWatermark> parse_high(const std::optional<Item>& item) {
    if (!item) return std::nullopt;
    return HighWatermark{n_of(*item, "epoch"), n_of(*item, "slot")};
  }

  Result<Decision> decide(const Root& gvr, const SignedMessage& msg, Clock::time_point deadline);

  std::shared_ptr<aws::Transport> transport_;
  aws::DynamoDb db_;
  DynamoDbOptions options_;
  boost::asio::thread_pool pool_;
  std::vector<boost::asio::strand<boost::asio::thread_pool::executor_type>> lanes_;
  std::string writer_;
  std::atomic<std::uint64_t> sequence_{0};
  std::atomic<std::uint64_t> requests_{0}, commits_{0}, failed_commits_{0};

  friend struct Decider;
};

}  // namespace

// ---- deciding one request ------------------------------------------------------------------

Result<Decision> DynamoDbStore::decide(const Root& gvr, const SignedMessage& msg, Clock::time_point deadline) {
  if (auto st = check_range(msg); !st) return st.error();
  const auto& pubkey = pubkey_of(msg);
  const std::string pk = key_pk(pubkey);
  const std::string me = writer_ + ":" + std::to_string(++sequence_);
  auto late = [&] {
    return Error::unavailable("anti-slashing (dynamodb): no decision within " + std::to_string(options_.timeout.count()) +
                              " ms (" + db_.describe() + " slow or unreachable)");
  };
  try {
    for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
      if (Clock::now() > deadline) return late();
      auto items = db_.batch_get({item_key("meta", "gvr"), item_key("meta", "high"), item_key(pk, "head")});
      if (!items) return unavailable("reading the key", items.error());
      std::optional<Item> gvr_item, high_item, head_item;
      for (auto& i : *items) {
        const auto sk = aws::get_s(i, "sk");
        if (!sk) continue;
        if (*sk == "gvr") gvr_item = i;
        if (*sk == "high") high_item = i;
        if (*sk == "head") head_item = i;
      }
      Root recorded{};
      if (gvr_item) {
        auto b = aws::get_b(*gvr_item, "root");
        if (!b || b->size() != 32) return Error::unavailable("anti-slashing (dynamodb): malformed genesis_validators_root");
        std::copy(b->begin(), b->end(), recorded.begin());
      } else {
        auto r = ensure_gvr(gvr);
        if (!r) return r.error();
        recorded = *r;
      }
      if (auto d = judge_genesis(recorded, gvr); !d.allowed()) return d;
      const auto high = parse_high(high_item);
      const Head head = head_of(head_item);

      Verdict verdict;
      Item record;
      LowWatermarks low = head.low;
      if (const auto* b = std::get_if<BlockProposal>(&msg)) {
        BlockFacts f{head.low.slot, std::nullopt, high};
        f.key_disabled = head.disabled;
        auto same = db_.get(item_key(pk, block_sk(b->slot)));
        if (!same) return unavailable("reading the key's block at that slot", same.error());
        if (*same) f.same_slot = root_of(**same);
        verdict = judge_block(*b, f);
        record = item_key(pk, block_sk(b->slot));
        record["slot"] = attr_n(b->slot);
        record["root"] = attr_b(ByteVector(b->signing_root.begin(), b->signing_root.end()));
        if (verdict.set_low_watermark && !low.slot) low.slot = b->slot;
      } else {
        const auto& a = std::get<AttestationVote>(msg);
        VoteFacts f;
        f.low_source = head.low.source_epoch;
        f.low_target = head.low.target_epoch;
        f.high = high;
        f.key_disabled = head.disabled;
        aws::QueryRequest same;
        same.key_condition = "pk = :pk AND begins_with(sk, :prefix)";
        same.values = {{":pk", attr_s(pk)}, {":prefix", attr_s("a#" + num(a.target_epoch) + "#")}};
        auto same_target = db_.query(same);
        if (!same_target) return unavailable("reading the key's votes at that target", same_target.error());
        for (const auto& i : *same_target) {
          f.same_target.push_back({n_of(i, "source"), n_of(i, "target"), root_of(i)});
        }
        // A vote with a later target and an earlier source surrounds this one.
        aws::QueryRequest around;
        around.key_condition = "pk = :pk AND sk > :after";
        around.filter = "#s < :source";
        around.names = {{"#s", "source"}};
        around.values = {{":pk", attr_s(pk)}, {":after", attr_s("a#" + num(a.target_epoch) + "#~")},
                         {":source", attr_n(a.source_epoch)}};
        around.first_only = true;
        auto surrounding = db_.query(around);
        if (!surrounding) return unavailable("looking for a surrounding vote", surrounding.error());
        if (!surrounding->empty()) {
          const auto& i = surrounding->front();
          f.surrounding = PriorVote{n_of(i, "source"), n_of(i, "target"), root_of(i)};
        }
        // A vote with a later source and an earlier target is surrounded by this one.
        aws::QueryRequest inside;
        inside.index = kSourceIndex;
        inside.key_condition = "pk = :pk AND src > :after";
        inside.filter = "#t < :target";
        inside.names = {{"#t", "target"}};
        inside.values = {{":pk", attr_s(pk)}, {":after", attr_s("a#" + num(a.source_epoch) + "#~")},
                         {":target", attr_n(a.target_epoch)}};
        inside.first_only = true;
        auto surrounded = db_.query(inside);
        if (!surrounded) return unavailable("looking for a surrounded vote", surrounded.error());
        if (!surrounded->empty()) {
          const auto& i = surrounded->front();
          f.surrounded = PriorVote{n_of(i, "source"), n_of(i, "target"), root_of(i)};
        }
        verdict = judge_attestation(a, f);
        record = item_key(pk, vote_sk(a.source_epoch, a.target_epoch));
        record["src"] = attr_s(vote_src(a.source_epoch, a.target_epoch));
        record["source"] = attr_n(a.source_epoch);
        record["target"] = attr_n(a.target_epoch);
        record["root"] = attr_b(ByteVector(a.signing_root.begin(), a.signing_root.end()));
        if (verdict.set_low_watermark) {
          if (!low.source_epoch) low.source_epoch = a.source_epoch;
          if (!low.target_epoch) low.target_epoch = a.target_epoch;
        }
      }
      if (!verdict.decision.allowed() || (!verdict.insert && !verdict.set_low_watermark)) return verdict.decision;

      bool wrote_record = false;
      if (verdict.insert) {
        record["w"] = attr_s(me);
        auto put = db_.put(record, Condition{"attribute_not_exists(sk)", {}, {}}, aws::Retry::idempotent);
        if (!put) {
          if (put.error().kind == Error::Kind::conflict) continue;  // someone recorded it meanwhile: decide again
          if (put.error().message.find("outcome unknown") == std::string::npos) return unavailable("recording", put.error());
          // No answer: the record may or may not be there; decide again (it reads it if it is).
          continue;
        }
        wrote_record = true;
      }
      auto bumped = bump_head(pk, head, low);
      if (!bumped) {
        if (wrote_record) {
          // Our record without our bump was never released: take it back (only ours).
          (void)db_.remove(record.contains("sk") ? item_key(pk, std::string(record.at("sk").at("S").as_string())) : record,
                           Condition{"w = :me", {{":me", attr_s(me)}}, {}}, aws::Retry::idempotent);
        }
        if (bumped.error().kind == Error::Kind::conflict) continue;
        ++failed_commits_;
        return unavailable("committing", bumped.error());
      }
      // Past the deadline a client has given up, and an operator change (the high watermark)
      // may assume no older decision is still pending: do not release.
      if (Clock::now() > deadline) return late();
      return verdict.decision;
    }
    return Error::unavailable("anti-slashing (dynamodb): too much contention on key " + to_hex(pubkey) + "; try again");
  } catch (const std::exception& e) {
    return Error::unavailable(std::string("anti-slashing (dynamodb): unexpected data in ") + db_.describe() + ": " + e.what());
  }
}

// ---- watermarks ----------------------------------------------------------------------------

Result<std::optional<HighWatermark>> DynamoDbStore::high_watermark() {
  auto item = db_.get(item_key("meta", "high"));
  if (!item) return unavailable("reading the high watermark", item.error());
  try {
    return parse_high(*item);
  } catch (const std::exception& e) {
    return Error::unavailable(std::string("anti-slashing (dynamodb): malformed high watermark: ") + e.what());
  }
}

Status DynamoDbStore::set_high_watermark(std::optional<HighWatermark> mark) {
  if (mark) {
    if (auto st = check_range(*mark); !st) return st;
    Item item = item_key("meta", "high");
    item["epoch"] = attr_n(mark->epoch);
    item["slot"] = attr_n(mark->slot);
    if (auto r = db_.put(item, std::nullopt, aws::Retry::idempotent); !r) return unavailable("setting the high watermark", r.error());
  } else if (auto r = db_.remove(item_key("meta", "high"), std::nullopt, aws::Retry::idempotent); !r) {
    return unavailable("clearing the high watermark", r.error());
  }
  // Requests that read the old value finish (or give up unreleased) within their timeout.
  std::this_thread::sleep_for(options_.high_watermark_settle.value_or(options_.timeout + std::chrono::milliseconds(100)));
  return {};
}

Result<LowWatermarks> DynamoDbStore::low_watermarks(const BlsPublicKey& pubkey) {
  auto h = read_head(key_pk(pubkey));
  if (!h) return unavailable("reading the key", h.error());
  return h->low;
}

Status DynamoDbStore::raise_low_watermark(const BlsPublicKey& pubkey, std::optional<std::uint64_t> slot,
                                          std::optional<std::uint64_t> source_epoch,
                                          std::optional<std::uint64_t> target_epoch) {
  const auto pk = key_pk(pubkey);
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto h = read_head(pk);
    if (!h) return unavailable("reading the key", h.error());
    auto raised = raised_low_watermarks(h->low, {slot, source_epoch, target_epoch});
    if (!raised) return raised.error();
    auto bumped = bump_head(pk, *h, *raised);
    if (bumped) return {};
    if (bumped.error().kind != Error::Kind::conflict) return unavailable("raising the low watermark", bumped.error());
  }
  return Error::unavailable("anti-slashing (dynamodb): the key keeps changing; try again");
}

// ---- interchange ---------------------------------------------------------------------------

namespace {

struct KeyRecords {
  std::vector<Item> blocks, votes;
};

}  // namespace

Status DynamoDbStore::import_interchange(std::string_view json) {
  auto parsed = parse_interchange(json);  // the whole file is validated before anything is written
  if (!parsed) return parsed.error();
  const auto records = merged_by_pubkey(std::move(parsed->data));
  auto gvr = ensure_gvr(parsed->genesis_validators_root);
  if (!gvr) return gvr.error();
  if (*gvr != parsed->genesis_validators_root) {
    return Error::invalid("interchange genesis_validators_root " + to_hex(parsed->genesis_validators_root) +
                          " does not match " + to_hex(*gvr) + " recorded in the anti-slashing database (another network?)");
  }
  try {
    for (const auto& r : records) {
      const auto pk = key_pk(r.pubkey);
      // Each record: insert when absent, or turn a different root into the null marker, each
      // conditioned on what was read so a concurrent signature is never overwritten.
      auto merge = [&](Item item, const RecordedRoot& imported) -> Status {
        const auto sk = std::string(item.at("sk").at("S").as_string());
        for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
          auto existing = db_.get(item_key(pk, sk));
          if (!existing) return existing.error();
          if (!*existing) {
            if (imported) item["root"] = attr_b(ByteVector(imported->begin(), imported->end()));
            auto put = db_.put(item, Condition{"attribute_not_exists(sk)", {}, {}}, aws::Retry::idempotent);
            if (put || put.error().kind != Error::Kind::conflict) return put;
            continue;
          }
          const auto held = root_of(**existing);
          if (merged_root(held, imported) == held) return {};
          auto cleared = db_.update(item_key(pk, sk), "REMOVE #r",
                                    Condition{"#r = :old", {{":old", attr_b(ByteVector(held->begin(), held->end()))}},
                                              {{"#r", "root"}}},
                                    aws::Retry::idempotent);
          if (cleared || cleared.error().kind != Error::Kind::conflict) return cleared;
        }
        return Error::unavailable("record " + sk + " keeps changing");
      };
      for (const auto& b : r.signed_blocks) {
        Item item = item_key(pk, block_sk(b.slot));
        item["slot"] = attr_n(b.slot);
        if (auto st = merge(std::move(item), b.signing_root); !st) return unavailable("importing", st.error());
      }
      for (const auto& a : r.signed_attestations) {
        Item item = item_key(pk, vote_sk(a.source_epoch, a.target_epoch));
        item["src"] = attr_s(vote_src(a.source_epoch, a.target_epoch));
        item["source"] = attr_n(a.source_epoch);
        item["target"] = attr_n(a.target_epoch);
        if (auto st = merge(std::move(item), a.signing_root); !st) return unavailable("importing", st.error());
      }
      // Watermarks from the minimum over every record the key now holds (rules.hpp).
      for (int attempt = 0;; ++attempt) {
        if (attempt == kMaxAttempts) return Error::unavailable("anti-slashing (dynamodb): the key keeps changing");
        auto h = read_head(pk);
        if (!h) return unavailable("importing", h.error());
        aws::QueryRequest all;
        all.key_condition = "pk = :pk";
        all.values = {{":pk", attr_s(pk)}};
        auto items = db_.query(all);
        if (!items) return unavailable("importing", items.error());
        std::optional<std::uint64_t> min_slot, min_source, min_target;
        auto lower = [](std::optional<std::uint64_t>& m, std::uint64_t v) { m = std::min(m.value_or(v), v); };
        for (const auto& i : *items) {
          const auto sk = std::string(i.at("sk").at("S").as_string());
          if (sk.rfind("b#", 0) == 0) lower(min_slot, n_of(i, "slot"));
          if (sk.rfind("a#", 0) == 0) {
            lower(min_source, n_of(i, "source"));
            lower(min_target, n_of(i, "target"));
          }
        }
        const LowWatermarks low{low_watermark_after_import(h->low.slot, min_slot),
                                low_watermark_after_import(h->low.source_epoch, min_source),
                                low_watermark_after_import(h->low.target_epoch, min_target)};
        auto bumped = bump_head(pk, *h, low);
        if (bumped) break;
        if (bumped.error().kind != Error::Kind::conflict) return unavailable("importing", bumped.error());
      }
    }
  } catch (const std::exception& e) {
    return Error::unavailable(std::string("anti-slashing (dynamodb): import: unexpected data: ") + e.what());
  }
  spdlog::info("anti-slashing: imported interchange data for {} keys", records.size());
  return {};
}

Result<std::string> DynamoDbStore::export_interchange(const std::vector<BlsPublicKey>& only) {
  auto gvr_item = db_.get(item_key("meta", "gvr"));
  if (!gvr_item) return unavailable("exporting", gvr_item.error());
  if (!*gvr_item) {
    return Error::not_found(
        "nothing to export: the anti-slashing database has no genesis_validators_root yet (nothing signed or imported)");
  }
  Interchange out;
  try {
    const auto gvr_bytes = aws::get_b(**gvr_item, "root");
    if (!gvr_bytes || gvr_bytes->size() != 32) return Error::unavailable("anti-slashing (dynamodb): malformed root");
    std::copy(gvr_bytes->begin(), gvr_bytes->end(), out.genesis_validators_root.begin());
    std::vector<BlsPublicKey> keys = only;
    if (keys.empty()) {
      auto heads = db_.scan("sk = :head", {{":head", attr_s("head")}});
      if (!heads) return unavailable("exporting", heads.error());
      for (const auto& h : *heads) {
        const auto pk = std::string(h.at("pk").at("S").as_string());
        auto k = from_hex_fixed<48>(pk.substr(2));
        if (k) keys.push_back(*k);
      }
      std::sort(keys.begin(), keys.end());
    }
    for (const auto& pubkey : keys) {
      const auto pk = key_pk(pubkey);
      for (int attempt = 0;; ++attempt) {
        if (attempt == kMaxAttempts) return Error::unavailable("anti-slashing (dynamodb): key keeps changing during export");
        auto before = read_head(pk);
        if (!before) return unavailable("exporting", before->exists ? Error{} : before.error());
        if (!before->exists) break;
        const auto& low = before->low;
        if (!low.slot && !low.source_epoch && !low.target_epoch) break;
        aws::QueryRequest all;
        all.key_condition = "pk = :pk";
        all.values = {{":pk", attr_s(pk)}};
        auto items = db_.query(all);
        if (!items) return unavailable("exporting", items.error());
        InterchangeRecord r;
        r.pubkey = pubkey;
        std::optional<std::uint64_t> newest_source_below;
        for (const auto& i : *items) {
          const auto sk = std::string(i.at("sk").at("S").as_string());
          if (sk.rfind("b#", 0) == 0) {
            const auto slot = n_of(i, "slot");
            if (slot >= low.slot.value_or(0)) r.signed_blocks.push_back({slot, root_of(i)});
          } else if (sk.rfind("a#", 0) == 0) {
            const auto source = n_of(i, "source"), target = n_of(i, "target");
            if (target >= low.target_epoch.value_or(0)) {
              r.signed_attestations.push_back({source, target, root_of(i)});
            } else {
              newest_source_below = std::max(newest_source_below.value_or(0), source);
            }
          }
        }
        auto after = read_head(pk);
        if (!after) return unavailable("exporting", after.error());
        if (after->version != before->version) continue;  // changed while read: read it again
        add_watermark_entries(r, low, newest_source_below);
        out.data.push_back(std::move(r));
        break;
      }
    }
  } catch (const std::exception& e) {
    return Error::unavailable(std::string("anti-slashing (dynamodb): export: unexpected data: ") + e.what());
  }
  return to_json(out);
}

// ---- pruning -------------------------------------------------------------------------------

Result<PruneReport> DynamoDbStore::prune(std::uint64_t keep_epochs) {
  PruneReport report;
  auto heads = db_.scan("sk = :head", {{":head", attr_s("head")}});
  if (!heads) return unavailable("pruning", heads.error());
  try {
    for (const auto& h_item : *heads) {
      const auto pk = std::string(h_item.at("pk").at("S").as_string());
      for (int attempt = 0;; ++attempt) {
        if (attempt == kMaxAttempts) return Error::unavailable("anti-slashing (dynamodb): key keeps changing during prune");
        auto h = read_head(pk);
        if (!h) return unavailable("pruning", h.error());
        aws::QueryRequest all;
        all.key_condition = "pk = :pk";
        all.values = {{":pk", attr_s(pk)}};
        auto items = db_.query(all);
        if (!items) return unavailable("pruning", items.error());
        std::optional<std::uint64_t> newest_slot, newest_target;
        for (const auto& i : *items) {
          const auto sk = std::string(i.at("sk").at("S").as_string());
          if (sk.rfind("b#", 0) == 0) newest_slot = std::max(newest_slot.value_or(0), n_of(i, "slot"));
          if (sk.rfind("a#", 0) == 0) newest_target = std::max(newest_target.value_or(0), n_of(i, "target"));
        }
        const auto block_cut = block_prune_cutoff(newest_slot, keep_epochs);
        const auto vote_cut = attestation_prune_cutoff(newest_target, keep_epochs);
        PruneFacts f;
        std::vector<Item> doomed;
        std::uint64_t blocks = 0, votes = 0;
        auto lower = [](std::optional<std::uint64_t>& m, std::uint64_t v) { m = std::min(m.value_or(v), v); };
        for (const auto& i : *items) {
          const auto sk = std::string(i.at("sk").at("S").as_string());
          if (sk.rfind("b#", 0) == 0 && block_cut) {
            const auto slot = n_of(i, "slot");
            if (slot < *block_cut) {
              f.blocks_deleted = true;
              doomed.push_back(item_key(pk, sk));
              ++blocks;
            } else {
              lower(f.oldest_kept_slot, slot);
            }
          } else if (sk.rfind("a#", 0) == 0 && vote_cut) {
            const auto source = n_of(i, "source"), target = n_of(i, "target");
            if (target < *vote_cut) {
              f.votes_deleted = true;
              f.newest_deleted_source = std::max(f.newest_deleted_source.value_or(0), source);
              doomed.push_back(item_key(pk, sk));
              ++votes;
            } else {
              lower(f.oldest_kept_source, source);
              lower(f.oldest_kept_target, target);
            }
          }
        }
        if (doomed.empty()) break;
        // Raise first (bumping the version, so signers deciding meanwhile start over), delete after.
        auto bumped = bump_head(pk, *h, low_watermarks_after_prune(h->low, f));
        if (!bumped) {
          if (bumped.error().kind == Error::Kind::conflict) continue;
          return unavailable("pruning", bumped.error());
        }
        for (const auto& k : doomed) {
          if (auto r = db_.remove(k, std::nullopt, aws::Retry::idempotent); !r) return unavailable("pruning", r.error());
        }
        ++report.keys_pruned;
        report.blocks_deleted += blocks;
        report.attestations_deleted += votes;
        break;
      }
    }
  } catch (const std::exception& e) {
    return Error::unavailable(std::string("anti-slashing (dynamodb): prune: unexpected data: ") + e.what());
  }
  return report;
}

// ---- Key Manager delete and import ----------------------------------------------------------

Result<std::optional<std::string>> DynamoDbStore::disable_and_export(const std::vector<BlsPublicKey>& disable,
                                                                     const std::vector<BlsPublicKey>& also_export) {
  // Disabled first: a request that read a key before this bump fails its own bump and is decided
  // again (refused); one that committed before it is in the export read after it.
  if (auto st = set_disabled(disable, true); !st) return st.error();
  std::vector<BlsPublicKey> keys = disable;
  for (const auto& k : also_export) {
    if (std::find(keys.begin(), keys.end(), k) == keys.end()) keys.push_back(k);
  }
  auto doc = export_interchange(keys);
  if (!doc) {
    if (doc.error().kind == Error::Kind::not_found) return std::optional<std::string>{};
    return doc.error();
  }
  return std::optional<std::string>(std::move(*doc));
}

Status DynamoDbStore::enable(const std::vector<BlsPublicKey>& keys) { return set_disabled(keys, false); }

// ---- opening -------------------------------------------------------------------------------

Result<std::unique_ptr<SlashingStore>> open_dynamodb_store(std::shared_ptr<aws::Transport> transport,
                                                           const DynamoDbOptions& options) {
  if (options.table.empty()) return Error::invalid("anti_slashing.table: required for the dynamodb backend");
  auto store = std::make_unique<DynamoDbStore>(std::move(transport), options);
  if (auto ok = store->open_checks(); !ok) return ok.error();
  return std::unique_ptr<SlashingStore>(std::move(store));
}

Status create_dynamodb_anti_slashing_table(aws::Transport& transport, const std::string& table) {
  aws::DynamoDb db(transport, table);
  return db.create_table("pk", "sk", {{kSourceIndex, "src"}});
}

}  // namespace cc::slashing
