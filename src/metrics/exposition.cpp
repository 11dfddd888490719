#include "metrics/exposition.hpp"

#include <charconv>
#include <cmath>

namespace cc::metrics {

namespace {

bool name_char(char c, bool first, bool colon) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_') return true;
  if (colon && c == ':') return true;
  return !first && c >= '0' && c <= '9';
}

bool valid_name(std::string_view name, bool colon) {
  if (name.empty()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (!name_char(name[i], i == 0, colon)) return false;
  }
  return true;
}

// `{a="x",b="y"` without the closing brace (so `le` can follow), or "" without labels.
void open_labels(std::string& out, const std::vector<std::string>& names, const std::vector<std::string>& values) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    out += i == 0 ? '{' : ',';
    out += names[i];
    out += "=\"";
    out += escape_label_value(i < values.size() ? values[i] : std::string());
    out += '"';
  }
}

void sample(std::string& out, std::string_view name, const std::vector<std::string>& names,
            const std::vector<std::string>& values, std::string_view extra_label, std::string_view extra_value,
            std::string_view value) {
  out += name;
  open_labels(out, names, values);
  if (!extra_label.empty()) {
    out += names.empty() ? '{' : ',';
    out += extra_label;
    out += "=\"";
    out += extra_value;
    out += '"';
  }
  if (!names.empty() || !extra_label.empty()) out += '}';
  out += ' ';
  out += value;
  out += '\n';
}

}  // namespace

std::string_view type_name(Type t) {
  switch (t) {
    case Type::counter:
      return "counter";
    case Type::histogram:
      return "histogram";
    case Type::gauge:
      break;
  }
  return "gauge";
}

FamilySnapshot& FamilySnapshot::add(std::vector<std::string> label_values, double value) {
  SeriesSnapshot s;
  s.label_values = std::move(label_values);
  s.value = value;
  series.push_back(std::move(s));
  return *this;
}

bool valid_metric_name(std::string_view name) {
  return valid_name(name, true);
}

bool valid_label_name(std::string_view name) {
  return valid_name(name, false) && !name.starts_with("__");
}

std::string format_value(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  return ec == std::errc() ? std::string(buf, end) : "NaN";
}

std::string escape_label_value(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '"') {
      out += "\\\"";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string escape_help(std::string_view v) {
  std::string out;
  out.reserve(v.size());
  for (char c : v) {
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out += c;
    }
  }
  return out;
}

std::string write_text(std::span<const FamilySnapshot> families) {
  std::string out;
  for (const auto& f : families) {
    out += "# HELP ";
    out += f.name;
    out += ' ';
    out += escape_help(f.help);
    out += "\n# TYPE ";
    out += f.name;
    out += ' ';
    out += type_name(f.type);
    out += '\n';
    for (const auto& s : f.series) {
      if (f.type != Type::histogram) {
        sample(out, f.name, f.label_names, s.label_values, {}, {}, format_value(s.value));
        continue;
      }
      const std::string bucket = f.name + "_bucket";
      std::uint64_t cumulative = 0;
      for (std::size_t b = 0; b <= f.bounds.size(); ++b) {
        cumulative += b < s.histogram.counts.size() ? s.histogram.counts[b] : 0;
        const std::string le = b < f.bounds.size() ? format_value(f.bounds[b]) : "+Inf";
        sample(out, bucket, f.label_names, s.label_values, "le", le, std::to_string(cumulative));
      }
      sample(out, f.name + "_sum", f.label_names, s.label_values, {}, {}, format_value(s.histogram.sum));
      // _count equals the +Inf bucket, whatever the snapshot's own count says.
      sample(out, f.name + "_count", f.label_names, s.label_values, {}, {}, std::to_string(cumulative));
    }
  }
  return out;
}

}  // namespace cc::metrics
