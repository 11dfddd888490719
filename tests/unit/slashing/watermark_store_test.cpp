// Watermarks and pruning through the store API, on every backend: the global high watermark
// (refusals, clearing, persistence), an operator raising a key's low watermarks (never lowering
// one), export carrying a raised watermark, and pruning, whose promise is attacked with random
// histories: every request a history refused before pruning is still refused after it.
#include <gtest/gtest.h>

#include <future>
#include <random>

#include "history_model.hpp"
#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

class WatermarkStoreTest : public BackendStoreTest {
 protected:
  std::optional<HighWatermark> high() {
    auto h = store_->high_watermark();
    EXPECT_TRUE(h.ok()) << h.error().message;
    return h.ok() ? *h : std::nullopt;
  }
  LowWatermarks low(unsigned k) {
    auto w = store_->low_watermarks(key(k));
    EXPECT_TRUE(w.ok()) << w.error().message;
    return w.ok() ? *w : LowWatermarks{};
  }
  // Exports this store and imports the file into an empty database of the same backend.
  struct Copy {
    std::string doc;
    std::unique_ptr<TestDatabase> db;
    std::unique_ptr<SlashingStore> store;
  };
  Copy export_into_fresh_database() {
    Copy c;
    auto doc = store().export_interchange({});
    EXPECT_TRUE(doc.ok()) << doc.error().message;
    if (!doc.ok()) return c;
    c.doc = *doc;
    c.db = make_database(GetParam());
    c.store = c.db->open();
    if (c.store != nullptr) {
      EXPECT_TRUE(c.store->import_interchange(c.doc).ok()) << c.doc;
    }
    return c;
  }
  PruneReport prune(std::uint64_t keep_epochs) {
    auto r = store_->prune(keep_epochs);
    EXPECT_TRUE(r.ok()) << r.error().message;
    return r.ok() ? *r : PruneReport{};
  }
};

std::string one_vote_interchange(unsigned k, const PriorVote& v) {
  std::string vote = R"({"source_epoch":")" + std::to_string(v.source_epoch) + R"(","target_epoch":")" +
                     std::to_string(v.target_epoch) + "\"";
  if (v.signing_root) vote += R"(,"signing_root":")" + to_hex(*v.signing_root) + "\"";
  return R"({"metadata":{"interchange_format_version":"5","genesis_validators_root":")" + to_hex(kGvr) +
         R"("},"data":[{"pubkey":")" + to_hex(key(k)) + R"(","signed_blocks":[],"signed_attestations":[)" + vote +
         "}]}]}";
}

// ---- the high watermark -------------------------------------------------------------------

TEST_P(WatermarkStoreTest, NoHighWatermarkUntilOneIsSetAndClearingRemovesIt) {
  EXPECT_EQ(high(), std::nullopt);
  ASSERT_TRUE(store().set_high_watermark(HighWatermark{100, 3200}).ok());
  EXPECT_EQ(high(), (HighWatermark{100, 3200}));
  ASSERT_TRUE(store().set_high_watermark(HighWatermark{90, 3000}).ok()) << "it may move down as well as up";
  EXPECT_EQ(high(), (HighWatermark{90, 3000}));
  ASSERT_TRUE(store().set_high_watermark(std::nullopt).ok());
  EXPECT_EQ(high(), std::nullopt);
  ASSERT_TRUE(store().set_high_watermark(std::nullopt).ok()) << "clearing nothing is fine";
}

TEST_P(WatermarkStoreTest, AHighWatermarkRefusesEveryKeyAtOrAboveItUntilCleared) {
  EXPECT_EQ(sign(block(1, 100, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 3, 4, 1)), Refusal::none);
  ASSERT_TRUE(store().set_high_watermark(HighWatermark{10, 320}).ok());

  auto d = store().check_and_record_sync(kGvr, block(1, 320, 1));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->refusal, Refusal::block_slot_at_or_above_high_watermark);
  EXPECT_NE(d->detail.find("clear-high"), std::string::npos) << d->detail;
  EXPECT_EQ(sign(block(2, 5000, 1)), Refusal::block_slot_at_or_above_high_watermark) << "every key, known or not";
  EXPECT_EQ(sign(vote(1, 4, 10, 1)), Refusal::attestation_epoch_at_or_above_high_watermark);
  EXPECT_EQ(sign(vote(1, 10, 11, 1)), Refusal::attestation_epoch_at_or_above_high_watermark);
  EXPECT_EQ(sign(block(1, 319, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 4, 9, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 100, 1)), Refusal::none) << "an identical repeat below it is still fine";

  // Durable: a reopened store (a restarted signer) still refuses.
  store_.reset();
  store_ = db_->open();
  ASSERT_NE(store_, nullptr);
  EXPECT_EQ(high(), (HighWatermark{10, 320}));
  EXPECT_EQ(sign(block(1, 320, 1)), Refusal::block_slot_at_or_above_high_watermark);
  ASSERT_TRUE(store().set_high_watermark(std::nullopt).ok());
  EXPECT_EQ(sign(block(1, 320, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 10, 11, 1)), Refusal::none);
}

TEST_P(WatermarkStoreTest, AHighWatermarkAboveInt64IsInvalidAndChangesNothing) {
  ASSERT_TRUE(store().set_high_watermark(HighWatermark{5, 160}).ok());
  auto st = store().set_high_watermark(HighWatermark{~0ull, 1});
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(high(), (HighWatermark{5, 160}));
}

// ---- raising low watermarks ---------------------------------------------------------------

TEST_P(WatermarkStoreTest, RaisedLowWatermarksRefuseWhatIsBelowThem) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 3, 1)), Refusal::none);
  ASSERT_TRUE(store().raise_low_watermark(key(1), 50, 20, 21).ok());
  EXPECT_EQ(low(1), (LowWatermarks{50, 20, 21}));
  EXPECT_EQ(sign(block(1, 49, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 50, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 51, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 19, 30, 1)), Refusal::source_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 20, 21, 1)), Refusal::target_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 20, 22, 1)), Refusal::none);
}

TEST_P(WatermarkStoreTest, LoweringAWatermarkIsAnErrorNamingTheCurrentValueAndChangesNothing) {
  ASSERT_TRUE(store().raise_low_watermark(key(1), 50, 20, 21).ok());
  auto st = store().raise_low_watermark(key(1), 60, std::nullopt, 7);
  ASSERT_FALSE(st.ok());
  EXPECT_EQ(st.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(st.error().message.find("target epoch 7 is below the current one, 21"), std::string::npos)
      << st.error().message;
  EXPECT_EQ(low(1), (LowWatermarks{50, 20, 21})) << "the valid slot was not written either";
  EXPECT_FALSE(store().raise_low_watermark(key(1), std::nullopt, std::nullopt, std::nullopt).ok());
  EXPECT_TRUE(store().raise_low_watermark(key(1), 50, std::nullopt, std::nullopt).ok()) << "equal is not lower";
}

TEST_P(WatermarkStoreTest, RaisingAWatermarkOfAnUnknownKeyProtectsItBeforeItsFirstSignature) {
  EXPECT_EQ(low(7), LowWatermarks{});
  ASSERT_TRUE(store().raise_low_watermark(key(7), 1000, std::nullopt, 40).ok());
  EXPECT_EQ(low(7), (LowWatermarks{1000, std::nullopt, 40}));
  EXPECT_EQ(sign(block(7, 999, 1)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(7, 3, 40, 1)), Refusal::target_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(7, 3, 41, 1)), Refusal::none);
  EXPECT_EQ(low(7), (LowWatermarks{1000, 3, 40})) << "the first vote set only the missing source watermark";
}

TEST_P(WatermarkStoreTest, AnExportCarriesAWatermarkRaisedAboveEveryRecord) {
  EXPECT_EQ(sign(block(1, 10, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 90, 1)), Refusal::none);
  EXPECT_EQ(sign(vote(1, 2, 3, 1)), Refusal::none);
  ASSERT_TRUE(store().raise_low_watermark(key(1), 100, 30, 31).ok());
  auto copy = export_into_fresh_database();
  ASSERT_NE(copy.store, nullptr);
  auto& fresh = copy.store;
  const auto* doc = &copy.doc;
  EXPECT_EQ(check(*fresh, block(1, 90, 2)), Refusal::block_slot_at_or_below_low_watermark) << *doc;
  EXPECT_EQ(check(*fresh, block(1, 100, 2)), Refusal::double_block_proposal);
  EXPECT_EQ(check(*fresh, vote(1, 29, 40, 2)), Refusal::source_below_low_watermark);
  EXPECT_EQ(check(*fresh, vote(1, 30, 31, 2)), Refusal::double_vote);
  EXPECT_EQ(check(*fresh, block(1, 101, 2)), Refusal::none);
  EXPECT_EQ(check(*fresh, vote(1, 30, 32, 2)), Refusal::none);
}

// ---- pruning ------------------------------------------------------------------------------

TEST_P(WatermarkStoreTest, PruningDeletesOldHistoryKeepsTheNewestAndRaisesTheWatermarks) {
  for (std::uint64_t e = 1; e <= 20; ++e) {
    ASSERT_EQ(sign(vote(1, e - 1, e, 1)), Refusal::none);
    ASSERT_EQ(sign(block(1, e * 32, 1)), Refusal::none);
  }
  ASSERT_EQ(sign(vote(2, 5, 6, 1)), Refusal::none);  // a short history: nothing to prune
  const auto report = prune(5);
  EXPECT_EQ(report.keys_pruned, 1u);
  EXPECT_EQ(report.attestations_deleted, 14u) << "targets 1..14 are below 20 - 5";
  EXPECT_EQ(report.blocks_deleted, 14u) << "slots 32..448 are below 640 - 160";
  EXPECT_EQ(low(1), (LowWatermarks{15 * 32, 14, 15}));
  EXPECT_EQ(low(2), (LowWatermarks{std::nullopt, 5, 6}));
  EXPECT_EQ(sign(vote(1, 13, 16, 2)), Refusal::source_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 14, 14, 2)), Refusal::target_at_or_below_low_watermark);
  EXPECT_EQ(sign(block(1, 14 * 32, 2)), Refusal::block_slot_at_or_below_low_watermark);
  EXPECT_EQ(sign(vote(1, 14, 15, 1)), Refusal::none) << "the oldest kept record re-signs as before";
  EXPECT_EQ(sign(vote(1, 19, 20, 2)), Refusal::double_vote);
  EXPECT_EQ(sign(vote(1, 20, 21, 1)), Refusal::none);

  const auto again = prune(0);
  EXPECT_EQ(again.attestations_deleted, 6u) << "keep 0: only the newest target (21) stays";
  EXPECT_EQ(again.blocks_deleted, 5u);
  EXPECT_EQ(sign(vote(1, 20, 21, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 20 * 32, 1)), Refusal::none);
  EXPECT_EQ(sign(block(1, 20 * 32, 2)), Refusal::double_block_proposal);
  EXPECT_EQ(prune(0).attestations_deleted + prune(0).blocks_deleted, 0u);
}

TEST_P(WatermarkStoreTest, PruningAnEmptyDatabaseDeletesNothing) {
  const auto report = prune(0);
  EXPECT_EQ(report.keys_pruned + report.blocks_deleted + report.attestations_deleted, 0u);
}

// ---- random histories ------------------------------------------------------------------------

constexpr unsigned kKeys = 6;
constexpr std::uint64_t kEpochs = 14, kSlots = kEpochs * kSlotsPerEpoch;

class RandomHistoryTest : public WatermarkStoreTest {
 protected:
  std::uint64_t below(std::uint64_t n) { return static_cast<std::uint64_t>(rng_() % n); }

  // A fresh database holding a random history per key (signed messages, and now and then an
  // imported vote that may be slashable, as an interchange file may carry), mirrored in the
  // reference model. Keys below `signed_only` get signed messages only.
  std::vector<History> grow_histories(int round, unsigned signed_only = 0) {
    db_ = make_database(GetParam());
    store_ = db_->open();
    EXPECT_NE(store_, nullptr);
    std::vector<History> models(kKeys);
    for (unsigned k = 0; k < kKeys; ++k) {
      auto& model = models[k];
      for (std::uint64_t i = 0, n = 5 + below(20); i < n; ++i) {
        const auto source = below(kEpochs);
        const auto target = source + below(kEpochs - source);
        const unsigned r = static_cast<unsigned>(below(2));
        if (below(8) == 0 && k >= signed_only) {
          const PriorVote imported{source, target, below(2) == 0 ? RecordedRoot{} : RecordedRoot(root(r))};
          EXPECT_TRUE(store().import_interchange(one_vote_interchange(k, imported)).ok());
          model.import_vote(imported);
        } else if (below(2) == 0) {
          const AttestationVote m{key(k), source, target, root(r)};
          EXPECT_EQ(sign(m) == Refusal::none, model.sign(m)) << "round " << round << " key " << k;
        } else {
          const BlockProposal m{key(k), below(kSlots), root(r)};
          EXPECT_EQ(sign(m) == Refusal::none, model.sign(m)) << "round " << round << " key " << k;
        }
      }
    }
    return models;
  }

  // Sends `into` every request of a grid that `history` refuses, all at once (a refusal records
  // nothing, so the answers are independent of their order unless one is wrongly allowed), and
  // fails for each one `into` allows. Returns how many were sent.
  std::uint64_t expect_refused(SlashingStore& into, const std::vector<History>& history, const std::string& context) {
    std::vector<std::pair<std::string, std::future<Result<Decision>>>> answers;
    auto probe = [&](const SignedMessage& m, std::string what) {
      auto promise = std::make_shared<std::promise<Result<Decision>>>();
      answers.emplace_back(std::move(what), promise->get_future());
      into.check_and_record(kGvr, m, [promise](Result<Decision> r) { promise->set_value(std::move(r)); });
    };
    for (unsigned k = 0; k < kKeys; ++k) {
      for (std::uint64_t slot = 0; slot < kSlots + 4; ++slot) {
        for (unsigned r = 0; r < 2; ++r) {
          const BlockProposal m{key(k), slot, root(r)};
          if (!history[k].judge(m).decision.allowed()) {
            probe(m, "key " + std::to_string(k) + " block " + std::to_string(slot) + " root " + std::to_string(r));
          }
        }
      }
      for (std::uint64_t s = 0; s < kEpochs + 1; ++s) {
        for (std::uint64_t t = s; t < kEpochs + 1; ++t) {
          for (unsigned r = 0; r < 2; ++r) {
            const AttestationVote m{key(k), s, t, root(r)};
            if (!history[k].judge(m).decision.allowed()) {
              probe(m, "key " + std::to_string(k) + " vote (" + std::to_string(s) + ", " + std::to_string(t) +
                           ") root " + std::to_string(r));
            }
          }
        }
      }
    }
    for (auto& [what, answer] : answers) {
      auto r = answer.get();
      EXPECT_TRUE(r.ok()) << r.error().message;
      if (r.ok()) {
        EXPECT_FALSE(r->allowed()) << context << ": " << what << " was refused before and allowed after";
      }
    }
    return answers.size();
  }

  std::mt19937_64 rng_{20240917 + static_cast<unsigned>(GetParam())};
};

// After pruning, the store's watermarks and deletions must be the model's, and every request of
// a grid the unpruned history refused must still be refused.
TEST_P(RandomHistoryTest, PruningNeverMakesARefusedRequestAcceptable) {
  std::uint64_t deleted = 0, probed = 0;
  for (int round = 0; round < 4; ++round) {
    auto models = grow_histories(round);
    ASSERT_FALSE(HasFailure());
    const std::vector<History> before = models;
    const std::uint64_t keep = below(6);
    const auto report = prune(keep);
    std::uint64_t model_blocks = 0, model_votes = 0;
    for (unsigned k = 0; k < kKeys; ++k) {
      models[k].prune(keep);
      model_blocks += before[k].blocks.size() - models[k].blocks.size();
      model_votes += before[k].votes.size() - models[k].votes.size();
      EXPECT_EQ(low(k), (LowWatermarks{models[k].low_slot, models[k].low_source, models[k].low_target}))
          << "round " << round << " key " << k;
    }
    EXPECT_EQ(report.blocks_deleted, model_blocks) << "round " << round;
    EXPECT_EQ(report.attestations_deleted, model_votes) << "round " << round;
    deleted += model_blocks + model_votes;
    probed += expect_refused(store(), before, "round " + std::to_string(round) + " (keep " + std::to_string(keep) + ")");
  }
  EXPECT_GT(deleted, 50u) << "the histories must be long enough for pruning to delete";
  EXPECT_GT(probed, 1000u);
}

// Export, then import into an empty database: the importer must refuse every request the
// original refuses, whatever the history (slashable imports, watermarks an operator raised);
// a second export/import hop changes nothing; a history made only by signing arrives with
// exactly its watermarks and records (so every later request is decided alike).
TEST_P(RandomHistoryTest, ExportThenImportRefusesEverythingTheOriginalRefuses) {
  std::uint64_t probed = 0, raised_keys = 0, exact_keys = 0;
  for (int round = 0; round < 4; ++round) {
    auto models = grow_histories(round, 2);
    ASSERT_FALSE(HasFailure());
    std::vector<bool> raised(kKeys, false);
    for (unsigned k = 1; k < kKeys; ++k) {  // key 0: signed only, never raised
      if (below(2) == 0) continue;
      auto& m = models[k];
      auto up = [&](const std::optional<std::uint64_t>& now, std::uint64_t span) -> std::optional<std::uint64_t> {
        if (below(3) == 0) return std::nullopt;  // leave this one
        return now.value_or(0) + below(span);
      };
      const auto slot = up(m.low_slot, kSlots / 2);
      const auto source = up(m.low_source, kEpochs / 2);
      const auto target = up(m.low_target, kEpochs / 2);
      if (!slot && !source && !target) continue;
      ASSERT_TRUE(store().raise_low_watermark(key(k), slot, source, target).ok());
      if (slot) m.low_slot = slot;
      if (source) m.low_source = source;
      if (target) m.low_target = target;
      raised[k] = true;
      ++raised_keys;
    }
    auto copy = export_into_fresh_database();
    ASSERT_NE(copy.store, nullptr);
    auto& fresh = copy.store;
    const auto* doc = &copy.doc;
    for (unsigned k = 0; k < kKeys; ++k) {
      auto original = store().export_interchange({key(k)});
      auto again = fresh->export_interchange({key(k)});
      ASSERT_TRUE(original.ok() && again.ok());
      EXPECT_EQ(*again, *original) << "round " << round << " key " << k << ": a second hop must change nothing";
      if (raised[k] || models[k].imports > 0) continue;
      auto w = fresh->low_watermarks(key(k));
      ASSERT_TRUE(w.ok());
      EXPECT_EQ(*w, (LowWatermarks{models[k].low_slot, models[k].low_source, models[k].low_target}))
          << "round " << round << " key " << k << " (signed history only: it must arrive exactly)\n" << *doc;
      ++exact_keys;
    }
    probed += expect_refused(*fresh, models, "round " + std::to_string(round) + " export/import");
  }
  EXPECT_GT(raised_keys, 4u);
  EXPECT_GE(exact_keys, 4u);
  EXPECT_GT(probed, 1000u);
}

INSTANTIATE_TEST_SUITE_P(Backends, RandomHistoryTest, ::testing::ValuesIn(all_backends()), backend_param_name);

INSTANTIATE_TEST_SUITE_P(Backends, WatermarkStoreTest, ::testing::ValuesIn(all_backends()), backend_param_name);

}  // namespace
}  // namespace cc::slashing::test
