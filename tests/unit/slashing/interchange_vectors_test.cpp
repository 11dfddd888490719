// The official EIP-3076 interchange test suite (eth-clients/slashing-protection-interchange-tests
// v5.3.0), read in place from $CC_VECTORS_DIR (or the CC_VECTORS_DIR compile definition), run
// against every backend.
//
// Procedure (REFERENCE.md B.5): per file, a fresh database bound to the file's
// genesis_validators_root; per step, import, then attempt every block and attestation in order
// (successful ones are recorded). Import must succeed or fail exactly as the step says (our
// stores import slashable data rather than reject it, which the suite allows). Every check is
// judged against should_succeed_complete in both directions: a refusal where the suite allows is
// a failure as much as an allowance where it refuses. Failures name the file, step and check.
#include <gtest/gtest.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "core/json.hpp"
#include "store_backends.hpp"

namespace cc::slashing::test {
namespace {

std::filesystem::path suite_dir() {
  const char* env = std::getenv("CC_VECTORS_DIR");
  const std::filesystem::path base = env != nullptr && *env != '\0' ? env : CC_VECTORS_DIR;
  return base / "eip3076-interchange-v5.3.0" / "tests" / "generated";
}

std::vector<std::string> suite_files() {
  std::vector<std::string> files;
  std::error_code ec;
  for (const auto& e : std::filesystem::directory_iterator(suite_dir(), ec)) {
    if (e.path().extension() == ".json") files.push_back(e.path().filename().string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

struct FileResult {
  unsigned steps = 0;
  unsigned checks = 0;
  unsigned matched_complete = 0;  // outcome == should_succeed_complete
  std::vector<std::string> failures;
};

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

FileResult run_file(Backend backend, const std::filesystem::path& file) {
  FileResult result;
  const auto doc = json::parse(read_file(file));
  const json::Object top(doc, "");
  StoreSettings settings;
  settings.genesis_validators_root = top.bytes<32>("genesis_validators_root");
  auto db = make_database(backend);
  auto store = db->open(settings);
  if (!store) {
    result.failures.push_back("cannot open a database");
    return result;
  }
  const Root gvr = *settings.genesis_validators_root;

  const auto& steps = top.array("steps");
  for (std::size_t s = 0; s < steps.size(); ++s) {
    const json::Object step(steps[s], json::index_path("steps", s));
    ++result.steps;
    const auto imported = store->import_interchange(boost::json::serialize(step.at("interchange")));
    const bool should_succeed = step.boolean("should_succeed");
    if (!imported.ok() && should_succeed) {
      result.failures.push_back(step.path() + ": import failed: " + imported.error().message);
    }
    if (imported.ok() && !should_succeed) result.failures.push_back(step.path() + ": import should have failed");

    auto judge = [&](const json::Object& c, const SignedMessage& m, const std::string& what) {
      ++result.checks;
      const bool complete = c.boolean("should_succeed_complete");
      auto d = store->check_and_record_sync(gvr, m);
      if (!d.ok()) {
        result.failures.push_back(c.path() + " " + what + ": store error " + d.error().message);
      } else if (d->allowed() == complete) {
        ++result.matched_complete;
      } else {
        result.failures.push_back(c.path() + " " + what + ": " + (d->allowed() ? "allowed" : d->detail) +
                                  ", expected " + (complete ? "allowed" : "refused"));
      }
    };
    auto root_of = [](const json::Object& c) { return c.has("signing_root") ? c.bytes<32>("signing_root") : Root{}; };
    const auto& blocks = step.array("blocks");
    for (std::size_t i = 0; i < blocks.size(); ++i) {
      const json::Object b(blocks[i], json::index_path(step.field("blocks"), i));
      judge(b, BlockProposal{b.bytes<48>("pubkey"), b.u64("slot"), root_of(b)},
            "block slot " + std::to_string(b.u64("slot")));
    }
    const auto& atts = step.array("attestations");
    for (std::size_t i = 0; i < atts.size(); ++i) {
      const json::Object a(atts[i], json::index_path(step.field("attestations"), i));
      judge(a, AttestationVote{a.bytes<48>("pubkey"), a.u64("source_epoch"), a.u64("target_epoch"), root_of(a)},
            "attestation " + std::to_string(a.u64("source_epoch")) + "->" + std::to_string(a.u64("target_epoch")));
    }
  }
  return result;
}

using VectorParam = std::tuple<Backend, std::string>;

class Eip3076Vector : public ::testing::TestWithParam<VectorParam> {};

TEST_P(Eip3076Vector, MatchesCompleteExpectations) {
  const auto& [backend, file] = GetParam();
  CC_REQUIRE_BACKEND(backend);
  if (file == "suite-absent") GTEST_SKIP() << "EIP-3076 test suite not found at " << suite_dir();
  const auto r = run_file(backend, suite_dir() / file);
  for (const auto& f : r.failures) ADD_FAILURE() << backend_label(backend) << " " << file << ": " << f;
  EXPECT_GT(r.checks + r.steps, 0u);
  std::printf("[ eip-3076 ] %s %s: %u steps, %u/%u checks match should_succeed_complete\n",
              backend_label(backend).c_str(), file.c_str(), r.steps, r.matched_complete, r.checks);
}

std::vector<std::string> files_or_absent() {
  auto files = suite_files();
  if (files.empty()) files.push_back("suite-absent");
  return files;
}

std::string vector_name(const ::testing::TestParamInfo<VectorParam>& info) {
  const auto& file = std::get<1>(info.param);
  std::string name = backend_label(std::get<0>(info.param)) + "_" + file.substr(0, file.find('.'));
  std::replace(name.begin(), name.end(), '-', '_');
  return name;
}

INSTANTIATE_TEST_SUITE_P(Eip3076, Eip3076Vector,
                         ::testing::Combine(::testing::ValuesIn(all_backends()),
                                            ::testing::ValuesIn(files_or_absent())),
                         vector_name);

// The whole suite at once per backend: counts, so a vanished file or check cannot go unnoticed.
class Eip3076Suite : public ::testing::TestWithParam<Backend> {};

TEST_P(Eip3076Suite, AllFilesAndChecksMatchCompleteExpectations) {
  CC_REQUIRE_BACKEND(GetParam());
  const auto files = suite_files();
  if (files.empty()) GTEST_SKIP() << "EIP-3076 test suite not found at " << suite_dir();
  FileResult total;
  for (const auto& f : files) {
    const auto r = run_file(GetParam(), suite_dir() / f);
    total.steps += r.steps;
    total.checks += r.checks;
    total.matched_complete += r.matched_complete;
    for (const auto& failure : r.failures) total.failures.push_back(f + ": " + failure);
  }
  EXPECT_EQ(files.size(), 38u);
  EXPECT_EQ(total.steps, 49u);
  EXPECT_EQ(total.checks, 150u) << "71 block and 79 attestation checks";
  EXPECT_EQ(total.matched_complete, total.checks);
  EXPECT_EQ(total.failures.size(), 0u);
  for (const auto& failure : total.failures) ADD_FAILURE() << failure;
  std::printf("[ eip-3076 ] %s: %zu files, %u steps, %u checks: %u match should_succeed_complete\n",
              backend_label(GetParam()).c_str(), files.size(), total.steps, total.checks, total.matched_complete);
}

INSTANTIATE_TEST_SUITE_P(Backends, Eip3076Suite, ::testing::ValuesIn(all_backends()), backend_param_name);

}  // namespace
}  // namespace cc::slashing::test
