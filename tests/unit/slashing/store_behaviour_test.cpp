// What every anti-slashing store must do, run against each backend (SQLite file, PostgreSQL
// database): every refusal and allowed re-sign through the public API, watermarks and imports,
// the genesis_validators_root binding, batching order, draining on close, invalid input,
// persistence across reopen and health. Backend-specific behaviour lives in sqlite_store_test
// and postgres_store_test.
#include <gtest/gtest.h>

#include <atomic>
#include <future>

#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

class StoreTest : public BackendStoreTest {
 protected:
  void import(const std::string& json) {
    auto st = store_->import_interchange(json);
    ASSERT_TRUE(st.ok()) << st.error().message;
  }
};

std::string interchange(const std::string& data, const Root& gvr = kGvr) {
  return R"({"metadata":{"interchange_format_version":"5","genesis_validators_root":")" + to_hex(gvr) +
         R"("},"data":[)" + data + "]}";
}

std::string record(unsigned k, const std::string& blocks, const std::string& atts) {
  return R"({"pubkey":")" + to_hex(key(k)) + R"(","signed_blocks":[)" + blocks + R"(],"signed_attestations":[)" + atts +
         "]}";
}

// ---- one test per refusal -----------------------------------------------------------------

TEST_P(StoreTest, GenesisValidatorsRootMismatchRefusesEverything) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  auto d = store().check_and_record_sync(root(0x1234), block(1, 11, 1));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->refusal, Refusal::genesis_validators_root_mismatch);
  EXPECT_NE(d->detail.find(to_hex(root(0x1234))), std::string::npos) << d->detail;
  EXPECT_EQ(check(store(), vote(2, 1, 2, 1), root(0x1234)), Refusal::genesis_validators_root_mismatch);
  EXPECT_EQ(sign(block(1, 11, 1)), Refusal::none) << "the refused request must not have been recorded";
}

TEST_P(StoreTest, BlockBelowTheWatermarkIsRefused) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 9, 2)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 0, 2)), Refusal::block_slot_at_or_below_low_watermark);
}

TEST_P(StoreTest, DoubleBlockProposalIsRefused) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 12, 1)), Refusal::none);
  auto d = store().check_and_record_sync(kGvr, block(1, 12, 2));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->refusal, Refusal::double_block_proposal);
  EXPECT_EQ(d->detail, "block slot 12 already signed with a different signing root");
  EXPECT_EQ(sign(block(2, 12, 2)), Refusal::none) << "another key is independent";
}

TEST_P(StoreTest, SourceExceedingTargetIsRefused) {
  EXPECT_EQ(sign(vote(1, 5, 4, 1)), Refusal::source_exceeds_target);
  EXPECT_EQ(sign(vote(1, 4, 4, 1)), Refusal::none) << "refused votes leave no watermark behind";
}

TEST_P(StoreTest, SourceBelowTheWatermarkIsRefused) {
  EXPECT_EQ(sign(vote(1, 5, 6, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 10, 2)), Refusal::source_below_low_watermark);
}

TEST_P(StoreTest, TargetAtOrBelowTheWatermarkIsRefused) {
  EXPECT_EQ(sign(vote(1, 5, 6, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 5, 5, 2)), Refusal::target_at_or_below_low_watermark);
}

TEST_P(StoreTest, DoubleVoteIsRefused) {
  EXPECT_EQ(sign(vote(1, 1, 2, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 5, 1)), Refusal::none);
  auto d = store().check_and_record_sync(kGvr, vote(1, 2, 5, 2));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->refusal, Refusal::double_vote);
  EXPECT_EQ(d->detail, "attestation target epoch 5 already signed with a different signing root");
  EXPECT_EQ(sign(vote(1, 3, 5, 1)), Refusal::double_vote) << "same target, other source";
}

TEST_P(StoreTest, SurroundingVoteIsRefused) {
  EXPECT_EQ(sign(vote(1, 1, 2, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 5, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 3, 6, 2)), Refusal::surrounding_vote);
}

TEST_P(StoreTest, SurroundedVoteIsRefused) {
  EXPECT_EQ(sign(vote(1, 1, 2, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 9, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 3, 8, 2)), Refusal::surrounded_vote);
}

TEST_P(StoreTest, AdjacentNonSurroundingVotesAreAllowed) {
  EXPECT_EQ(sign(vote(1, 1, 2, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 3, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 5, 1)), Refusal::none);  // same source as a record, later target
  EXPECT_EQ(sign(vote(1, 4, 5, 1)), Refusal::double_vote);
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::surrounded_vote);
}

// ---- allowed re-signs ---------------------------------------------------------------------

TEST_P(StoreTest, IdenticalBlockIsReSignedIncludingAtTheWatermark) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);  // sets the watermark to 10
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 11, 2)), Refusal::none);
  EXPECT_EQ(sign(block(1, 11, 2)), Refusal::none);
}

TEST_P(StoreTest, IdenticalAttestationIsReSignedIncludingAtTheWatermark) {
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 6, 2)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 6, 2)), Refusal::none);
}

// ---- watermarks and imports ---------------------------------------------------------------

TEST_P(StoreTest, ImportSetsWatermarksAtTheOldestImportedMessage) {
  import(interchange(record(1, R"({"slot":"20"},{"slot":"30"})", R"({"source_epoch":"5","target_epoch":"6"})")));
  EXPECT_EQ(sign(block(1, 19, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 20, 1)), Refusal::double_block_proposal) << "imported without a root: the null marker";
  EXPECT_EQ(sign(block(1, 25, 1)), Refusal::none) << "complete database: between imported blocks is allowed";
  EXPECT_EQ(sign(block(1, 30, 1)), Refusal::double_block_proposal);
  EXPECT_EQ(sign(vote(1, 4, 9, 1)), Refusal::source_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 5, 6, 1)), Refusal::double_vote);
  EXPECT_EQ(sign(vote(1, 6, 7, 1)), Refusal::none);
}

// EIP-3076 suite, multiple_interchanges_single_validator_single_message_gap: a complete
// database signs between two imports; the watermark stays at the oldest record.
TEST_P(StoreTest, ASecondImportKeepsTheWatermarkAtTheOldestRecord) {
  import(interchange(record(1, R"({"slot":"40"})", R"({"source_epoch":"2","target_epoch":"30"})")));
  import(interchange(record(1, R"({"slot":"50"})", R"({"source_epoch":"10","target_epoch":"50"})")));
  EXPECT_EQ(sign(block(1, 39, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 40, 1)), Refusal::double_block_proposal);
  EXPECT_EQ(sign(block(1, 45, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 50, 1)), Refusal::double_block_proposal);
  EXPECT_EQ(sign(vote(1, 1, 31, 1)), Refusal::source_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 2, 29, 1)), Refusal::target_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 3, 31, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 9, 49, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 11, 48, 1)), Refusal::surrounded_vote) << "(9,49) and (10,50) are held";
  EXPECT_EQ(sign(vote(1, 10, 51, 1)), Refusal::none);
}

TEST_P(StoreTest, AnImportNeverRaisesTheWatermarkAboveARecordHeld) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 5, 6, 1)), Refusal::none);
  import(interchange(record(1, R"({"slot":"50"})", R"({"source_epoch":"20","target_epoch":"30"})")));
  EXPECT_EQ(sign(block(1, 9, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 20, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 6, 7, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 8, 1)), Refusal::source_below_low_watermark);
}

TEST_P(StoreTest, AnOlderImportNeverLowersTheWatermark) {
  EXPECT_EQ(sign(block(1, 100, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 10, 11, 1)), Refusal::none);
  import(interchange(record(1, R"({"slot":"5"})", R"({"source_epoch":"1","target_epoch":"2"})")));
  EXPECT_EQ(sign(block(1, 50, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 9, 12, 1)), Refusal::source_below_low_watermark);
}

TEST_P(StoreTest, ImportWithRootsAllowsTheIdenticalMessageOnly) {
  import(
      interchange(record(1, R"({"slot":"15","signing_root":")" + to_hex(root(7)) + R"("})",
                         R"({"source_epoch":"5","target_epoch":"15","signing_root":")" + to_hex(root(8)) + R"("})")));
  EXPECT_EQ(sign(block(1, 15, 7)), Refusal::none);
  EXPECT_EQ(sign(block(1, 15, 6)), Refusal::double_block_proposal);
  EXPECT_EQ(sign(vote(1, 5, 15, 8)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 5, 15, 9)), Refusal::double_vote);
}

TEST_P(StoreTest, ImportingADifferentRootForAHeldMessageLeavesTheNullMarker) {
  EXPECT_EQ(sign(block(1, 15, 7)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 5, 15, 8)), Refusal::none);
  import(
      interchange(record(1, R"({"slot":"15","signing_root":")" + to_hex(root(6)) + R"("},{"slot":"16"})",
                         R"({"source_epoch":"5","target_epoch":"15","signing_root":")" + to_hex(root(9)) + R"("})")));
  EXPECT_EQ(sign(block(1, 15, 7)), Refusal::double_block_proposal) << "two roots known for slot 15: refuse both";
  EXPECT_EQ(sign(block(1, 15, 6)), Refusal::double_block_proposal);
  EXPECT_EQ(sign(vote(1, 5, 15, 8)), Refusal::double_vote);
  EXPECT_EQ(sign(block(1, 17, 1)), Refusal::none);
}

TEST_P(StoreTest, TheFirstImportBindsTheNetwork) {
  import(interchange(record(1, R"({"slot":"1"})", "")));
  EXPECT_EQ(check(store(), block(1, 2, 1), root(99)), Refusal::genesis_validators_root_mismatch);
  EXPECT_EQ(sign(block(1, 2, 1)), Refusal::none);
}

TEST_P(StoreTest, AnEmptyDatabaseHasNothingToExport) {
  auto r = store().export_interchange({});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::not_found);
}

TEST_P(StoreTest, SlotsAboveInt64AreInvalidArgumentNotSigned) {
  auto r = store().check_and_record_sync(kGvr, BlockProposal{key(1), ~0ull, root(1)});
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::invalid_argument);
  auto v = store().check_and_record_sync(kGvr, AttestationVote{key(1), 1, ~0ull, root(1)});
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(sign(block(1, 5, 1)), Refusal::none) << "one bad request does not fail its batch";
}

TEST_P(StoreTest, HealthyWhenTheDatabaseIsWritable) {
  EXPECT_TRUE(store().health().ok());
  EXPECT_EQ(store().backend_name(), backend_label(GetParam()));
}

// ---- batching -----------------------------------------------------------------------------

TEST_P(StoreTest, LaterRequestsInOneBatchSeeEarlierOnes) {
  store_.reset();
  StoreSettings settings;
  settings.max_batch_delay = std::chrono::milliseconds(300);  // the requests land in one batch
  store_ = db_->open(settings);
  ASSERT_NE(store_, nullptr);
  std::vector<std::promise<Result<Decision>>> answers(6);
  const std::vector<SignedMessage> messages = {
      vote(1, 1, 2, 1), block(1, 7, 1),   vote(1, 1, 2, 2),  // double vote against the first
      vote(1, 0, 3, 3),                                      // below the watermark the first one set
      vote(1, 2, 6, 4), vote(1, 3, 5, 5),                    // surrounded by the one before
  };
  for (std::size_t i = 0; i < messages.size(); ++i) {
    store_->check_and_record(kGvr, messages[i],
                             [&answers, i](Result<Decision> r) { answers[i].set_value(std::move(r)); });
  }
  std::vector<Refusal> got;
  for (auto& a : answers) {
    auto r = a.get_future().get();
    ASSERT_TRUE(r.ok()) << r.error().message;
    got.push_back(r->refusal);
  }
  EXPECT_EQ(got, (std::vector<Refusal>{Refusal::none, Refusal::none, Refusal::double_vote,
                                       Refusal::source_below_low_watermark, Refusal::none, Refusal::surrounded_vote}));
  // SQL stores commit a batch at once; DynamoDB has no transactions and commits one by one.
  if (GetParam() != Backend::dynamodb) {
    EXPECT_EQ(store_->stats().commits, 1u);
  }
  EXPECT_EQ(store_->stats().requests, 6u);
  EXPECT_EQ(sign(block(1, 7, 2)), Refusal::double_block_proposal) << "the batch was recorded";
  EXPECT_EQ(sign(vote(1, 2, 6, 9)), Refusal::double_vote);
}

TEST_P(StoreTest, ClosingAnswersEveryQueuedRequestAndKeepsThem) {
  store_.reset();
  std::atomic<int> allowed{0}, answered{0};
  {
    StoreSettings settings;
    settings.max_batch = 7;
    auto store = db_->open(settings);
    ASSERT_NE(store, nullptr);
    for (unsigned i = 0; i < 300; ++i) {
      store->check_and_record(kGvr, block(i % 3, 1 + i, i), [&](Result<Decision> r) {
        if (r.ok() && r->allowed()) ++allowed;
        ++answered;
      });
    }
  }
  EXPECT_EQ(answered.load(), 300);
  EXPECT_EQ(allowed.load(), 300);
  store_ = db_->open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(sign(block(0, 1, 9999)), Refusal::double_block_proposal) << "drained requests are durable";
  EXPECT_EQ(sign(block(2, 300, 9999)), Refusal::double_block_proposal);
}

// ---- persistence and network --------------------------------------------------------------

TEST_P(StoreTest, SignedMessagesStillRefuseConflictsAfterReopen) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 5, 9, 1)), Refusal::none);
  store_.reset();
  store_ = db_->open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(sign(block(1, 10, 2)), Refusal::double_block_proposal);
  EXPECT_EQ(sign(block(1, 9, 2)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 5, 9, 2)), Refusal::double_vote);
  EXPECT_EQ(sign(vote(1, 6, 8, 2)), Refusal::surrounded_vote);
  EXPECT_EQ(sign(vote(1, 4, 10, 2)), Refusal::surrounding_vote);
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 5, 9, 1)), Refusal::none);
  EXPECT_EQ(check(store(), block(1, 10, 1), root(5)), Refusal::genesis_validators_root_mismatch);
}

TEST_P(StoreTest, AConfiguredRootIsRecordedAndEnforcedAtOpen) {
  store_.reset();
  StoreSettings settings;
  settings.genesis_validators_root = kGvr;
  {
    auto store = db_->open(settings);
    ASSERT_NE(store, nullptr);
    EXPECT_EQ(check(*store, block(1, 1, 1), root(1)), Refusal::genesis_validators_root_mismatch);
  }
  settings.genesis_validators_root = root(1);
  auto other = db_->try_open(settings);
  ASSERT_FALSE(other.ok());
  EXPECT_EQ(other.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(other.error().message.find(to_hex(kGvr)), std::string::npos) << other.error().message;
}

INSTANTIATE_TEST_SUITE_P(Backends, StoreTest, ::testing::ValuesIn(all_backends()), backend_param_name);

}  // namespace
}  // namespace cc::slashing::test
