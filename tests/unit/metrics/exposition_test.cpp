// The text exposition format 0.0.4: exact output for known input, escaping, special values,
// histogram lines, and the rules a Prometheus server applies (checked by a strict reader).
#include "metrics/exposition.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "../../support/exposition_reader.hpp"
#include "metrics/registry.hpp"

namespace cc::metrics {
namespace {

TEST(Exposition, CounterAndGaugeLinesAreExact) {
  FamilySnapshot requests{"demo_requests_total", "Requests by status", Type::counter, {"status", "operation"}, {}, {}};
  requests.add({"200", "ATTESTATION"}, 3).add({"412", "BLOCK_V2"}, 1);
  FamilySnapshot up{"demo_up", "1 when up", Type::gauge, {}, {}, {}};
  up.add({}, 1);
  const std::vector<FamilySnapshot> families{requests, up};
  EXPECT_EQ(write_text(families),
            "# HELP demo_requests_total Requests by status\n"
            "# TYPE demo_requests_total counter\n"
            "demo_requests_total{status=\"200\",operation=\"ATTESTATION\"} 3\n"
            "demo_requests_total{status=\"412\",operation=\"BLOCK_V2\"} 1\n"
            "# HELP demo_up 1 when up\n"
            "# TYPE demo_up gauge\n"
            "demo_up 1\n");
}

TEST(Exposition, HistogramHasCumulativeBucketsInfSumAndCount) {
  Histogram h({0.1, 1, 2.5});
  for (double v : {0.0625, 0.1, 0.5, 3.0, 100.0}) h.observe(v);  // 0.1 is in le="0.1"
  FamilySnapshot f{"demo_seconds", "Latency", Type::histogram, {"operation"}, {0.1, 1, 2.5}, {}};
  SeriesSnapshot s;
  s.label_values = {"ATTESTATION"};
  s.histogram = h.snapshot();
  f.series.push_back(s);
  EXPECT_EQ(write_text(std::vector<FamilySnapshot>{f}),
            "# HELP demo_seconds Latency\n"
            "# TYPE demo_seconds histogram\n"
            "demo_seconds_bucket{operation=\"ATTESTATION\",le=\"0.1\"} 2\n"
            "demo_seconds_bucket{operation=\"ATTESTATION\",le=\"1\"} 3\n"
            "demo_seconds_bucket{operation=\"ATTESTATION\",le=\"2.5\"} 3\n"
            "demo_seconds_bucket{operation=\"ATTESTATION\",le=\"+Inf\"} 5\n"
            "demo_seconds_sum{operation=\"ATTESTATION\"} 103.6625\n"
            "demo_seconds_count{operation=\"ATTESTATION\"} 5\n");
}

TEST(Exposition, HistogramWithoutLabelsPutsLeAlone) {
  Registry r;
  r.histogram("demo_load_seconds", "Load", {}, {1}).get().observe(0.5);
  EXPECT_NE(r.expose().find("demo_load_seconds_bucket{le=\"1\"} 1\n"), std::string::npos) << r.expose();
  EXPECT_NE(r.expose().find("demo_load_seconds_sum 0.5\n"), std::string::npos);
}

TEST(Exposition, LabelValuesEscapeBackslashQuoteAndNewline) {
  EXPECT_EQ(escape_label_value(R"(a\b"c)"
                               "\n"
                               "d"),
            R"(a\\b\"c\nd)");
  EXPECT_EQ(escape_help("line one\nback\\slash \"quotes stay\""), R"(line one\nback\\slash "quotes stay")");
  FamilySnapshot f{"demo_total", "Help with \\ and\nnewline", Type::counter, {"path"}, {}, {}};
  f.add({"C:\\keys\n\"x\""}, 1);
  const auto text = write_text(std::vector<FamilySnapshot>{f});
  const auto parsed = cc::test::parse_exposition(text);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors.front() << "\n" << text;
  EXPECT_EQ(parsed.value("demo_total", {{"path", "C:\\keys\n\"x\""}}), 1) << text;
  EXPECT_EQ(parsed.help.at("demo_total"), "Help with \\ and\nnewline");
}

TEST(Exposition, ValuesReadBackExactlyAndSpecialValuesAreSpelledAsPrometheusReadsThem) {
  EXPECT_EQ(format_value(0), "0");
  EXPECT_EQ(format_value(42), "42");
  EXPECT_EQ(format_value(0.005), "0.005");
  EXPECT_EQ(format_value(-2.5), "-2.5");
  EXPECT_EQ(format_value(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(format_value(-std::numeric_limits<double>::infinity()), "-Inf");
  EXPECT_EQ(format_value(std::nan("")), "NaN");
  EXPECT_EQ(format_value(18446744073709551615.0), "18446744073709551616");
  for (double v : {1e-9, 0.1, 1.0 / 3, 123456789.125, 6.02e23}) {
    EXPECT_EQ(std::strtod(format_value(v).c_str(), nullptr), v) << format_value(v);
  }
}

TEST(Exposition, NamesFollowTheDataModel) {
  EXPECT_TRUE(valid_metric_name("containment_signing_requests_total"));
  EXPECT_TRUE(valid_metric_name("job:rate5m"));
  EXPECT_FALSE(valid_metric_name("9lives"));
  EXPECT_FALSE(valid_metric_name("has-dash"));
  EXPECT_FALSE(valid_metric_name(""));
  EXPECT_TRUE(valid_label_name("operation"));
  EXPECT_FALSE(valid_label_name("__name__"));
  EXPECT_FALSE(valid_label_name("a:b"));
  EXPECT_FALSE(valid_label_name("1st"));
}

TEST(Exposition, AFamilyWithoutSeriesStillDeclaresItself) {
  Registry r;
  r.counter("demo_rejections_total", "Rejections", {"rule"});
  EXPECT_EQ(r.expose(), "# HELP demo_rejections_total Rejections\n# TYPE demo_rejections_total counter\n");
}

TEST(Exposition, AWholeRegistryFollowsTheFormatRules) {
  Registry r;
  auto& requests = r.counter("demo_requests_total", "Requests", {"status", "operation"});
  auto& latency = r.histogram("demo_duration_seconds", "Latency", {"operation"}, latency_buckets());
  auto& up = r.gauge("demo_up", "Up");
  requests.with({"200", "ATTESTATION"}).inc(5);
  requests.with({"404", "BLOCK_V2"}).inc();
  latency.with({"ATTESTATION"}).observe(0.003);
  latency.with({"BLOCK_V2"}).observe(42);
  up.get().set(1);
  r.add_collector([] {
    FamilySnapshot f{"demo_state", "One series per state", Type::gauge, {"state"}, {}, {}};
    f.add({"sealed"}, 0).add({"unsealed"}, 1);
    return std::vector<FamilySnapshot>{f};
  });
  const auto text = r.expose();
  const auto parsed = cc::test::parse_exposition(text);
  ASSERT_TRUE(parsed.errors.empty()) << parsed.errors.front() << "\n" << text;
  EXPECT_EQ(parsed.value("demo_requests_total", {{"status", "200"}, {"operation", "ATTESTATION"}}), 5);
  EXPECT_EQ(parsed.value("demo_duration_seconds_count", {{"operation", "BLOCK_V2"}}), 1);
  EXPECT_EQ(parsed.value("demo_duration_seconds_bucket", {{"operation", "BLOCK_V2"}, {"le", "10"}}), 0);
  EXPECT_EQ(parsed.value("demo_duration_seconds_bucket", {{"operation", "BLOCK_V2"}, {"le", "+Inf"}}), 1);
  EXPECT_EQ(parsed.value("demo_duration_seconds_bucket", {{"operation", "ATTESTATION"}, {"le", "0.005"}}), 1);
  EXPECT_EQ(parsed.value("demo_state", {{"state", "unsealed"}}), 1);
  EXPECT_EQ(parsed.types.at("demo_duration_seconds"), "histogram");
}

// The reader itself must catch what it is there to catch, or the tests above prove nothing.
TEST(Exposition, TheReaderRefusesBrokenText) {
  for (const char* broken : {
           "demo_total 1\n",                                          // no TYPE
           "# TYPE demo_total counter\ndemo_total{a=\"x} 1\n",        // unterminated value
           "# TYPE demo_total counter\ndemo_total{a=\"\\q\"} 1\n",    // bad escape
           "# TYPE demo_total counter\ndemo_total one\n",             // bad value
           "# TYPE demo_total counter\n# TYPE demo_total counter\n",  // TYPE twice
           "# TYPE demo_total counter\ndemo_total 1",                 // no final newline
           "# TYPE h histogram\nh_bucket{le=\"1\"} 2\nh_bucket{le=\"+Inf\"} 1\nh_sum 1\nh_count 1\n",  // not cumulative
           "# TYPE h histogram\nh_bucket{le=\"1\"} 1\nh_sum 1\nh_count 1\n",                           // no +Inf
           "# TYPE h histogram\nh_bucket{le=\"+Inf\"} 2\nh_sum 1\nh_count 1\n",                        // count differs
       }) {
    EXPECT_FALSE(cc::test::parse_exposition(broken).errors.empty()) << broken;
  }
}

}  // namespace
}  // namespace cc::metrics
