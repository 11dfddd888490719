#pragma once
// Named Ethereum networks: genesis validators root, genesis fork version and fork schedule
// (fork versions and activation epochs from each network's published config.yaml). Network
// values are immutable after construction and safe to share between threads; the built-in
// ones live for the whole program.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/bytes.hpp"

namespace cc::ssz {

// Forks whose signed messages the signer understands, in activation order.
enum class ForkName : std::uint8_t { phase0, altair, bellatrix, capella, deneb, electra, fulu };

// "PHASE0" .. "FULU", case-insensitive, as Web3Signer's `version` fields spell them.
std::optional<ForkName> parse_fork_name(std::string_view text);
// Upper-case name ("ELECTRA").
std::string_view fork_name_text(ForkName fork);

// 2^64 - 1: an epoch that never arrives (consensus-specs phase0 "Constants").
inline constexpr std::uint64_t kFarFutureEpoch = ~std::uint64_t{0};

struct ForkSchedule {
  ForkName fork;
  Version version;
  std::uint64_t epoch;  // kFarFutureEpoch when not scheduled
};

struct Network {
  std::string name;
  Root genesis_validators_root{};
  Version genesis_fork_version{};
  std::uint64_t slots_per_epoch = 32;
  std::vector<ForkSchedule> forks;  // ascending by fork; forks[0] is phase0 at epoch 0

  // The fork active at `epoch` (the latest scheduled fork whose epoch <= epoch).
  ForkName fork_at_epoch(std::uint64_t epoch) const;
  // compute_epoch_at_slot (specs/phase0/beacon-chain.md).
  std::uint64_t epoch_at_slot(std::uint64_t slot) const { return slot / slots_per_epoch; }
  // The schedule entry of `fork`, or nullptr if the network does not list it.
  const ForkSchedule* schedule_of(ForkName fork) const;
};

// "mainnet", "sepolia", "hoodi", "holesky" (case-insensitive); nullptr for any other name.
const Network* find_network(std::string_view name);

}  // namespace cc::ssz
