// `slashing watermark` and `slashing prune` against the SQLite database, as an operator runs
// them (signer stopped), then the real signer over HTTP: GET /api/v1/eth2/highWatermark, 412 at
// and above the high watermark naming the rule, raised low watermarks that are never lowered,
// and refusals that survive pruning.
#include <gtest/gtest.h>
#include <signal.h>

#include <boost/json.hpp>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

class WatermarkCli : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = make_temp_dir("watermark");
    keys_ = generate_keys(dir_, 1);
    ASSERT_EQ(keys_.size(), 1u);
    db_ = (dir_ / "data" / "slashing.sqlite").string();
  }
  void TearDown() override {
    signer_.reset();
    std::filesystem::remove_all(dir_);
  }

  // `slashing <args…> --anti-slashing-path <db>`: exit code and output.
  std::pair<int, std::string> slashing(std::vector<std::string> args) {
    std::vector<std::string> argv = {binary_path(), "slashing"};
    argv.insert(argv.end(), args.begin(), args.end());
    argv.insert(argv.end(), {"--anti-slashing-path", db_});
    return run_command(argv);
  }
  void start() {
    signer_ = std::make_unique<SignerInstance>(dir_);
    std::string error;
    ASSERT_TRUE(signer_->start(error)) << error;
  }
  void stop() {
    signer_->process().kill(SIGTERM);
    EXPECT_EQ(signer_->process().wait(std::chrono::seconds(20)), 0) << signer_->process().log();
    signer_.reset();
  }
  HttpResult sign(const std::string& body) { return signer_->client().post("/api/v1/eth2/sign/" + keys_[0], body); }

  std::filesystem::path dir_;
  std::vector<std::string> keys_;
  std::string db_;
  std::unique_ptr<SignerInstance> signer_;
};

std::string reason_of(const HttpResult& r) {
  auto v = boost::json::parse(r.body);
  const auto* reason = v.as_object().if_contains("reason");
  return reason != nullptr ? std::string(reason->as_string()) : "";
}

TEST_F(WatermarkCli, AHighWatermarkSetWhileStoppedRefusesAtAndAboveItUntilCleared) {
  auto [code, out] = slashing({"watermark", "set-high", "--epoch", "20", "--slot", "640"});
  ASSERT_EQ(code, 0) << out;
  start();
  auto mark = signer_->client().get("/api/v1/eth2/highWatermark");
  EXPECT_EQ(mark.status, 200u);
  EXPECT_EQ(boost::json::parse(mark.body), boost::json::parse(R"({"epoch":"20","slot":"640"})")) << mark.body;

  auto at = sign(block_header(640));
  EXPECT_EQ(at.status, 412u) << at.body;
  EXPECT_EQ(reason_of(at), "block_slot_at_or_above_high_watermark") << at.body;
  EXPECT_NE(at.body.find("clear-high"), std::string::npos) << "the message says how to lift it: " << at.body;
  EXPECT_EQ(sign(block_header(639)).status, 200u);
  auto vote_at = sign(attestation(19, 20));
  EXPECT_EQ(vote_at.status, 412u) << vote_at.body;
  EXPECT_EQ(reason_of(vote_at), "attestation_epoch_at_or_above_high_watermark") << vote_at.body;
  EXPECT_EQ(sign(attestation(18, 19)).status, 200u);
  EXPECT_EQ(sign(randao(25)).status, 200u) << "messages without slashing protection are not bounded";

  // The running signer holds the SQLite database: the command says so and changes nothing.
  auto [busy, busy_out] = slashing({"watermark", "clear-high"});
  EXPECT_NE(busy, 0);
  EXPECT_NE(busy_out.find("in use"), std::string::npos) << busy_out;
  stop();

  auto [cleared, cleared_out] = slashing({"watermark", "clear-high"});
  ASSERT_EQ(cleared, 0) << cleared_out;
  auto [shown, shown_out] = slashing({"watermark", "show"});
  EXPECT_EQ(shown, 0);
  EXPECT_NE(shown_out.find("high watermark: none"), std::string::npos) << shown_out;
  start();
  auto none = signer_->client().get("/api/v1/eth2/highWatermark");
  EXPECT_EQ(none.status, 200u);
  EXPECT_EQ(none.body, "{}");
  EXPECT_EQ(sign(block_header(640)).status, 200u);
  EXPECT_EQ(sign(attestation(19, 20)).status, 200u);
}

TEST_F(WatermarkCli, RaisingALowWatermarkRefusesBelowItAndLoweringIsRefused) {
  auto [code, out] =
      slashing({"watermark", "raise-low", "--pubkey", keys_[0], "--slot", "1000", "--target-epoch", "30"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("slot 1000"), std::string::npos) << out;
  auto [lower, lower_out] = slashing({"watermark", "raise-low", "--pubkey", keys_[0], "--slot", "500"});
  EXPECT_EQ(lower, 2);
  EXPECT_NE(lower_out.find("below the current one, 1000"), std::string::npos) << lower_out;
  auto [shown, shown_out] = slashing({"watermark", "show", "--pubkey", keys_[0]});
  EXPECT_EQ(shown, 0);
  EXPECT_NE(shown_out.find("slot 1000, source epoch none, target epoch 30"), std::string::npos) << shown_out;

  start();
  auto below = sign(block_header(1000));
  EXPECT_EQ(below.status, 412u);
  EXPECT_EQ(reason_of(below), "block_slot_at_or_below_low_watermark") << below.body;
  EXPECT_EQ(sign(block_header(1001)).status, 200u);
  EXPECT_EQ(reason_of(sign(attestation(29, 30))), "target_at_or_below_low_watermark");
  EXPECT_EQ(sign(attestation(30, 31)).status, 200u);
}

TEST_F(WatermarkCli, PruningKeepsEveryRefusal) {
  start();
  for (std::uint64_t e = 1; e <= 30; ++e) {
    ASSERT_EQ(sign(attestation(e - 1, e)).status, 200u) << e;
    ASSERT_EQ(sign(block_header(e * 32)).status, 200u) << e;
  }
  // Refused now; each must stay refused after pruning (the reason may change).
  const std::vector<std::string> refused = {attestation(9, 10, 77), attestation(5, 31),    attestation(27, 28, 77),
                                            block_header(320, 77),  block_header(960, 77), block_header(31)};
  for (const auto& body : refused) ASSERT_EQ(sign(body).status, 412u) << body;
  stop();

  auto [code, out] = slashing({"prune", "--keep-epochs", "5"});
  ASSERT_EQ(code, 0) << out;
  EXPECT_NE(out.find("deleted 24 blocks and 24 attestations of 1 keys"), std::string::npos) << out;
  auto [shown, shown_out] = slashing({"watermark", "show", "--pubkey", keys_[0]});
  EXPECT_NE(shown_out.find("slot 800, source epoch 24, target epoch 25"), std::string::npos) << shown_out;

  start();
  for (const auto& body : refused) EXPECT_EQ(sign(body).status, 412u) << body;
  EXPECT_EQ(sign(attestation(29, 30)).status, 200u) << "the newest vote re-signs as before";
  EXPECT_EQ(sign(attestation(30, 31)).status, 200u);
  EXPECT_EQ(sign(block_header(961)).status, 200u);
}

TEST(WatermarkCliHelp, ExplainsTheRulesAndWhenToRun) {
  auto [code, out] = run_command({binary_path(), "slashing", "watermark", "--help"});
  EXPECT_EQ(code, 0);
  for (const char* needle : {"set-high", "clear-high", "raise-low", "show", "never lowered", "SQLite", "PostgreSQL",
                             "block_slot_at_or_above_high_watermark", "/api/v1/eth2/highWatermark"}) {
    EXPECT_NE(out.find(needle), std::string::npos) << "slashing watermark --help does not mention " << needle;
  }
  auto [c2, prune] = run_command({binary_path(), "slashing", "prune", "--help"});
  EXPECT_EQ(c2, 0);
  for (const char* needle : {"--keep-epochs", "--config", "newest", "low watermarks", "signer stopped"}) {
    EXPECT_NE(prune.find(needle), std::string::npos) << "slashing prune --help does not mention " << needle;
  }
}

}  // namespace
}  // namespace cc::test
