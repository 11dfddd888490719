#include "slashing/postgres_batch.hpp"

#include <algorithm>
#include <map>

#include "slashing/postgres_schema.hpp"
#include "slashing/rules.hpp"

namespace cc::slashing {

namespace {

// ---- statements ---------------------------------------------------------------------------

// First, before any other lock: a change of the high watermark waits for this batch, and this
// batch for a change under way (postgres_schema.hpp, kHighWatermarkLock).
const std::string kShareHighWatermarkLock =
    std::string("SELECT pg_advisory_xact_lock_shared(") + kHighWatermarkLock + ")";
constexpr const char* kReadHighWatermark = "SELECT epoch, slot FROM cc_high_watermark";
constexpr const char* kInsertBlocks =
    "INSERT INTO cc_blocks (validator_id, slot, signing_root) "
    "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bytea[])";
constexpr const char* kInsertVotes =
    "INSERT INTO cc_attestations (validator_id, source_epoch, target_epoch, signing_root) "
    "SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bytea[])";
constexpr const char* kSetWatermarks =
    "UPDATE cc_validators v SET low_slot = m.slot, low_source_epoch = m.source, low_target_epoch = m.target "
    "FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[]) AS m (id, slot, source, target) "
    "WHERE v.id = m.id";

// ---- the batch's view of each key ---------------------------------------------------------

// A locked key row, and what this batch has allowed for it so far.
struct KeyState {
  std::uint64_t id = 0;
  std::optional<std::uint64_t> low_slot, low_source, low_target;
  bool disabled = false;
  bool watermarks_changed = false;
  std::map<std::uint64_t, Root> new_blocks;  // slot -> root
  std::vector<PriorVote> new_votes;
};

// The database's facts per message index (rows fetched in round 1).
struct StoredFacts {
  std::map<std::size_t, RecordedRoot> block_at_slot;
  std::map<std::size_t, std::vector<PriorVote>> votes_at_target;
  std::map<std::size_t, PriorVote> surrounding, surrounded;
};

class Batch {
 public:
  Batch(const std::vector<PendingCheck>& checks, std::optional<Root>& gvr) : checks_(checks), gvr_(gvr) {}

  Result<std::vector<Result<Decision>>> run(PgConnection& db, PgDeadline deadline);

 private:
  std::vector<PgQuery> read_queries();
  Status take_facts(std::vector<PgResult>& results);
  Result<Decision> decide(std::size_t i, const Root& recorded_gvr);
  Decision decide_block(std::size_t i, const BlockProposal& m);
  Decision decide_vote(std::size_t i, const AttestationVote& m);
  std::vector<PgQuery> write_queries() const;

  const std::vector<PendingCheck>& checks_;
  std::optional<Root>& gvr_;
  std::vector<bool> valid_;  // per check: within range (the others never reach the database)
  std::optional<std::size_t> bind_gvr_at_, read_gvr_at_, high_at_, lock_at_, blocks_at_, votes_at_, surround_at_;
  std::optional<Root> recorded_gvr_;
  std::optional<HighWatermark> high_;
  std::map<BlsPublicKey, KeyState> keys_;
  StoredFacts facts_;
};

Result<std::vector<Result<Decision>>> Batch::run(PgConnection& db, PgDeadline deadline) {
  std::vector<Result<Decision>> out;
  out.reserve(checks_.size());
  valid_.reserve(checks_.size());
  bool any_valid = false;
  for (const auto& c : checks_) {
    valid_.push_back(check_range(c.message).ok());
    any_valid = any_valid || valid_.back();
  }
  if (!any_valid) {  // nothing for the database: answer without a transaction
    for (const auto& c : checks_) out.push_back(check_range(c.message).error());
    return out;
  }

  auto read = db.run(read_queries(), deadline);
  if (!read) return read.error();
  try {
    if (auto st = take_facts(*read); !st) {
      return Error::unavailable(db.name() + ": " + st.error().message);
    }
  } catch (const std::exception& e) {
    return Error::unavailable(db.name() + ": unexpected data in the anti-slashing database: " + e.what());
  }
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    if (!valid_[i]) {
      out.push_back(check_range(checks_[i].message).error());
    } else {
      out.push_back(decide(i, *recorded_gvr_));
    }
  }
  auto written = db.run(write_queries(), deadline);  // ends with COMMIT
  if (!written) return written.error();
  gvr_ = recorded_gvr_;
  return out;
}

std::vector<PgQuery> Batch::read_queries() {
  std::vector<PgQuery> q;
  q.push_back({"BEGIN ISOLATION LEVEL READ COMMITTED", {}});
  q.push_back({kShareHighWatermarkLock, {}, true});
  high_at_ = q.size();  // after the lock: sees every change committed before it was granted
  q.push_back({kReadHighWatermark, {}, true});
  if (!gvr_) {
    // First use binds the database to the first valid request's network (or finds the root
    // another replica bound meanwhile: ON CONFLICT waits for its commit).
    const auto first = std::find(valid_.begin(), valid_.end(), true) - valid_.begin();
    bind_gvr_at_ = q.size();
    q.push_back({kBindGvr, {pg_bytea(checks_[static_cast<std::size_t>(first)].genesis_validators_root)}, true});
    read_gvr_at_ = q.size();
    q.push_back({kReadGvr, {}, true});
  }
  std::vector<BlsPublicKey> pubkeys;
  PgArray block_index, block_key, block_slot;
  PgArray vote_index, vote_key, vote_source, vote_target;
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    if (!valid_[i]) continue;
    const auto& m = checks_[i].message;
    pubkeys.push_back(pubkey_of(m));
    if (const auto* b = std::get_if<BlockProposal>(&m)) {
      block_index.add(static_cast<std::uint64_t>(i));
      block_key.add(b->pubkey);
      block_slot.add(b->slot);
    } else {
      const auto& a = std::get<AttestationVote>(m);
      vote_index.add(static_cast<std::uint64_t>(i));
      vote_key.add(a.pubkey);
      vote_source.add(a.source_epoch);
      vote_target.add(a.target_epoch);
    }
  }
  std::sort(pubkeys.begin(), pubkeys.end());
  pubkeys.erase(std::unique(pubkeys.begin(), pubkeys.end()), pubkeys.end());
  PgArray keys;
  for (const auto& k : pubkeys) keys.add(k);
  q.push_back({kAddKeys, {keys.str()}, true});
  lock_at_ = q.size();
  q.push_back({kLockKeys, {keys.str()}, true});
  if (!block_index.empty()) {
    blocks_at_ = q.size();
    q.push_back({kBlocksAtSlot, {block_index.str(), block_key.str(), block_slot.str()}, true});
  }
  if (!vote_index.empty()) {
    votes_at_ = q.size();
    q.push_back({kVotesAtTarget, {vote_index.str(), vote_key.str(), vote_target.str()}, true});
    surround_at_ = q.size();
    q.push_back({kSurroundVotes, {vote_index.str(), vote_key.str(), vote_source.str(), vote_target.str()}, true});
  }
  return q;
}

Status Batch::take_facts(std::vector<PgResult>& r) {
  recorded_gvr_ = gvr_;
  if (read_gvr_at_) {
    const auto& g = r[*read_gvr_at_];
    if (g.rows() != 1) return Error::unavailable("the genesis_validators_root was not recorded");
    recorded_gvr_ = g.bytes<32>(0, 0);
  }
  if (const auto& h = r[*high_at_]; h.rows() > 0) high_ = HighWatermark{h.u64(0, 0), h.u64(0, 1)};
  const auto& locked = r[*lock_at_];
  for (int row = 0; row < locked.rows(); ++row) {
    KeyState k;
    k.id = locked.u64(row, 0);
    k.low_slot = locked.optional_u64(row, 2);
    k.low_source = locked.optional_u64(row, 3);
    k.low_target = locked.optional_u64(row, 4);
    k.disabled = locked.text(row, 5) == "t";
    keys_.emplace(locked.bytes<48>(row, 1), std::move(k));
  }
  for (std::size_t i = 0; i < checks_.size(); ++i) {
    if (valid_[i] && !keys_.contains(pubkey_of(checks_[i].message))) {
      return Error::unavailable("a validator row was not locked");
    }
  }
  if (blocks_at_) {
    const auto& b = r[*blocks_at_];
    for (int row = 0; row < b.rows(); ++row) facts_.block_at_slot[b.u64(row, 0)] = b.root(row, 1);
  }
  if (votes_at_) {
    const auto& v = r[*votes_at_];
    for (int row = 0; row < v.rows(); ++row) {
      const auto i = v.u64(row, 0);
      const auto& m = std::get<AttestationVote>(checks_.at(i).message);
      facts_.votes_at_target[i].push_back({v.u64(row, 1), m.target_epoch, v.root(row, 2)});
    }
    const auto& s = r[*surround_at_];
    for (int row = 0; row < s.rows(); ++row) {
      const auto i = s.u64(row, 0);
      if (!s.null(row, 1)) facts_.surrounding[i] = {s.u64(row, 1), s.u64(row, 2), std::nullopt};
      if (!s.null(row, 3)) facts_.surrounded[i] = {s.u64(row, 3), s.u64(row, 4), std::nullopt};
    }
  }
  return {};
}

Result<Decision> Batch::decide(std::size_t i, const Root& recorded_gvr) {
  const auto& c = checks_[i];
  if (auto d = judge_genesis(recorded_gvr, c.genesis_validators_root); !d.allowed()) return d;
  if (const auto* b = std::get_if<BlockProposal>(&c.message)) return decide_block(i, *b);
  return decide_vote(i, std::get<AttestationVote>(c.message));
}

Decision Batch::decide_block(std::size_t i, const BlockProposal& m) {
  KeyState& k = keys_.at(m.pubkey);
  BlockFacts f;
  f.low_slot = k.low_slot;
  f.high = high_;
  f.key_disabled = k.disabled;
  if (auto mine = k.new_blocks.find(m.slot); mine != k.new_blocks.end()) {
    f.same_slot = RecordedRoot(mine->second);
  } else if (auto stored = facts_.block_at_slot.find(i); stored != facts_.block_at_slot.end()) {
    f.same_slot = stored->second;
  }
  const Verdict v = judge_block(m, f);
  if (v.insert) k.new_blocks[m.slot] = m.signing_root;
  if (v.set_low_watermark) {
    k.low_slot = m.slot;
    k.watermarks_changed = true;
  }
  return v.decision;
}

Decision Batch::decide_vote(std::size_t i, const AttestationVote& m) {
  KeyState& k = keys_.at(m.pubkey);
  VoteFacts f;
  f.high = high_;
  f.key_disabled = k.disabled;
  f.low_source = k.low_source;
  f.low_target = k.low_target;
  if (auto stored = facts_.votes_at_target.find(i); stored != facts_.votes_at_target.end())
    f.same_target = stored->second;
  if (auto stored = facts_.surrounding.find(i); stored != facts_.surrounding.end()) f.surrounding = stored->second;
  if (auto stored = facts_.surrounded.find(i); stored != facts_.surrounded.end()) f.surrounded = stored->second;
  for (const auto& mine : k.new_votes) {  // what this batch allowed before, not yet in the database
    if (mine.target_epoch == m.target_epoch) f.same_target.push_back(mine);
    if (!f.surrounding && mine.source_epoch < m.source_epoch && mine.target_epoch > m.target_epoch)
      f.surrounding = mine;
    if (!f.surrounded && mine.source_epoch > m.source_epoch && mine.target_epoch < m.target_epoch) f.surrounded = mine;
  }
  const Verdict v = judge_attestation(m, f);
  if (v.insert) k.new_votes.push_back({m.source_epoch, m.target_epoch, m.signing_root});
  if (v.set_low_watermark) {
    if (!k.low_source) k.low_source = m.source_epoch;
    if (!k.low_target) k.low_target = m.target_epoch;
    k.watermarks_changed = true;
  }
  return v.decision;
}

std::vector<PgQuery> Batch::write_queries() const {
  PgArray block_id, block_slot, block_root;
  PgArray vote_id, vote_source, vote_target, vote_root;
  PgArray mark_id, mark_slot, mark_source, mark_target;
  for (const auto& [pubkey, k] : keys_) {
    for (const auto& [slot, root] : k.new_blocks) {
      block_id.add(k.id);
      block_slot.add(slot);
      block_root.add(std::span<const std::uint8_t>(root));
    }
    for (const auto& v : k.new_votes) {
      vote_id.add(k.id);
      vote_source.add(v.source_epoch);
      vote_target.add(v.target_epoch);
      vote_root.add(v.signing_root);
    }
    if (k.watermarks_changed) {
      mark_id.add(k.id);
      mark_slot.add(k.low_slot);
      mark_source.add(k.low_source);
      mark_target.add(k.low_target);
    }
  }
  std::vector<PgQuery> q;
  if (!block_id.empty()) q.push_back({kInsertBlocks, {block_id.str(), block_slot.str(), block_root.str()}, true});
  if (!vote_id.empty()) {
    q.push_back({kInsertVotes, {vote_id.str(), vote_source.str(), vote_target.str(), vote_root.str()}, true});
  }
  if (!mark_id.empty()) {
    q.push_back({kSetWatermarks, {mark_id.str(), mark_slot.str(), mark_source.str(), mark_target.str()}, true});
  }
  q.push_back({"COMMIT", {}});
  return q;
}

}  // namespace

Result<std::vector<Result<Decision>>> run_postgres_batch(PgConnection& db, const std::vector<PendingCheck>& batch,
                                                         std::optional<Root>& gvr, PgDeadline deadline) {
  Batch b(batch, gvr);
  return b.run(db, deadline);
}

}  // namespace cc::slashing
