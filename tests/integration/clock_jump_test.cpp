// Clock jumps staged for real: the signer runs under libfaketime (LD_PRELOAD), whose wall clock the
// test moves a year back and ten years forward while the signer is running, the way an NTP step,
// a VM restored from a snapshot or a mis-set host clock would. CLOCK_MONOTONIC is left alone
// (FAKETIME_DONT_FAKE_MONOTONIC), as the kernel leaves it alone on settimeofday().
//
// After every jump: the signer stays healthy, signs what is safe, refuses what is slashable, the
// per-request deadline (30 s, measured on the monotonic clock) does not fire, and after a restart
// under the jumped clock the history is intact.
#include <gtest/gtest.h>

#include <cstdlib>
#include <ctime>
#include <fstream>

#include "requests.hpp"
#include "server_fixture.hpp"

namespace cc::test {
namespace {

constexpr const char* kLibFaketime = "/usr/lib/x86_64-linux-gnu/faketime/libfaketimeMT.so.1";

class ClockJump : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists(kLibFaketime)) GTEST_SKIP() << kLibFaketime << " missing (scripts/setup.sh installs faketime)";
    dir_ = make_temp_dir("clock-jump");
    keys_ = generate_keys(dir_, 2);
    ASSERT_EQ(keys_.size(), 2u);
    offset_file_ = dir_ / "faketime";
    jump("+0");
  }

  // Moves the signer's wall clock to `offset` from the real time ("-365d", "+3650d").
  void jump(const std::string& offset) {
    std::ofstream(offset_file_, std::ios::trunc) << offset << "\n";
  }

  std::unique_ptr<SignerInstance> start() {
    std::vector<std::string> env{std::string("LD_PRELOAD=") + kLibFaketime,
                                 "FAKETIME_TIMESTAMP_FILE=" + offset_file_.string(), "FAKETIME_NO_CACHE=1",
                                 "FAKETIME_DONT_FAKE_MONOTONIC=1", "FAKETIME_DONT_RESET=1"};
#if defined(__SANITIZE_ADDRESS__)
    // An ASan build (scripts/sanitize.sh) insists on coming first among the preloaded libraries.
    const char* asan = std::getenv("ASAN_OPTIONS");
    env.push_back(std::string("ASAN_OPTIONS=") + (asan ? std::string(asan) + ":" : "") + "verify_asan_link_order=0");
#endif
    auto signer = std::make_unique<SignerInstance>(dir_, std::vector<std::string>{}, std::move(env));
    std::string error;
    EXPECT_TRUE(signer->start(error)) << error;
    return signer;
  }

  // "YYYY-MM-DD" of the real time moved by `days`, as the signer's log lines start.
  static std::string day_of(int days) {
    const std::time_t t = std::time(nullptr) + static_cast<std::time_t>(days) * 86400;
    std::tm tm{};
    localtime_r(&t, &tm);
    char buf[16];
    std::strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
    return buf;
  }

  // Asks for a key reload, which logs a line, and looks for `day` in the log: proof that the
  // signer's wall clock moved.
  static bool saw_date(SignerInstance& signer, HttpClient& http, const std::string& day) {
    EXPECT_EQ(http.post("/reload", "").status, 202);
    return signer.process().wait_for_log(day, std::chrono::seconds(5));
  }

  std::filesystem::path dir_;
  std::filesystem::path offset_file_;
  std::vector<std::string> keys_;
};

TEST_F(ClockJump, BackAndForthWhileRunningAndAcrossARestart) {
  auto signer = start();
  auto http = signer->client();
  const std::string& key = keys_[0];
  const std::string sign = "/api/v1/eth2/sign/" + key;

  ASSERT_EQ(http.post(sign, attestation(10, 11, 1)).status, 200);
  ASSERT_EQ(http.post(sign, block_header(400)).status, 200);

  // A year back: the database's newest record now lies "in the future"; nothing about that matters.
  jump("-365d");
  EXPECT_EQ(http.post(sign, attestation(11, 12, 1)).status, 200);
  EXPECT_EQ(http.post(sign, attestation(11, 12, 9)).status, 412) << "double vote after a backward jump";
  EXPECT_TRUE(saw_date(*signer, http, day_of(-365))) << "the signer's log should carry the jumped date " << day_of(-365);
  EXPECT_EQ(http.post(sign, attestation(9, 13, 1)).status, 412) << "surround vote after a backward jump";
  EXPECT_EQ(http.post(sign, block_header(400, 9)).status, 412) << "double proposal after a backward jump";
  EXPECT_EQ(http.post(sign, block_header(401)).status, 200);
  EXPECT_EQ(http.get("/healthcheck").status, 200);

  // Ten years forward: a 30 s deadline read from the wall clock would drop every request now.
  jump("+3650d");
  EXPECT_EQ(http.post(sign, attestation(12, 13, 1)).status, 200) << "the deadline must run on the monotonic clock";
  EXPECT_EQ(http.post(sign, attestation(12, 13, 9)).status, 412);
  EXPECT_TRUE(saw_date(*signer, http, day_of(3650))) << "the signer's log should carry the jumped date " << day_of(3650);
  EXPECT_EQ(http.post(sign, block_header(401, 9)).status, 412);
  EXPECT_EQ(http.post("/api/v1/eth2/sign/" + keys_[1], randao(5)).status, 200);
  EXPECT_EQ(http.get("/healthcheck").status, 200);

  // Restarted with the clock back at the real time: the history recorded "in the future" holds.
  signer.reset();
  jump("+0");
  signer = start();
  auto again = signer->client();
  EXPECT_EQ(again.post(sign, attestation(12, 13, 9)).status, 412);
  EXPECT_EQ(again.post(sign, attestation(11, 12, 9)).status, 412);
  EXPECT_EQ(again.post(sign, block_header(401, 9)).status, 412);
  EXPECT_EQ(again.post(sign, attestation(12, 13, 1)).status, 200) << "the identical message is signed again";
  EXPECT_EQ(again.post(sign, attestation(13, 14, 1)).status, 200);
}

}  // namespace
}  // namespace cc::test
