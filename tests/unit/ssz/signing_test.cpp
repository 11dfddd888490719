// Domains against values published by other implementations (flashbots go-boost-utils and
// mev-boost tests: builder domains; the mainnet proposer domains), plus get_domain's fork choice.
#include "ssz/signing.hpp"

#include <gtest/gtest.h>

#include "ssz/network.hpp"
#include "test_hex.hpp"

namespace cc::ssz {
namespace {

using testing::hexb;
using testing::root;

const Root kMainnetGvr = root("0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95");

TEST(Domain, ApplicationBuilderPublishedValues) {
  EXPECT_EQ(to_hex(compute_domain(kDomainApplicationBuilder, hexb<4>("0x00000000"), Root{})),
            "0x00000001f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9");
  EXPECT_EQ(to_hex(compute_domain(kDomainApplicationBuilder, find_network("sepolia")->genesis_fork_version, Root{})),
            "0x00000001d3010778cd08ee514b08fe67b6c503b510987a4ce43f42306d97c67c");
  EXPECT_EQ(to_hex(compute_domain(kDomainApplicationBuilder, find_network("holesky")->genesis_fork_version, Root{})),
            "0x000000015b83a23759c560b2d0c64576e1dcfc34ea94c4988f3e0d9f77f05387");
}

TEST(Domain, MainnetProposerAndDeposit) {
  EXPECT_EQ(to_hex(compute_domain(kDomainBeaconProposer, hexb<4>("0x00000000"), kMainnetGvr)),
            "0x00000000b5303f2ad2010d699a76c8e62350947421a3e4a979779642cfdb0f66");
  EXPECT_EQ(to_hex(compute_domain(kDomainBeaconProposer, hexb<4>("0x02000000"), kMainnetGvr)),
            "0x000000004a26c58b08add8089b75caa540848881a8d4f0af0be83417a85c0f45");
  EXPECT_EQ(to_hex(compute_domain(kDomainDeposit, hexb<4>("0x00000000"), Root{})),
            "0x03000000f5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a9");
  // Computed with @chainsafe/ssz 1.9.0 (ForkData root, first 28 bytes).
  EXPECT_EQ(to_hex(compute_domain(kDomainBeaconAttester, hexb<4>("0x04000000"), kMainnetGvr)),
            "0x010000006a95a1a967855d676d48be69883b712607f952d5198d0f5677564636");
}

TEST(Domain, ForkVersionFollowsTheEpoch) {
  const Fork fork{hexb<4>("0x04000000"), hexb<4>("0x05000000"), 364032};
  EXPECT_EQ(fork_version_at(fork, 364031), hexb<4>("0x04000000"));
  EXPECT_EQ(fork_version_at(fork, 364032), hexb<4>("0x05000000"));
  EXPECT_EQ(fork_version_at(fork, 0), hexb<4>("0x04000000"));
}

TEST(SigningRoot, AttestationSample) {
  // The AttestationData of merkle_test's sample under the mainnet phase0 attester domain;
  // expected value from @chainsafe/ssz 1.9.0 (ssz.phase0.SigningData).
  const Domain d = compute_domain(kDomainBeaconAttester, hexb<4>("0x00000000"), kMainnetGvr);
  EXPECT_EQ(to_hex(compute_signing_root(root("0x7d6764a5ae9df8c7db575be1de95e44a089a8ff9598d020619c1078bba50b2fe"), d)),
            "0x378f8ff47bd2b7a8c2734f25801a4fd077d7fabda32ff38f2e64a179ed75a627");
}

}  // namespace
}  // namespace cc::ssz
