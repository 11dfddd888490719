#pragma once
// EIP-3076 slashing-protection interchange format, version 5: the in-memory model, a strict
// parser and a writer. Pure functions over text; stores decide what to record (see rules.hpp
// for the watermark rules an import applies).
//
//   {"metadata": {"interchange_format_version": "5", "genesis_validators_root": "0x…"},
//    "data": [{"pubkey": "0x…",
//              "signed_blocks": [{"slot": "81952", "signing_root": "0x…"}],
//              "signed_attestations": [{"source_epoch": "2290", "target_epoch": "3007", "signing_root": "0x…"}]}]}
//
// Integers are decimal strings; signing_root is optional (absent means the null marker).
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "slashing/rules.hpp"

namespace cc::slashing {

struct InterchangeBlock {
  std::uint64_t slot = 0;
  RecordedRoot signing_root;
};

struct InterchangeAttestation {
  std::uint64_t source_epoch = 0;
  std::uint64_t target_epoch = 0;
  RecordedRoot signing_root;
};

struct InterchangeRecord {
  BlsPublicKey pubkey{};
  std::vector<InterchangeBlock> signed_blocks;
  std::vector<InterchangeAttestation> signed_attestations;
};

struct Interchange {
  Root genesis_validators_root{};
  std::vector<InterchangeRecord> data;  // a pubkey may appear more than once
};

// Parses and validates the whole document. On failure, an invalid_argument Error whose message
// names the field ("data[3].signed_blocks[0].slot: not a decimal unsigned integer: 'x'"),
// so an import can reject the file before touching the database. Slots and epochs above
// kMaxSlotOrEpoch are rejected. Unknown fields are ignored.
Result<Interchange> parse_interchange(std::string_view json);

// Serialises with decimal-string integers and lowercase 0x-hex; a null signing root is omitted.
std::string to_json(const Interchange& interchange);

// The smallest slot, source and target among a key's imported messages (nullopt when none):
// with the key's existing records, what its low watermarks become (rules.hpp,
// low_watermark_after_import).
struct ImportMinimums {
  std::optional<std::uint64_t> slot;
  std::optional<std::uint64_t> source_epoch;
  std::optional<std::uint64_t> target_epoch;
};
ImportMinimums minimums_of(const InterchangeRecord& record);

// Export of a key's watermarks. The interchange format has no watermark field: an importer
// takes a key's watermarks from the smallest slot, source and target it is given. `r` holds the
// key's records at or above its watermarks (slot >= low.slot, target >= low.target_epoch) and
// `newest_source_below` is the highest source among its votes with a target below
// low.target_epoch (nullopt: none), which still forbid a new vote from surrounding them. This
// adds at most one entry per kind without a signing root, so that an importer refuses every
// request this database refuses:
//  - blocks: an entry at the watermark slot unless a record is there (then the importer's
//    watermark is exactly this one, and nothing else changes);
//  - votes: the effective source floor F = max(low source, newest_source_below) and target
//    T = max(low target, F) (a vote needs target >= source, so every target below F is refused
//    here); records below T are dropped (none of them can meet a vote this database allows) and
//    an entry (F, T) is added unless a record at target T already has source >= F. That entry
//    surrounds every vote with source < F, and fixes the importer's target watermark at T. A
//    record with source below the source watermark loses its signing root: here nothing at its
//    target can be signed any more (not even its identical re-sign), and so it is there.
// For a history whose watermarks come from its own records (signing, pruning of a non-slashable
// history, imports that hold nothing below a key's watermark) nothing changes, and the importer
// decides exactly alike. Otherwise (an operator raised a watermark, or an import brought votes
// below it) the importer's watermarks may differ but it refuses everything this database
// refuses; it may also refuse a vote at exactly (F, T), and an identical re-sign at target T.
void add_watermark_entries(InterchangeRecord& r, const LowWatermarks& low,
                           std::optional<std::uint64_t> newest_source_below);

// One record per pubkey (first-appearance order), concatenating the messages of repeated
// pubkeys, so watermarks are computed over everything the file says about a key.
std::vector<InterchangeRecord> merged_by_pubkey(std::vector<InterchangeRecord> records);

}  // namespace cc::slashing
