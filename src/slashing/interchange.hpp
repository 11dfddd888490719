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

// Export of a key whose low watermark lies above every record of a kind (raised by an operator,
// `slashing watermark raise-low`): the interchange format has no watermark field, so the
// watermark travels as one entry without a signing root, at the slot, or at (source, target)
// with source <= target. An importer then refuses everything there and below, as this
// database does. A kind that still has records at or above its watermark gets no entry. `r`
// holds the key's exported records (those at or above `low`).
void add_watermark_entries(InterchangeRecord& r, const LowWatermarks& low);

// One record per pubkey (first-appearance order), concatenating the messages of repeated
// pubkeys, so watermarks are computed over everything the file says about a key.
std::vector<InterchangeRecord> merged_by_pubkey(std::vector<InterchangeRecord> records);

}  // namespace cc::slashing
