#include "slashing/interchange.hpp"

#include <algorithm>
#include <boost/json.hpp>
#include <map>

#include "core/json.hpp"

namespace cc::slashing {

namespace {

std::uint64_t bounded(const json::Object& o, std::string_view key) {
  const std::uint64_t v = o.u64(key);
  if (v > kMaxSlotOrEpoch) {
    throw json::InputError(o.field(key) + ": " + std::to_string(v) + " exceeds the supported maximum " +
                           std::to_string(kMaxSlotOrEpoch));
  }
  return v;
}

RecordedRoot optional_root(const json::Object& o) {
  if (!o.has("signing_root")) return std::nullopt;
  return o.bytes<32>("signing_root");
}

InterchangeRecord parse_record(const json::Object& o) {
  InterchangeRecord r;
  r.pubkey = o.bytes<48>("pubkey");
  const auto& blocks = o.array("signed_blocks");
  r.signed_blocks.reserve(blocks.size());
  for (std::size_t i = 0; i < blocks.size(); ++i) {
    json::Object b(blocks[i], json::index_path(o.field("signed_blocks"), i));
    r.signed_blocks.push_back({bounded(b, "slot"), optional_root(b)});
  }
  const auto& atts = o.array("signed_attestations");
  r.signed_attestations.reserve(atts.size());
  for (std::size_t i = 0; i < atts.size(); ++i) {
    json::Object a(atts[i], json::index_path(o.field("signed_attestations"), i));
    r.signed_attestations.push_back({bounded(a, "source_epoch"), bounded(a, "target_epoch"), optional_root(a)});
  }
  return r;
}

}  // namespace

Result<Interchange> parse_interchange(std::string_view text) {
  try {
    const auto doc = json::parse(text);
    json::Object top(doc, "");
    const auto meta = top.object("metadata");
    // EIP-3076: version 5 is the only version; older drafts carried other layouts.
    if (meta.u64("interchange_format_version") != 5) {
      return Error::invalid(meta.field("interchange_format_version") + ": unsupported version (expected \"5\")");
    }
    Interchange out;
    out.genesis_validators_root = meta.bytes<32>("genesis_validators_root");
    const auto& data = top.array("data");
    out.data.reserve(data.size());
    for (std::size_t i = 0; i < data.size(); ++i) {
      out.data.push_back(parse_record(json::Object(data[i], json::index_path("data", i))));
    }
    return out;
  } catch (const json::InputError& e) {
    return Error::invalid(std::string("interchange: ") + e.what());
  }
}

std::string to_json(const Interchange& in) {
  boost::json::array data;
  data.reserve(in.data.size());
  for (const auto& r : in.data) {
    boost::json::array blocks;
    for (const auto& b : r.signed_blocks) {
      boost::json::object o{{"slot", std::to_string(b.slot)}};
      if (b.signing_root) o["signing_root"] = to_hex(*b.signing_root);
      blocks.push_back(std::move(o));
    }
    boost::json::array atts;
    for (const auto& a : r.signed_attestations) {
      boost::json::object o{{"source_epoch", std::to_string(a.source_epoch)},
                            {"target_epoch", std::to_string(a.target_epoch)}};
      if (a.signing_root) o["signing_root"] = to_hex(*a.signing_root);
      atts.push_back(std::move(o));
    }
    data.push_back(boost::json::object{
        {"pubkey", to_hex(r.pubkey)}, {"signed_blocks", std::move(blocks)}, {"signed_attestations", std::move(atts)}});
  }
  boost::json::object doc{
      {"metadata", boost::json::object{{"interchange_format_version", "5"},
                                       {"genesis_validators_root", to_hex(in.genesis_validators_root)}}},
      {"data", std::move(data)}};
  return boost::json::serialize(doc);
}

ImportMinimums minimums_of(const InterchangeRecord& record) {
  ImportMinimums m;
  auto lower = [](std::optional<std::uint64_t>& slot, std::uint64_t v) {
    if (!slot || v < *slot) slot = v;
  };
  for (const auto& b : record.signed_blocks) lower(m.slot, b.slot);
  for (const auto& a : record.signed_attestations) {
    lower(m.source_epoch, a.source_epoch);
    lower(m.target_epoch, a.target_epoch);
  }
  return m;
}

void add_watermark_entries(InterchangeRecord& r, const LowWatermarks& low,
                           std::optional<std::uint64_t> newest_source_below) {
  if (low.slot) {
    const bool held = std::ranges::any_of(r.signed_blocks, [&](const auto& b) { return b.slot == *low.slot; });
    if (!held) r.signed_blocks.insert(r.signed_blocks.begin(), {*low.slot, std::nullopt});  // below every record
  }
  if (!low.source_epoch && !low.target_epoch) return;
  const std::uint64_t floor = std::max(low.source_epoch.value_or(0), newest_source_below.value_or(0));
  const std::uint64_t target = std::max(floor, low.target_epoch.value_or(floor));
  auto& votes = r.signed_attestations;
  std::erase_if(votes, [&](const auto& a) { return a.target_epoch < target; });
  // A vote below the source watermark is refused here even as an identical re-sign, and so is
  // every other vote at its target: without its root it refuses them all in the importer too.
  for (auto& a : votes) {
    if (low.source_epoch && a.source_epoch < *low.source_epoch) a.signing_root.reset();
  }
  const bool covered =
      std::ranges::any_of(votes, [&](const auto& a) { return a.target_epoch == target && a.source_epoch >= floor; });
  if (!covered) {
    // In (target, source) order, as the stores export, so that a second export is the same file.
    const auto at = std::ranges::find_if(votes, [&](const auto& a) { return a.target_epoch > target || a.source_epoch > floor; });
    votes.insert(at, {floor, target, std::nullopt});
  }
}

std::vector<InterchangeRecord> merged_by_pubkey(std::vector<InterchangeRecord> records) {
  std::vector<InterchangeRecord> out;
  std::map<BlsPublicKey, std::size_t> index;
  for (auto& r : records) {
    auto [it, fresh] = index.try_emplace(r.pubkey, out.size());
    if (fresh) {
      out.push_back(std::move(r));
      continue;
    }
    auto& into = out[it->second];
    into.signed_blocks.insert(into.signed_blocks.end(), r.signed_blocks.begin(), r.signed_blocks.end());
    into.signed_attestations.insert(into.signed_attestations.end(), r.signed_attestations.begin(),
                                    r.signed_attestations.end());
  }
  return out;
}

}  // namespace cc::slashing
