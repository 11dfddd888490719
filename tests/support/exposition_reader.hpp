#pragma once
// A strict reader of the Prometheus text format 0.0.4, for tests: it refuses what a Prometheus
// server would refuse (or silently misread) and returns every sample, so tests can check both
// the rules and the values. Used by the unit tests of the writer and by the integration test
// that scrapes the real binary.
#include <cmath>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace cc::test {

struct ParsedSample {
  std::string name;                           // as written: foo_bucket, foo_sum, foo_total
  std::map<std::string, std::string> labels;  // unescaped values
  double value = 0;
};

struct ParsedExposition {
  std::map<std::string, std::string> types;  // family -> counter | gauge | histogram
  std::map<std::string, std::string> help;   // family -> unescaped help
  std::vector<ParsedSample> samples;
  std::vector<std::string> errors;  // empty when the text follows the rules

  // The value of the sample `name` whose labels include all of `labels`; NaN when none (or
  // more than one) matches.
  double value(const std::string& name, const std::map<std::string, std::string>& labels = {}) const {
    double found = std::nan("");
    int n = 0;
    for (const auto& s : samples) {
      if (s.name != name) continue;
      bool all = true;
      for (const auto& [k, v] : labels) {
        auto it = s.labels.find(k);
        all = all && it != s.labels.end() && it->second == v;
      }
      if (all) {
        found = s.value;
        ++n;
      }
    }
    return n == 1 ? found : std::nan("");
  }
};

namespace exposition_detail {

inline bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':')) return true;
  return !first && c >= '0' && c <= '9';
}

inline std::size_t read_name(const std::string& s, std::size_t pos, bool colon) {
  std::size_t i = pos;
  while (i < s.size() && name_char(s[i], i == pos, colon)) ++i;
  return i;
}

inline bool parse_float(const std::string& text, double& out) {
  if (text == "+Inf" || text == "Inf") return out = INFINITY, true;
  if (text == "-Inf") return out = -INFINITY, true;
  if (text == "NaN") return out = NAN, true;
  if (text.empty()) return false;
  char* end = nullptr;
  out = std::strtod(text.c_str(), &end);
  return end == text.c_str() + text.size();
}

// The family a sample name belongs to, given the declared types.
inline std::string family_of(const std::string& name, const std::map<std::string, std::string>& types) {
  if (types.count(name)) return name;
  for (const char* suffix : {"_bucket", "_sum", "_count"}) {
    const std::string sfx = suffix;
    if (name.size() > sfx.size() && name.compare(name.size() - sfx.size(), sfx.size(), sfx) == 0) {
      auto base = name.substr(0, name.size() - sfx.size());
      auto it = types.find(base);
      if (it != types.end() && it->second == "histogram") return base;
    }
  }
  return {};
}

}  // namespace exposition_detail

inline ParsedExposition parse_exposition(const std::string& text) {
  using namespace exposition_detail;
  ParsedExposition out;
  auto error = [&](std::size_t line_no, const std::string& why, const std::string& line) {
    out.errors.push_back("line " + std::to_string(line_no) + ": " + why + ": " + line);
  };
  if (!text.empty() && text.back() != '\n') out.errors.push_back("the last line does not end with \\n");
  std::set<std::string> families_with_samples;
  std::string current_family;  // samples of a family must be contiguous
  std::set<std::string> finished_families;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    auto nl = text.find('\n', start);
    if (nl == std::string::npos) nl = text.size();
    const std::string line = text.substr(start, nl - start);
    start = nl + 1;
    ++line_no;
    if (line.empty()) continue;
    if (line[0] == '#') {
      for (const std::string kind : {"# HELP ", "# TYPE "}) {
        if (line.rfind(kind, 0) != 0) continue;
        const auto name_end = read_name(line, kind.size(), true);
        const auto name = line.substr(kind.size(), name_end - kind.size());
        if (name.empty() || name_end >= line.size() || line[name_end] != ' ') {
          error(line_no, "bad " + kind.substr(2, 4) + " line", line);
          break;
        }
        const auto rest = line.substr(name_end + 1);
        if (kind == "# TYPE ") {
          if (rest != "counter" && rest != "gauge" && rest != "histogram" && rest != "summary" && rest != "untyped") {
            error(line_no, "unknown type", line);
          }
          if (out.types.count(name)) error(line_no, "second TYPE line for " + name, line);
          if (families_with_samples.count(name)) error(line_no, "TYPE after samples of " + name, line);
          out.types[name] = rest;
        } else {
          if (out.help.count(name)) error(line_no, "second HELP line for " + name, line);
          std::string unescaped;
          for (std::size_t i = 0; i < rest.size(); ++i) {
            if (rest[i] == '\\' && i + 1 < rest.size() && (rest[i + 1] == '\\' || rest[i + 1] == 'n')) {
              unescaped += rest[i + 1] == 'n' ? '\n' : '\\';
              ++i;
            } else {
              unescaped += rest[i];
            }
          }
          out.help[name] = unescaped;
        }
      }
      continue;
    }
    ParsedSample s;
    auto i = read_name(line, 0, true);
    s.name = line.substr(0, i);
    if (s.name.empty()) {
      error(line_no, "no metric name", line);
      continue;
    }
    bool ok = true;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (ok && i < line.size() && line[i] != '}') {
        const auto label_end = read_name(line, i, false);
        const auto label = line.substr(i, label_end - i);
        if (label.empty() || label_end + 1 >= line.size() || line[label_end] != '=' || line[label_end + 1] != '"') {
          ok = false;
          break;
        }
        i = label_end + 2;
        std::string value;
        while (i < line.size() && line[i] != '"') {
          if (line[i] == '\\') {
            if (i + 1 >= line.size() || (line[i + 1] != '\\' && line[i + 1] != '"' && line[i + 1] != 'n')) {
              ok = false;
              break;
            }
            value += line[i + 1] == 'n' ? '\n' : line[i + 1];
            i += 2;
          } else {
            value += line[i++];
          }
        }
        if (!ok || i >= line.size()) {
          ok = false;
          break;
        }
        ++i;  // closing quote
        if (s.labels.count(label)) ok = false;
        s.labels[label] = value;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (!ok || i >= line.size() || line[i] != '}') {
        error(line_no, "bad label set", line);
        continue;
      }
      ++i;
    }
    if (i >= line.size() || line[i] != ' ') {
      error(line_no, "no space before the value", line);
      continue;
    }
    auto value_text = line.substr(i + 1);
    if (auto sp = value_text.find(' '); sp != std::string::npos) value_text = value_text.substr(0, sp);  // timestamp
    if (!parse_float(value_text, s.value)) {
      error(line_no, "bad value", line);
      continue;
    }
    const auto family = family_of(s.name, out.types);
    if (family.empty()) {
      error(line_no, "sample without a TYPE line for its family", line);
    } else {
      if (family != current_family) {
        if (finished_families.count(family)) error(line_no, "samples of " + family + " are not together", line);
        if (!current_family.empty()) finished_families.insert(current_family);
        current_family = family;
      }
      families_with_samples.insert(family);
      if (out.types[family] == "histogram" && s.name == family) error(line_no, "histogram sample without suffix", line);
      if (out.types[family] == "counter" && s.value < 0) error(line_no, "negative counter", line);
    }
    out.samples.push_back(std::move(s));
  }

  // Histograms: per series, le ascending, cumulative counts, a +Inf bucket equal to _count.
  for (const auto& [family, type] : out.types) {
    if (type != "histogram") continue;
    std::map<std::map<std::string, std::string>, std::vector<std::pair<double, double>>> buckets;
    std::map<std::map<std::string, std::string>, double> counts;
    std::set<std::map<std::string, std::string>> sums;
    for (const auto& s : out.samples) {
      auto labels = s.labels;
      if (s.name == family + "_bucket") {
        auto le = labels.find("le");
        double bound = 0;
        if (le == labels.end() || !parse_float(le->second, bound)) {
          out.errors.push_back(family + ": bucket without a valid le");
          continue;
        }
        labels.erase("le");
        buckets[labels].emplace_back(bound, s.value);
      } else if (s.name == family + "_count") {
        counts[labels] = s.value;
      } else if (s.name == family + "_sum") {
        sums.insert(labels);
      }
    }
    for (const auto& [labels, list] : buckets) {
      for (std::size_t k = 1; k < list.size(); ++k) {
        if (!(list[k].first > list[k - 1].first)) out.errors.push_back(family + ": le not ascending");
        if (list[k].second < list[k - 1].second) out.errors.push_back(family + ": buckets not cumulative");
      }
      if (list.empty() || !std::isinf(list.back().first)) out.errors.push_back(family + ": no +Inf bucket");
      if (!counts.count(labels) || !sums.count(labels)) {
        out.errors.push_back(family + ": a series without _count or _sum");
      } else if (!list.empty() && counts[labels] != list.back().second) {
        out.errors.push_back(family + ": _count differs from the +Inf bucket");
      }
    }
  }
  return out;
}

}  // namespace cc::test
