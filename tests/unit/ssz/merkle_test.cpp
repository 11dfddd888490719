// Merkleization primitives against published constants (FIPS 180-2 SHA-256, the spec's
// zerohashes) and against a naive pad-to-power-of-two reference written here.
#include "ssz/merkle.hpp"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ssz/containers.hpp"
#include "test_hex.hpp"

namespace cc::ssz {
namespace {

using testing::root;

TEST(Sha256, FipsVectors) {
  const std::string abc = "abc";
  EXPECT_EQ(to_hex(sha256({reinterpret_cast<const std::uint8_t*>(abc.data()), abc.size()})),
            "0xba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  EXPECT_EQ(to_hex(sha256({})), "0xe3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST(Merkle, ZeroHashesAreTheSpecConstants) {
  EXPECT_EQ(zero_hash(0), Root{});
  EXPECT_EQ(zero_hash(1), root("0xf5a5fd42d16a20302798ef6ed309979b43003d2320d9f0e8ea9831a92759fb4b"));
  EXPECT_EQ(zero_hash(2), root("0xdb56114e00fdd4c1f85c892bf35ac9a89289aaecb1ebd0a96cde606a748b5d71"));
  EXPECT_EQ(zero_hash(3), root("0xc78009fdf07fc56a11f122370658a353aaa542ed63e44c4bc15ff4cd105ab33c"));
}

TEST(Merkle, TreeDepth) {
  EXPECT_EQ(tree_depth(0), 0U);
  EXPECT_EQ(tree_depth(1), 0U);
  EXPECT_EQ(tree_depth(2), 1U);
  EXPECT_EQ(tree_depth(3), 2U);
  EXPECT_EQ(tree_depth(4), 2U);
  EXPECT_EQ(tree_depth(5), 3U);
  EXPECT_EQ(tree_depth(512), 9U);
  EXPECT_EQ(tree_depth(513), 10U);
}

// merkleize() exactly as the spec describes it: pad to the next power of two of the limit
// with zero chunks, then hash pairs level by level.
Root naive_merkleize(std::vector<Root> chunks, std::uint64_t limit) {
  std::uint64_t width = 1;
  while (width < limit) width *= 2;
  chunks.resize(width);
  while (chunks.size() > 1) {
    std::vector<Root> next;
    for (std::size_t i = 0; i < chunks.size(); i += 2) next.push_back(hash_pair(chunks[i], chunks[i + 1]));
    chunks = std::move(next);
  }
  return chunks[0];
}

TEST(Merkle, StreamingMatchesNaiveForEveryCountUpToTheLimit) {
  for (std::uint64_t limit : {1U, 2U, 3U, 5U, 8U, 13U, 32U, 33U}) {
    std::vector<Root> chunks;
    for (std::uint64_t n = 0; n <= limit; ++n) {
      SCOPED_TRACE("limit " + std::to_string(limit) + " count " + std::to_string(n));
      EXPECT_EQ(merkleize(chunks, limit), naive_merkleize(chunks, limit));
      Root c{};
      c[0] = static_cast<std::uint8_t>(n + 1);
      c[31] = static_cast<std::uint8_t>(limit);
      chunks.push_back(c);
    }
  }
}

TEST(Merkle, LimitIsEnforced) {
  Merkleizer m(2);
  m.add(Root{});
  m.add(Root{});
  EXPECT_THROW(m.add(Root{}), std::length_error);
  const std::vector<std::uint64_t> three = {1, 2, 3};
  EXPECT_THROW((void)uint64_list_root(three, 2), std::length_error);
}

TEST(Merkle, BasicValues) {
  EXPECT_EQ(uint64_root(0x0102030405060708ULL),
            root("0x0807060504030201000000000000000000000000000000000000000000000000"));
  // mix_in_length(zero, 0) is the hash of two zero chunks.
  EXPECT_EQ(mix_in_length(Root{}, 0), zero_hash(1));
  // A 96-byte signature packs into three chunks (tree of four).
  BlsSignature sig{};
  EXPECT_EQ(bytes_root(sig), zero_hash(2));
  // Values computed with @chainsafe/ssz 1.9.0: List[uint64, 2048] of [1, 2, 3, 4, 5].
  const std::vector<std::uint64_t> five = {1, 2, 3, 4, 5};
  EXPECT_EQ(uint64_list_root(five, 2048), root("0xea437a4ab3bf84222f602c1c1c8ebbc202e69247056aa76febaf5d7c76f7ea5a"));
}

TEST(Merkle, ZeroContainersMatchChainsafeSsz) {
  // Roots of default values, computed with @chainsafe/ssz 1.9.0 (ssz.<fork>.<T>.defaultValue()).
  EXPECT_EQ(hash_tree_root(AttestationData{}),
            root("0x01f278ee83d4e438cf8f563ce108974d64c029a20280ab8eca07741df7ee5290"));
  EXPECT_EQ(hash_tree_root(BeaconBlockHeader{}),
            root("0xc78009fdf07fc56a11f122370658a353aaa542ed63e44c4bc15ff4cd105ab33c"));
  EXPECT_EQ(hash_tree_root(BeaconBlock{}), root("0xeade62f0457b2fdf48e7d3fc4b60736688286be7c7a3ac4c9a16a5e0600bd9e4"));
  EXPECT_EQ(hash_tree_root(BeaconBlockAltair{}),
            root("0x496977ba14e1d8f15be2292283644993ce0a73c4b4fc696efa4c47597b421248"));
  // The default electra Attestation has an empty bitlist (serialized 0x01).
  AttestationElectra att;
  att.aggregation_bits = *Bitlist<preset::kMaxAttestingIndicesElectra>::parse(std::vector<std::uint8_t>{0x01});
  EXPECT_EQ(hash_tree_root(att), root("0x4cda58c1f827e886e86494cbf71cca1096c3d16eb5cc8ac6949fbaf360a9721e"));
}

TEST(Merkle, AttestationDataSample) {
  // ssz.phase0.AttestationData.hashTreeRoot of this value, from @chainsafe/ssz 1.9.0.
  AttestationData d;
  d.slot = 123;
  d.index = 0;
  d.beacon_block_root.fill(0x11);
  d.source = {3, {}};
  d.source.root.fill(0x22);
  d.target = {4, {}};
  d.target.root.fill(0x33);
  EXPECT_EQ(hash_tree_root(d), root("0x7d6764a5ae9df8c7db575be1de95e44a089a8ff9598d020619c1078bba50b2fe"));
}

}  // namespace
}  // namespace cc::ssz
