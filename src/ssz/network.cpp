#include "ssz/network.hpp"

#include <array>
#include <cctype>

namespace cc::ssz {
namespace {

constexpr std::array<std::string_view, 7> kForkNames = {"PHASE0", "ALTAIR",  "BELLATRIX", "CAPELLA",
                                                        "DENEB",  "ELECTRA", "FULU"};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (std::toupper(static_cast<unsigned char>(a[i])) != std::toupper(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

constexpr Version v(std::uint8_t a, std::uint8_t b, std::uint8_t c, std::uint8_t d) { return {a, b, c, d}; }

Root root_from_hex(std::string_view hex) {
  auto r = from_hex_fixed<32>(hex);
  return r ? *r : Root{};
}

// Versions and epochs as published in eth-clients/<network>/metadata/config.yaml and
// consensus-specs configs/mainnet.yaml; genesis validators roots from each network's
// genesis_validators_root.txt.
std::vector<Network> builtin_networks() {
  using F = ForkName;
  std::vector<Network> n;
  n.push_back({"mainnet",
               root_from_hex("0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"),
               v(0x00, 0x00, 0x00, 0x00),
               32,
               {{F::phase0, v(0x00, 0x00, 0x00, 0x00), 0},
                {F::altair, v(0x01, 0x00, 0x00, 0x00), 74240},
                {F::bellatrix, v(0x02, 0x00, 0x00, 0x00), 144896},
                {F::capella, v(0x03, 0x00, 0x00, 0x00), 194048},
                {F::deneb, v(0x04, 0x00, 0x00, 0x00), 269568},
                {F::electra, v(0x05, 0x00, 0x00, 0x00), 364032},
                {F::fulu, v(0x06, 0x00, 0x00, 0x00), 411392}}});
  n.push_back({"sepolia",
               root_from_hex("0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078"),
               v(0x90, 0x00, 0x00, 0x69),
               32,
               {{F::phase0, v(0x90, 0x00, 0x00, 0x69), 0},
                {F::altair, v(0x90, 0x00, 0x00, 0x70), 50},
                {F::bellatrix, v(0x90, 0x00, 0x00, 0x71), 100},
                {F::capella, v(0x90, 0x00, 0x00, 0x72), 56832},
                {F::deneb, v(0x90, 0x00, 0x00, 0x73), 132608},
                {F::electra, v(0x90, 0x00, 0x00, 0x74), 222464},
                {F::fulu, v(0x90, 0x00, 0x00, 0x75), 272640}}});
  n.push_back({"hoodi",
               root_from_hex("0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f"),
               v(0x10, 0x00, 0x09, 0x10),
               32,
               {{F::phase0, v(0x10, 0x00, 0x09, 0x10), 0},
                {F::altair, v(0x20, 0x00, 0x09, 0x10), 0},
                {F::bellatrix, v(0x30, 0x00, 0x09, 0x10), 0},
                {F::capella, v(0x40, 0x00, 0x09, 0x10), 0},
                {F::deneb, v(0x50, 0x00, 0x09, 0x10), 0},
                {F::electra, v(0x60, 0x00, 0x09, 0x10), 2048},
                {F::fulu, v(0x70, 0x00, 0x09, 0x10), 50688}}});
  n.push_back({"holesky",
               root_from_hex("0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1"),
               v(0x01, 0x01, 0x70, 0x00),
               32,
               {{F::phase0, v(0x01, 0x01, 0x70, 0x00), 0},
                {F::altair, v(0x02, 0x01, 0x70, 0x00), 0},
                {F::bellatrix, v(0x03, 0x01, 0x70, 0x00), 0},
                {F::capella, v(0x04, 0x01, 0x70, 0x00), 256},
                {F::deneb, v(0x05, 0x01, 0x70, 0x00), 29696},
                {F::electra, v(0x06, 0x01, 0x70, 0x00), 115968},
                {F::fulu, v(0x07, 0x01, 0x70, 0x00), 165120}}});
  return n;
}

}  // namespace

std::optional<ForkName> parse_fork_name(std::string_view text) {
  for (std::size_t i = 0; i < kForkNames.size(); ++i) {
    if (iequals(text, kForkNames[i])) return static_cast<ForkName>(i);
  }
  return std::nullopt;
}

std::string_view fork_name_text(ForkName fork) { return kForkNames.at(static_cast<std::size_t>(fork)); }

ForkName Network::fork_at_epoch(std::uint64_t epoch) const {
  // Unscheduled forks carry kFarFutureEpoch, which no epoch reaches, so a linear scan over
  // the ascending schedule suffices.
  ForkName active = ForkName::phase0;
  for (const ForkSchedule& f : forks) {
    if (f.epoch != kFarFutureEpoch && f.epoch <= epoch) active = f.fork;
  }
  return active;
}

const ForkSchedule* Network::schedule_of(ForkName fork) const {
  for (const ForkSchedule& f : forks) {
    if (f.fork == fork) return &f;
  }
  return nullptr;
}

const Network* find_network(std::string_view name) {
  static const std::vector<Network> networks = builtin_networks();
  for (const Network& n : networks) {
    if (iequals(name, n.name)) return &n;
  }
  return nullptr;
}

}  // namespace cc::ssz
