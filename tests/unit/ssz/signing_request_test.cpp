// decode_signing_request: field-naming errors, the decoding order (type, then network, then
// payload), fork-dependent container choice and the fields the slashing layer reads.
#include "ssz/signing_request.hpp"

#include <gtest/gtest.h>

#include <string>

#include "core/json.hpp"
#include "ssz/containers.hpp"
#include "ssz/signing.hpp"
#include "test_hex.hpp"

namespace cc::ssz {
namespace {

using testing::hexb;
using testing::root;

const Network& mainnet() { return *find_network("mainnet"); }

const std::string kZero32 = "0x" + std::string(64, '0');
const std::string kSig = "0x" + std::string(192, '0');
const std::string kMainnetGvr = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";

boost::json::object fork_info(const std::string& prev, const std::string& cur, const std::string& epoch,
                              const std::string& gvr = kMainnetGvr) {
  return {{"fork", {{"previous_version", prev}, {"current_version", cur}, {"epoch", epoch}}},
          {"genesis_validators_root", gvr}};
}

boost::json::object attestation_data(const std::string& slot, const std::string& target_epoch) {
  return {{"slot", slot},
          {"index", "0"},
          {"beacon_block_root", kZero32},
          {"source", {{"epoch", "0"}, {"root", kZero32}}},
          {"target", {{"epoch", target_epoch}, {"root", kZero32}}}};
}

boost::json::value attestation_request() {
  return boost::json::object{{"type", "ATTESTATION"},
                             {"fork_info", fork_info("0x04000000", "0x05000000", "364032")},
                             {"attestation", attestation_data("11649024", "364032")}};
}

boost::json::object aggregate(const std::string& slot, const char* bits, bool committee_bits) {
  boost::json::object agg{{"aggregation_bits", bits}, {"data", attestation_data(slot, "0")}, {"signature", kSig}};
  if (committee_bits) agg["committee_bits"] = "0x0100000000000000";
  return agg;
}

boost::json::value aggregate_request(const std::string& slot, const char* bits, bool committee_bits, bool wrapped) {
  boost::json::object aap{
      {"aggregator_index", "1"}, {"aggregate", aggregate(slot, bits, committee_bits)}, {"selection_proof", kSig}};
  boost::json::object req{{"type", wrapped ? "AGGREGATE_AND_PROOF_V2" : "AGGREGATE_AND_PROOF"},
                          {"fork_info", fork_info("0x04000000", "0x05000000", "364032")}};
  if (wrapped) {
    req["aggregate_and_proof"] = boost::json::object{{"version", "ELECTRA"}, {"data", aap}};
  } else {
    req["aggregate_and_proof"] = aap;
  }
  return req;
}

// Runs the decoder and returns the InputError message ("" if it did not throw InputError).
std::string input_error(const boost::json::value& body, const Network& network = mainnet()) {
  try {
    (void)decode_signing_request(body, network);
  } catch (const json::InputError& e) {
    return e.what();
  }
  return "";
}

::testing::AssertionResult StartsWith(const std::string& text, const std::string& prefix) {
  if (text.rfind(prefix, 0) == 0) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not start with '" << prefix << "'";
}
::testing::AssertionResult Contains(const std::string& text, const std::string& part) {
  if (text.find(part) != std::string::npos) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "'" << text << "' does not contain '" << part << "'";
}

TEST(SignType, RoundTripsEveryWeb3SignerName) {
  for (const char* name :
       {"BLOCK", "BLOCK_V2", "ATTESTATION", "AGGREGATION_SLOT", "AGGREGATE_AND_PROOF", "AGGREGATE_AND_PROOF_V2",
        "RANDAO_REVEAL", "VOLUNTARY_EXIT", "DEPOSIT", "SYNC_COMMITTEE_MESSAGE", "SYNC_COMMITTEE_SELECTION_PROOF",
        "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF", "VALIDATOR_REGISTRATION"}) {
    auto t = parse_sign_type(name);
    ASSERT_TRUE(t.has_value()) << name;
    EXPECT_EQ(sign_type_name(*t), name);
  }
  EXPECT_FALSE(parse_sign_type("block").has_value());
  EXPECT_FALSE(parse_sign_type("BLS_TO_EXECUTION_CHANGE").has_value());
}

TEST(SigningRequest, AttestationFieldsForSlashingProtection) {
  const auto req = decode_signing_request(attestation_request(), mainnet());
  EXPECT_EQ(req.type, SignType::attestation);
  EXPECT_EQ(req.source_epoch, 0U);
  EXPECT_EQ(req.target_epoch, 364032U);
  EXPECT_FALSE(req.block_slot.has_value());
  EXPECT_FALSE(req.client_signing_root.has_value());
  ASSERT_TRUE(req.fork_info.has_value());
  EXPECT_EQ(req.fork_info->current_version, hexb<4>("0x05000000"));
  EXPECT_EQ(req.fork_info->epoch, 364032U);
}

TEST(SigningRequest, UnknownTypeIsNamed) {
  auto body = attestation_request();
  body.as_object()["type"] = "BLOCKS";
  EXPECT_EQ(input_error(body), "type: unknown signing type 'BLOCKS'");
  body.as_object().erase("type");
  EXPECT_EQ(input_error(body), "type: missing field");
  EXPECT_TRUE(StartsWith(input_error(boost::json::value("x")), "body: expected a JSON object"));
}

TEST(SigningRequest, UnknownTypeIsReportedBeforeTheNetworkCheck) {
  auto body = attestation_request();
  body.as_object()["type"] = "NOPE";
  body.as_object()["fork_info"] = fork_info("0x04000000", "0x05000000", "1", kZero32);
  EXPECT_EQ(input_error(body), "type: unknown signing type 'NOPE'");
}

TEST(SigningRequest, MissingForkInfo) {
  auto body = attestation_request();
  body.as_object().erase("fork_info");
  EXPECT_EQ(input_error(body), "fork_info: missing field");
  body = attestation_request();
  body.as_object()["fork_info"].as_object()["fork"].as_object().erase("current_version");
  EXPECT_EQ(input_error(body), "fork_info.fork.current_version: missing field");
}

TEST(SigningRequest, BadHexLengthNamesTheField) {
  auto body = attestation_request();
  body.as_object()["attestation"].as_object()["beacon_block_root"] = "0x" + std::string(62, 'a');
  EXPECT_TRUE(StartsWith(input_error(body), "attestation.beacon_block_root: expected 32 bytes"));
  body = attestation_request();
  body.as_object()["fork_info"].as_object()["genesis_validators_root"] = "0x1234";
  EXPECT_TRUE(StartsWith(input_error(body), "fork_info.genesis_validators_root: expected 32 bytes"));
}

TEST(SigningRequest, Uint64Range) {
  auto body = attestation_request();
  body.as_object()["attestation"].as_object()["source"].as_object()["epoch"] = "18446744073709551616";
  EXPECT_TRUE(StartsWith(input_error(body), "attestation.source.epoch: number out of uint64 range"));
  body.as_object()["attestation"].as_object()["source"].as_object()["epoch"] = "18446744073709551615";
  EXPECT_EQ(decode_signing_request(body, mainnet()).source_epoch, 18446744073709551615ULL);
  body.as_object()["attestation"].as_object()["source"].as_object()["epoch"] = "-1";
  EXPECT_TRUE(StartsWith(input_error(body), "attestation.source.epoch: "));
}

TEST(SigningRequest, WrongNetworkBeforeAMalformedPayload) {
  auto body = attestation_request();
  body.as_object()["fork_info"] = fork_info("0x04000000", "0x05000000", "364032", kZero32);
  body.as_object()["attestation"] = "garbage";
  EXPECT_THROW((void)decode_signing_request(body, mainnet()), WrongNetwork);
  // The same GVR is right on no other network either: hoodi refuses mainnet's.
  EXPECT_THROW((void)decode_signing_request(attestation_request(), *find_network("hoodi")), WrongNetwork);
  try {
    (void)decode_signing_request(body, mainnet());
  } catch (const WrongNetwork& e) {
    EXPECT_TRUE(StartsWith(e.what(), "fork_info.genesis_validators_root: "));
    EXPECT_TRUE(Contains(e.what(), "mainnet"));
  }
}

TEST(SigningRequest, ClientRootUnderEitherSpelling) {
  auto body = attestation_request();
  const std::string r = "0x" + std::string(64, 'c');
  body.as_object()["signing_root"] = r;
  EXPECT_EQ(to_hex(*decode_signing_request(body, mainnet()).client_signing_root), r);
  body.as_object()["signingRoot"] = r;
  EXPECT_EQ(to_hex(*decode_signing_request(body, mainnet()).client_signing_root), r);
  body.as_object()["signingRoot"] = kZero32;
  EXPECT_EQ(input_error(body), "signing_root: differs from signingRoot");
  body.as_object()["signingRoot"] = "0x12";
  EXPECT_TRUE(StartsWith(input_error(body), "signingRoot: expected 32 bytes"));
}

TEST(SigningRequest, BadBitlistNamesThePath) {
  // Slot 0: phase0 container.
  EXPECT_TRUE(StartsWith(input_error(aggregate_request("0", "0x00", false, false)),
                         "aggregate_and_proof.aggregate.aggregation_bits: bitlist has no length delimiter"));
  EXPECT_TRUE(StartsWith(input_error(aggregate_request("0", "0x", false, true)),
                         "aggregate_and_proof.data.aggregate.aggregation_bits: bitlist is empty"));
  // 2049 bits in a phase0 aggregate (limit 2048) are fine after electra (limit 131072).
  std::string bits = "0x" + std::string(512, 'f') + "02";
  EXPECT_TRUE(Contains(input_error(aggregate_request("0", bits.c_str(), false, false)),
                       "bitlist has 2049 bits, limit is 2048"));
  EXPECT_EQ(input_error(aggregate_request("11649024", bits.c_str(), true, false)), "");
}

TEST(SigningRequest, AggregateContainerFollowsTheSlotNotTheVersion) {
  const std::uint64_t first_electra_slot = 364032ULL * 32;
  const std::string last_deneb = std::to_string(first_electra_slot - 1);
  const std::string first_electra = std::to_string(first_electra_slot);
  EXPECT_TRUE(StartsWith(input_error(aggregate_request(last_deneb, "0x01", true, true)),
                         "aggregate_and_proof.data.aggregate.committee_bits: not part of a DENEB attestation"));
  EXPECT_TRUE(StartsWith(input_error(aggregate_request(last_deneb, "0x01", true, false)),
                         "aggregate_and_proof.aggregate.committee_bits: "));
  EXPECT_EQ(input_error(aggregate_request(last_deneb, "0x01", false, true)), "");
  EXPECT_EQ(input_error(aggregate_request(first_electra, "0x01", false, false)),
            "aggregate_and_proof.aggregate.committee_bits: missing field");
  EXPECT_EQ(input_error(aggregate_request(first_electra, "0x01", true, false)), "");

  // Same aggregate, both containers: the roots differ (committee_bits is a field in electra).
  const auto deneb = decode_signing_request(aggregate_request(last_deneb, "0x01", false, true), mainnet());
  const auto electra = decode_signing_request(aggregate_request(first_electra, "0x01", true, true), mainnet());
  EXPECT_NE(deneb.signing_root, electra.signing_root);

  auto bad_version = aggregate_request(first_electra, "0x01", true, true);
  bad_version.as_object()["aggregate_and_proof"].as_object()["version"] = "GLOAS";
  EXPECT_EQ(input_error(bad_version), "aggregate_and_proof.version: unknown fork 'GLOAS'");
}

boost::json::value block_v2_request(const char* version, bool full_block) {
  boost::json::object bb{{"version", version}};
  if (full_block) {
    bb["block"] = boost::json::object{{"slot", "5000000"},
                                      {"proposer_index", "1"},
                                      {"parent_root", kZero32},
                                      {"state_root", kZero32},
                                      {"body", boost::json::object{}}};
  } else {
    bb["block_header"] = boost::json::object{{"slot", "5000000"},
                                             {"proposer_index", "1"},
                                             {"parent_root", kZero32},
                                             {"state_root", kZero32},
                                             {"body_root", kZero32}};
  }
  return boost::json::object{
      {"type", "BLOCK_V2"}, {"fork_info", fork_info("0x01000000", "0x02000000", "144896")}, {"beacon_block", bb}};
}

TEST(SigningRequest, FullBlockAfterAltairIsRefused) {
  EXPECT_EQ(input_error(block_v2_request("BELLATRIX", true)),
            "beacon_block.block: full BELLATRIX blocks are not accepted; send beacon_block.block_header instead");
  EXPECT_TRUE(Contains(input_error(block_v2_request("FULU", true)), "send beacon_block.block_header"));
  // Full phase0/altair blocks are decoded: an empty body is reported by its first field.
  EXPECT_EQ(input_error(block_v2_request("ALTAIR", true)), "beacon_block.block.body.randao_reveal: missing field");
  EXPECT_EQ(input_error(block_v2_request("GLOAS", false)), "beacon_block.version: unknown fork 'GLOAS'");
  auto neither = block_v2_request("DENEB", false);
  neither.as_object()["beacon_block"].as_object().erase("block_header");
  EXPECT_EQ(input_error(neither), "beacon_block.block_header: missing field");
}

TEST(SigningRequest, BlockHeaderForAnyVersionGivesTheSlot) {
  for (const char* v : {"PHASE0", "altair", "BELLATRIX", "FULU"}) {
    const auto req = decode_signing_request(block_v2_request(v, false), mainnet());
    EXPECT_EQ(req.block_slot, 5000000U) << v;
    EXPECT_FALSE(req.target_epoch.has_value());
    // The root is the header's under the proposer domain of fork_info at epoch(slot).
    const Domain d = compute_domain(kDomainBeaconProposer, hexb<4>("0x02000000"), mainnet().genesis_validators_root);
    BeaconBlockHeader h;
    h.slot = 5000000;
    h.proposer_index = 1;
    EXPECT_EQ(req.signing_root, compute_signing_root(hash_tree_root(h), d));
  }
}

TEST(SigningRequest, ListLimitsAndVectorLengths) {
  auto body = block_v2_request("PHASE0", true);
  auto& blk = body.as_object()["beacon_block"].as_object()["block"].as_object();
  blk["body"] =
      boost::json::object{{"randao_reveal", kSig},
                          {"eth1_data", {{"deposit_root", kZero32}, {"deposit_count", "0"}, {"block_hash", kZero32}}},
                          {"graffiti", kZero32},
                          {"proposer_slashings", boost::json::array{}},
                          {"attester_slashings", boost::json::array{}},
                          {"attestations", boost::json::array{}},
                          {"deposits", boost::json::array{}},
                          {"voluntary_exits", boost::json::array(17, boost::json::value{})}};
  EXPECT_EQ(input_error(body), "beacon_block.block.body.voluntary_exits: 17 elements, limit is 16");
  blk["body"].as_object()["voluntary_exits"] = boost::json::array{};
  blk["body"].as_object()["deposits"] = boost::json::array{
      boost::json::object{{"proof", boost::json::array(32, boost::json::value(kZero32))}, {"data", {}}}};
  EXPECT_EQ(input_error(body), "beacon_block.block.body.deposits[0].proof: expected 33 elements, got 32");
  blk["body"].as_object()["deposits"] = boost::json::array{};
  EXPECT_EQ(input_error(body), "");
}

TEST(SigningRequest, DepositAndRegistrationNeedNoForkInfo) {
  const std::string pubkey = "0x" + std::string(96, 'a');
  boost::json::value deposit = boost::json::object{{"type", "DEPOSIT"},
                                                   {"deposit",
                                                    {{"pubkey", pubkey},
                                                     {"withdrawal_credentials", kZero32},
                                                     {"amount", "32000000000"},
                                                     {"genesis_fork_version", "0x00000000"}}}};
  const auto d = decode_signing_request(deposit, mainnet());
  EXPECT_FALSE(d.fork_info.has_value());
  DepositMessage m;
  m.pubkey.fill(0xaa);
  m.amount = 32000000000ULL;
  EXPECT_EQ(d.signing_root, compute_signing_root(hash_tree_root(m), compute_domain(kDomainDeposit, Version{}, Root{})));
  deposit.as_object()["deposit"].as_object().erase("genesis_fork_version");
  EXPECT_EQ(input_error(deposit), "deposit.genesis_fork_version: missing field");

  boost::json::value reg = boost::json::object{{"type", "VALIDATOR_REGISTRATION"},
                                               {"validator_registration",
                                                {{"fee_recipient", "0x" + std::string(40, '1')},
                                                 {"gas_limit", "30000000"},
                                                 {"timestamp", "1"},
                                                 {"pubkey", pubkey}}}};
  EXPECT_FALSE(decode_signing_request(reg, mainnet()).fork_info.has_value());
  // Registration domains differ per network (genesis fork version), not by fork_info.
  EXPECT_NE(decode_signing_request(reg, mainnet()).signing_root,
            decode_signing_request(reg, *find_network("hoodi")).signing_root);
  reg.as_object()["validator_registration"].as_object()["fee_recipient"] = "0x1234";
  EXPECT_TRUE(StartsWith(input_error(reg), "validator_registration.fee_recipient: expected 20 bytes"));
}

TEST(SigningRequest, DomainEpochPicksPreviousOrCurrentVersion) {
  // A randao reveal for the last deneb epoch signed with the upgraded (electra) fork_info uses
  // the deneb version; the first electra epoch uses the electra version.
  auto randao = [](const char* epoch) {
    return boost::json::value(boost::json::object{{"type", "RANDAO_REVEAL"},
                                                  {"fork_info", fork_info("0x04000000", "0x05000000", "364032")},
                                                  {"randao_reveal", {{"epoch", epoch}}}});
  };
  const Root gvr = mainnet().genesis_validators_root;
  EXPECT_EQ(decode_signing_request(randao("364031"), mainnet()).signing_root,
            compute_signing_root(uint64_root(364031), compute_domain(kDomainRandao, hexb<4>("0x04000000"), gvr)));
  EXPECT_EQ(decode_signing_request(randao("364032"), mainnet()).signing_root,
            compute_signing_root(uint64_root(364032), compute_domain(kDomainRandao, hexb<4>("0x05000000"), gvr)));
}

}  // namespace
}  // namespace cc::ssz
