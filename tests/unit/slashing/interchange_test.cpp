// EIP-3076 interchange: the parser's errors, and on every backend export/import round trips
// through real databases, rejection of another network's file, and atomicity of a failed import.
#include "slashing/interchange.hpp"

#include <gtest/gtest.h>

#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

std::string doc(const std::string& data, const std::string& gvr = to_hex(kGvr), const std::string& version = "\"5\"") {
  return R"({"metadata":{"interchange_format_version":)" + version + R"(,"genesis_validators_root":")" + gvr +
         R"("},"data":[)" + data + "]}";
}

std::string pk(unsigned k) { return to_hex(key(k)); }

TEST(InterchangeParse, ReadsEverythingAndKeepsMissingRootsAsNull) {
  const auto text =
      doc(R"({"pubkey":")" + pk(1) + R"(","signed_blocks":[{"slot":"81952","signing_root":")" + to_hex(root(4)) +
          R"("},{"slot":"81951"}],"signed_attestations":[{"source_epoch":"2290",)"
          R"("target_epoch":"3007","signing_root":")" +
          to_hex(root(5)) + R"("},{"source_epoch":"2290","target_epoch":"3008"}]})");
  auto r = parse_interchange(text);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->genesis_validators_root, kGvr);
  ASSERT_EQ(r->data.size(), 1u);
  const auto& rec = r->data[0];
  EXPECT_EQ(rec.pubkey, key(1));
  ASSERT_EQ(rec.signed_blocks.size(), 2u);
  EXPECT_EQ(rec.signed_blocks[0].slot, 81952u);
  EXPECT_EQ(rec.signed_blocks[0].signing_root, RecordedRoot(root(4)));
  EXPECT_EQ(rec.signed_blocks[1].signing_root, std::nullopt);
  ASSERT_EQ(rec.signed_attestations.size(), 2u);
  EXPECT_EQ(rec.signed_attestations[0].source_epoch, 2290u);
  EXPECT_EQ(rec.signed_attestations[0].target_epoch, 3007u);
  EXPECT_EQ(rec.signed_attestations[1].signing_root, std::nullopt);
  const auto mins = minimums_of(rec);
  EXPECT_EQ(mins.slot, 81951u);
  EXPECT_EQ(mins.source_epoch, 2290u);
  EXPECT_EQ(mins.target_epoch, 3007u);
}

TEST(InterchangeParse, ErrorsNameTheField) {
  struct Case {
    std::string text;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"{", "invalid JSON"},
      {doc("", to_hex(kGvr), "\"4\""), "metadata.interchange_format_version"},
      {doc("", "0x1234"), "metadata.genesis_validators_root"},
      {doc(R"({"pubkey":"0x12","signed_blocks":[],"signed_attestations":[]})"), "data[0].pubkey"},
      {doc(R"({"pubkey":")" + pk(1) + R"(","signed_blocks":[{"slot":"x"}],"signed_attestations":[]})"),
       "data[0].signed_blocks[0].slot"},
      {doc(R"({"pubkey":")" + pk(1) + R"(","signed_blocks":[],"signed_attestations":[{"source_epoch":"1"}]})"),
       "data[0].signed_attestations[0].target_epoch"},
      {doc(R"({"pubkey":")" + pk(1) +
           R"(","signed_blocks":[{"slot":"18446744073709551615"}],)"
           R"("signed_attestations":[]})"),
       "data[0].signed_blocks[0].slot"},
      {doc(R"({"pubkey":")" + pk(1) + R"(","signed_attestations":[]})"), "data[0].signed_blocks"},
  };
  for (const auto& c : cases) {
    auto r = parse_interchange(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.error().kind, Error::Kind::invalid_argument);
    EXPECT_NE(r.error().message.find(c.field), std::string::npos) << r.error().message;
  }
}

TEST(InterchangeParse, RepeatedPubkeysMergeIntoOneRecord) {
  std::vector<InterchangeRecord> in(3);
  in[0].pubkey = key(1);
  in[0].signed_blocks = {{5, std::nullopt}};
  in[1].pubkey = key(2);
  in[2].pubkey = key(1);
  in[2].signed_blocks = {{3, std::nullopt}};
  const auto out = merged_by_pubkey(in);
  ASSERT_EQ(out.size(), 2u);
  EXPECT_EQ(out[0].pubkey, key(1));
  EXPECT_EQ(out[0].signed_blocks.size(), 2u);
  EXPECT_EQ(minimums_of(out[0]).slot, 3u);
}

class InterchangeStoreTest : public ::testing::TestWithParam<Backend> {
 protected:
  void SetUp() override { CC_REQUIRE_BACKEND(GetParam()); }
  // A store on a fresh database (kept until the end of the test).
  std::unique_ptr<SlashingStore> fresh() {
    databases_.push_back(make_database(GetParam()));
    return databases_.back()->open();
  }
  std::vector<std::unique_ptr<TestDatabase>> databases_;
};

TEST_P(InterchangeStoreTest, ExportThenImportIntoAFreshDatabaseRoundTrips) {
  auto a = fresh();
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->import_interchange(doc(R"({"pubkey":")" + pk(3) +
                                        R"(","signed_blocks":[{"slot":"7"}],)"
                                        R"("signed_attestations":[{"source_epoch":"1","target_epoch":"2"}]})"))
                  .ok());
  EXPECT_EQ(check(*a, block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(check(*a, block(1, 12, 2)), Refusal::none);
  EXPECT_EQ(check(*a, vote(1, 3, 4, 1)), Refusal::none);
  EXPECT_EQ(check(*a, vote(1, 4, 6, 2)), Refusal::none);
  EXPECT_EQ(check(*a, vote(2, 0, 1, 3)), Refusal::none);
  auto exported = a->export_interchange({});
  ASSERT_TRUE(exported.ok()) << exported.error().message;

  auto b = fresh();
  ASSERT_NE(b, nullptr);
  auto st = b->import_interchange(*exported);
  ASSERT_TRUE(st.ok()) << st.error().message;
  auto again = b->export_interchange({});
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *exported);

  // Same decisions in both databases.
  for (auto* s : {a.get(), b.get()}) {
    EXPECT_EQ(check(*s, block(1, 12, 2)), Refusal::none);
    EXPECT_EQ(check(*s, block(1, 12, 3)), Refusal::double_block_proposal);
    EXPECT_EQ(check(*s, block(1, 9, 3)), Refusal::block_slot_at_or_below_low_watermark);
    EXPECT_EQ(check(*s, vote(1, 4, 6, 2)), Refusal::none);
    EXPECT_EQ(check(*s, vote(1, 4, 6, 9)), Refusal::double_vote);
    EXPECT_EQ(check(*s, vote(1, 5, 5, 9)), Refusal::surrounded_vote);
    EXPECT_EQ(check(*s, vote(3, 1, 2, 9)), Refusal::double_vote) << "imported without a root";
    EXPECT_EQ(check(*s, block(3, 7, 9)), Refusal::double_block_proposal);
  }

  auto only = a->export_interchange({key(2), key(77)});
  ASSERT_TRUE(only.ok());
  auto parsed = parse_interchange(*only);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->data.size(), 1u);
  EXPECT_EQ(parsed->data[0].pubkey, key(2));
  ASSERT_EQ(parsed->data[0].signed_attestations.size(), 1u);
  EXPECT_EQ(parsed->data[0].signed_attestations[0].signing_root, RecordedRoot(root(3)));
}

TEST_P(InterchangeStoreTest, ExportLeavesOutWhatIsBelowTheWatermarks) {
  auto a = fresh();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(check(*a, block(1, 100, 1)), Refusal::none);
  EXPECT_EQ(check(*a, vote(1, 10, 11, 1)), Refusal::none);
  // Older than the watermarks: recorded, but they no longer decide anything.
  ASSERT_TRUE(a->import_interchange(doc(R"({"pubkey":")" + pk(1) +
                                        R"(","signed_blocks":[{"slot":"5"}],)"
                                        R"("signed_attestations":[{"source_epoch":"1","target_epoch":"2"}]})"))
                  .ok());
  auto exported = a->export_interchange({});
  ASSERT_TRUE(exported.ok());
  auto parsed = parse_interchange(*exported);
  ASSERT_TRUE(parsed.ok());
  ASSERT_EQ(parsed->data.size(), 1u);
  ASSERT_EQ(parsed->data[0].signed_blocks.size(), 1u);
  EXPECT_EQ(parsed->data[0].signed_blocks[0].slot, 100u);
  ASSERT_EQ(parsed->data[0].signed_attestations.size(), 1u);
  EXPECT_EQ(parsed->data[0].signed_attestations[0].target_epoch, 11u);

  auto b = fresh();
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->import_interchange(*exported).ok());
  for (auto* s : {a.get(), b.get()}) {
    EXPECT_EQ(check(*s, block(1, 50, 1)), Refusal::block_slot_at_or_below_low_watermark);
    EXPECT_EQ(check(*s, vote(1, 9, 12, 1)), Refusal::source_below_low_watermark);
    EXPECT_EQ(check(*s, vote(1, 10, 11, 2)), Refusal::double_vote);
    EXPECT_EQ(check(*s, block(1, 101, 1)), Refusal::none);
  }
}

// Between two imports a complete database may sign (the suite's
// multiple_interchanges_single_validator_single_message_gap); export then import keeps that.
TEST_P(InterchangeStoreTest, TheGapBetweenTwoImportsSurvivesARoundTrip) {
  auto a = fresh();
  ASSERT_NE(a, nullptr);
  const auto key1 = R"({"pubkey":")" + pk(1) + R"(","signed_blocks":[{"slot":"40"}],)";
  ASSERT_TRUE(
      a->import_interchange(doc(key1 + R"("signed_attestations":[{"source_epoch":"2","target_epoch":"30"}]})")).ok());
  ASSERT_TRUE(a->import_interchange(doc(R"({"pubkey":")" + pk(1) +
                                        R"(","signed_blocks":[{"slot":"50"}],)"
                                        R"("signed_attestations":[{"source_epoch":"10","target_epoch":"50"}]})"))
                  .ok());
  auto exported = a->export_interchange({});
  ASSERT_TRUE(exported.ok());
  auto b = fresh();
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->import_interchange(*exported).ok());
  for (auto* s : {a.get(), b.get()}) {
    EXPECT_EQ(check(*s, block(1, 39, 1)), Refusal::block_slot_at_or_below_low_watermark);
    EXPECT_EQ(check(*s, block(1, 45, 1)), Refusal::none);
    EXPECT_EQ(check(*s, vote(1, 3, 31, 1)), Refusal::none);
    EXPECT_EQ(check(*s, vote(1, 1, 31, 1)), Refusal::source_below_low_watermark);
  }
}

TEST_P(InterchangeStoreTest, AFileOfAnotherNetworkIsRejectedAndChangesNothing) {
  auto a = fresh();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(check(*a, block(1, 10, 1)), Refusal::none);
  const auto before = a->export_interchange({});
  ASSERT_TRUE(before.ok());
  auto st = a->import_interchange(doc(R"({"pubkey":")" + pk(1) +
                                          R"(","signed_blocks":[{"slot":"50"}],)"
                                          R"("signed_attestations":[]})",
                                      to_hex(root(0x4242))));
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(st.error().message.find(to_hex(root(0x4242))), std::string::npos) << st.error().message;
  EXPECT_EQ(*a->export_interchange({}), *before);
  EXPECT_EQ(check(*a, block(1, 11, 1)), Refusal::none) << "the rejected file raised no watermark";
}

TEST_P(InterchangeStoreTest, AMalformedEntryMidFileLeavesTheDatabaseUnchanged) {
  auto a = fresh();
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(check(*a, vote(1, 1, 2, 1)), Refusal::none);
  const auto before = a->export_interchange({});
  ASSERT_TRUE(before.ok());
  const auto good = R"({"pubkey":")" + pk(1) +
                    R"(","signed_blocks":[{"slot":"90"}],"signed_attestations":[)"
                    R"({"source_epoch":"20","target_epoch":"21"}]})";
  const auto bad = R"({"pubkey":")" + pk(2) + R"(","signed_blocks":[{"slot":"-1"}],"signed_attestations":[]})";
  auto st = a->import_interchange(doc(good + "," + bad + "," + good));
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.error().message.find("data[1].signed_blocks[0].slot"), std::string::npos) << st.error().message;
  EXPECT_EQ(*a->export_interchange({}), *before);
  EXPECT_EQ(check(*a, block(1, 80, 1)), Refusal::none) << "the good entry before the bad one was not imported";
  EXPECT_EQ(check(*a, vote(1, 2, 3, 1)), Refusal::none);
}

TEST_P(InterchangeStoreTest, AnImportIntoAFreshDatabaseBindsItsNetwork) {
  auto a = fresh();
  ASSERT_NE(a, nullptr);
  ASSERT_TRUE(a->import_interchange(doc("", to_hex(root(0x99)))).ok());
  EXPECT_EQ(check(*a, block(1, 1, 1)), Refusal::genesis_validators_root_mismatch);
  EXPECT_EQ(check(*a, block(1, 1, 1), root(0x99)), Refusal::none);
}

INSTANTIATE_TEST_SUITE_P(Backends, InterchangeStoreTest, ::testing::ValuesIn(all_backends()), backend_param_name);

}  // namespace
}  // namespace cc::slashing::test
