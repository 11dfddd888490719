#pragma once
// The Prometheus text exposition format, version 0.0.4: what GET /metrics answers.
//
// A scrape is a list of FamilySnapshot values (what a Registry collects, or a collector builds
// at scrape time); write_text() renders them: per family one "# HELP" line (backslash and
// newline escaped), one "# TYPE" line, then its samples. Label values escape backslash, double
// quote and newline. A histogram series becomes cumulative name_bucket{…,le="…"} lines ending
// with le="+Inf", then name_sum and name_count. Numbers are written so that Go's ParseFloat
// reads them back exactly ("+Inf", "-Inf", "NaN" for the special values).
//
// Names are checked where families are declared (valid_metric_name, valid_label_name), not
// here: write_text() trusts its input. Pure functions, thread-safe.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "metrics/metric.hpp"

namespace cc::metrics {

inline constexpr std::string_view kContentType = "text/plain; version=0.0.4; charset=utf-8";

enum class Type { counter, gauge, histogram };
std::string_view type_name(Type t);

struct SeriesSnapshot {
  std::vector<std::string> label_values;  // in the order of the family's label names
  double value = 0;                       // counter or gauge
  HistogramSnapshot histogram;            // histogram: counts per bucket of the family's bounds
};

struct FamilySnapshot {
  std::string name;
  std::string help;
  Type type = Type::gauge;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histogram bucket upper bounds (+Inf implicit)
  std::vector<SeriesSnapshot> series;

  // For collectors: one series with these label values and this value.
  FamilySnapshot& add(std::vector<std::string> label_values, double value);
};

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool valid_metric_name(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__" (reserved for Prometheus itself)
bool valid_label_name(std::string_view name);

// "1", "0.005", "1e-06", "+Inf", "NaN": the shortest text that reads back as `v`.
std::string format_value(double v);
// Label value with \\, \" and \n escaped.
std::string escape_label_value(std::string_view v);
// HELP text with \\ and \n escaped.
std::string escape_help(std::string_view v);

std::string write_text(std::span<const FamilySnapshot> families);

}  // namespace cc::metrics
