// Network table and fork selection, including both sides of every mainnet fork epoch.
#include "ssz/network.hpp"

#include <gtest/gtest.h>

#include "test_hex.hpp"

namespace cc::ssz {
namespace {

using testing::hexb;
using testing::root;

TEST(Network, FindsTheFourNamedNetworksCaseInsensitively) {
  for (const char* name : {"mainnet", "sepolia", "hoodi", "holesky", "MAINNET", "Hoodi"}) {
    EXPECT_NE(find_network(name), nullptr) << name;
  }
  EXPECT_EQ(find_network("goerli"), nullptr);
  EXPECT_EQ(find_network(""), nullptr);
  EXPECT_EQ(find_network("mainnet "), nullptr);
}

TEST(Network, GenesisValues) {
  const Network& m = *find_network("mainnet");
  EXPECT_EQ(m.genesis_validators_root, root("0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95"));
  EXPECT_EQ(m.genesis_fork_version, hexb<4>("0x00000000"));
  EXPECT_EQ(m.slots_per_epoch, 32U);
  EXPECT_EQ(find_network("sepolia")->genesis_validators_root,
            root("0xd8ea171f3c94aea21ebc42a1ed61052acf3f9209c00e4efbaaddac09ed9b8078"));
  EXPECT_EQ(find_network("hoodi")->genesis_validators_root,
            root("0x212f13fc4df078b6cb7db228f1c8307566dcecf900867401a92023d7ba99cb5f"));
  EXPECT_EQ(find_network("holesky")->genesis_validators_root,
            root("0x9143aa7c615a7f7115e2b6aac319c03529df8242ae705fba9df39b79c59fa8b1"));
  EXPECT_EQ(find_network("hoodi")->genesis_fork_version, hexb<4>("0x10000910"));
  EXPECT_EQ(find_network("holesky")->schedule_of(ForkName::electra)->version, hexb<4>("0x06017000"));
}

TEST(Network, MainnetForkBoundaries) {
  const Network& m = *find_network("mainnet");
  struct Boundary {
    std::uint64_t epoch;
    ForkName before, at;
  };
  for (const Boundary& b :
       {Boundary{74240, ForkName::phase0, ForkName::altair}, Boundary{144896, ForkName::altair, ForkName::bellatrix},
        Boundary{194048, ForkName::bellatrix, ForkName::capella}, Boundary{269568, ForkName::capella, ForkName::deneb},
        Boundary{364032, ForkName::deneb, ForkName::electra}, Boundary{411392, ForkName::electra, ForkName::fulu}}) {
    EXPECT_EQ(m.fork_at_epoch(b.epoch - 1), b.before) << b.epoch;
    EXPECT_EQ(m.fork_at_epoch(b.epoch), b.at) << b.epoch;
  }
  EXPECT_EQ(m.fork_at_epoch(0), ForkName::phase0);
  EXPECT_EQ(m.fork_at_epoch(kFarFutureEpoch), ForkName::fulu);
  EXPECT_EQ(m.epoch_at_slot(364032 * 32 - 1), 364031U);
  EXPECT_EQ(m.epoch_at_slot(364032 * 32), 364032U);
}

TEST(Network, ForksAtGenesisAndUnscheduledForks) {
  const Network& hoodi = *find_network("hoodi");
  EXPECT_EQ(hoodi.fork_at_epoch(0), ForkName::deneb);  // altair..deneb all at epoch 0
  EXPECT_EQ(hoodi.fork_at_epoch(2047), ForkName::deneb);
  EXPECT_EQ(hoodi.fork_at_epoch(2048), ForkName::electra);
  EXPECT_EQ(hoodi.fork_at_epoch(50688), ForkName::fulu);
  EXPECT_EQ(find_network("holesky")->fork_at_epoch(255), ForkName::bellatrix);
  EXPECT_EQ(find_network("sepolia")->fork_at_epoch(272639), ForkName::electra);

  Network custom = *find_network("mainnet");
  custom.forks.back().epoch = kFarFutureEpoch;  // fulu not scheduled
  EXPECT_EQ(custom.fork_at_epoch(kFarFutureEpoch), ForkName::electra);
  EXPECT_EQ(custom.fork_at_epoch(500000), ForkName::electra);
}

TEST(ForkName, ParsesVersionStringsCaseInsensitively) {
  EXPECT_EQ(parse_fork_name("PHASE0"), ForkName::phase0);
  EXPECT_EQ(parse_fork_name("altair"), ForkName::altair);
  EXPECT_EQ(parse_fork_name("Bellatrix"), ForkName::bellatrix);
  EXPECT_EQ(parse_fork_name("CAPELLA"), ForkName::capella);
  EXPECT_EQ(parse_fork_name("deneb"), ForkName::deneb);
  EXPECT_EQ(parse_fork_name("ELECTRA"), ForkName::electra);
  EXPECT_EQ(parse_fork_name("fulu"), ForkName::fulu);
  EXPECT_EQ(parse_fork_name("GLOAS"), std::nullopt);
  EXPECT_EQ(parse_fork_name(""), std::nullopt);
  EXPECT_EQ(parse_fork_name("ELECTRA "), std::nullopt);
  EXPECT_EQ(fork_name_text(ForkName::electra), "ELECTRA");
}

}  // namespace
}  // namespace cc::ssz
