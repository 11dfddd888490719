// Checks the ssz layer against vectors written by tests/tools/signing_roots.mjs, which builds
// random requests and containers with Lodestar's SSZ types and computes the expected roots
// with @chainsafe/ssz. The file path comes from CC_SSZ_VECTORS (set by the ctest fixture).
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <string>

#include "core/json.hpp"
#include "ssz/containers_json.hpp"
#include "ssz/signing_request.hpp"

namespace cc::ssz {
namespace {

std::vector<boost::json::value> load_vectors() {
  const char* path = std::getenv("CC_SSZ_VECTORS");
  if (path == nullptr) return {};
  std::ifstream in(path);
  std::vector<boost::json::value> out;
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty()) out.push_back(json::parse(line));
  }
  return out;
}

const std::vector<boost::json::value>& vectors() {
  static const std::vector<boost::json::value> v = load_vectors();
  return v;
}

std::string str(const boost::json::value& v, std::string_view key) {
  return std::string(v.as_object().at(key).as_string());
}

template <class T>
std::function<Root(const json::Object&)> root_of() {
  return [](const json::Object& o) { return hash_tree_root(decode<T>(o)); };
}

// Lodestar type names -> our containers.
const std::map<std::string, std::function<Root(const json::Object&)>>& containers() {
  static const std::map<std::string, std::function<Root(const json::Object&)>> m = {
      {"phase0.BeaconBlock", root_of<BeaconBlock>()},
      {"altair.BeaconBlock", root_of<BeaconBlockAltair>()},
      {"phase0.BeaconBlockBody", root_of<BeaconBlockBody>()},
      {"altair.BeaconBlockBody", root_of<BeaconBlockBodyAltair>()},
      {"phase0.BeaconBlockHeader", root_of<BeaconBlockHeader>()},
      {"phase0.ProposerSlashing", root_of<ProposerSlashing>()},
      {"phase0.AttesterSlashing", root_of<AttesterSlashing>()},
      {"electra.AttesterSlashing", root_of<AttesterSlashingElectra>()},
      {"phase0.IndexedAttestation", root_of<IndexedAttestation>()},
      {"electra.IndexedAttestation", root_of<IndexedAttestationElectra>()},
      {"phase0.Attestation", root_of<Attestation>()},
      {"electra.Attestation", root_of<AttestationElectra>()},
      {"phase0.Deposit", root_of<Deposit>()},
      {"phase0.DepositData", root_of<DepositData>()},
      {"phase0.DepositMessage", root_of<DepositMessage>()},
      {"phase0.SignedVoluntaryExit", root_of<SignedVoluntaryExit>()},
      {"phase0.Eth1Data", root_of<Eth1Data>()},
      {"phase0.Fork", root_of<Fork>()},
      {"phase0.ForkData",
       [](const json::Object& o) {
         return hash_tree_root(ForkData{o.bytes<4>("current_version"), o.bytes<32>("genesis_validators_root")});
       }},
      {"phase0.SigningData",
       [](const json::Object& o) {
         return hash_tree_root(SigningData{o.bytes<32>("object_root"), o.bytes<32>("domain")});
       }},
      {"phase0.AggregateAndProof", root_of<AggregateAndProof>()},
      {"electra.AggregateAndProof", root_of<AggregateAndProofElectra>()},
      {"altair.SyncAggregate", root_of<SyncAggregate>()},
      {"altair.SyncCommitteeContribution", root_of<SyncCommitteeContribution>()},
      {"altair.ContributionAndProof", root_of<ContributionAndProof>()},
      {"altair.SyncAggregatorSelectionData", root_of<SyncAggregatorSelectionData>()},
      {"bellatrix.ValidatorRegistrationV1", root_of<ValidatorRegistrationV1>()},
  };
  return m;
}

TEST(Vectors, FileIsPresentAndLarge) {
  ASSERT_NE(std::getenv("CC_SSZ_VECTORS"), nullptr) << "run through ctest (fixture ssz.vectors.generate)";
  EXPECT_GT(vectors().size(), 40U);
}

TEST(Vectors, SigningRootsMatchLodestar) {
  std::size_t checked = 0;
  for (const auto& v : vectors()) {
    const auto& o = v.as_object();
    if (!o.contains("request")) continue;
    const std::string name = str(v, "name");
    SCOPED_TRACE(name);
    const Network* network = find_network(str(v, "network"));
    ASSERT_NE(network, nullptr);
    try {
      const SigningRequest req = decode_signing_request(o.at("request"), *network);
      EXPECT_EQ(to_hex(req.signing_root), str(v, "signing_root"));
      const auto& expect = o.at("expect").as_object();
      auto expect_u64 = [&](std::string_view key, const std::optional<std::uint64_t>& got) {
        if (expect.contains(key)) {
          ASSERT_TRUE(got.has_value()) << key;
          EXPECT_EQ(std::to_string(*got), std::string(expect.at(key).as_string())) << key;
        } else {
          EXPECT_FALSE(got.has_value()) << key;
        }
      };
      expect_u64("block_slot", req.block_slot);
      expect_u64("source_epoch", req.source_epoch);
      expect_u64("target_epoch", req.target_epoch);
      if (expect.contains("client_signing_root")) {
        ASSERT_TRUE(req.client_signing_root.has_value());
        EXPECT_EQ(to_hex(*req.client_signing_root), std::string(expect.at("client_signing_root").as_string()));
      } else {
        EXPECT_FALSE(req.client_signing_root.has_value());
      }
      EXPECT_EQ(req.fork_info.has_value(), o.at("request").as_object().contains("fork_info"));
      EXPECT_EQ(sign_type_name(req.type), o.at("request").as_object().at("type").as_string());
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
    ++checked;
  }
  EXPECT_GT(checked, 40U);
}

TEST(Vectors, ContainerRootsMatchLodestar) {
  std::size_t checked = 0;
  for (const auto& v : vectors()) {
    const auto& o = v.as_object();
    if (!o.contains("container")) continue;
    SCOPED_TRACE(str(v, "name"));
    const auto it = containers().find(str(v, "container"));
    ASSERT_NE(it, containers().end()) << "no decoder registered for " << str(v, "container");
    try {
      EXPECT_EQ(to_hex(it->second(json::Object(o.at("value"), "value"))), str(v, "hash_tree_root"));
    } catch (const std::exception& e) {
      ADD_FAILURE() << "threw: " << e.what();
    }
    ++checked;
  }
  EXPECT_GT(checked, 40U);
}

}  // namespace
}  // namespace cc::ssz
