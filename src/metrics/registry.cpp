#include "metrics/registry.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <stdexcept>
#include <type_traits>

namespace cc::metrics {

namespace {

template <class T>
Type type_of() {
  if constexpr (std::is_same_v<T, Counter>) return Type::counter;
  if constexpr (std::is_same_v<T, Histogram>) return Type::histogram;
  return Type::gauge;
}

}  // namespace

template <class T>
Family<T>::Family(std::string name, std::string help, std::vector<std::string> label_names, Buckets bounds)
    : name_(std::move(name)), help_(std::move(help)), label_names_(std::move(label_names)), bounds_(std::move(bounds)) {
  if (!valid_metric_name(name_)) throw std::invalid_argument("invalid metric name '" + name_ + "'");
  for (const auto& l : label_names_) {
    if (!valid_label_name(l)) throw std::invalid_argument(name_ + ": invalid label name '" + l + "'");
    if (std::count(label_names_.begin(), label_names_.end(), l) > 1) {
      throw std::invalid_argument(name_ + ": label '" + l + "' named twice");
    }
    if constexpr (std::is_same_v<T, Histogram>) {
      if (l == "le") throw std::invalid_argument(name_ + ": a histogram may not have a label 'le'");
    }
  }
  if constexpr (std::is_same_v<T, Histogram>) {
    if (bounds_.empty()) throw std::invalid_argument(name_ + ": a histogram needs at least one bucket");
    for (std::size_t i = 0; i < bounds_.size(); ++i) {
      if (!std::isfinite(bounds_[i]) || (i > 0 && bounds_[i] <= bounds_[i - 1])) {
        throw std::invalid_argument(name_ + ": bucket bounds must be finite and strictly increasing");
      }
    }
  }
  if (label_names_.empty()) get();  // exposed at 0 from the start
}

template <class T>
std::size_t Family<T>::hash_of(std::span<const std::string_view> values) {
  std::size_t h = 0xcbf29ce484222325ull;
  for (auto v : values) {
    h ^= std::hash<std::string_view>{}(v) + 0x9e3779b97f4a7c15ull + (h << 6) + (h >> 2);
  }
  return h;
}

template <class T>
bool Family<T>::same(const Node& n, std::size_t hash, std::span<const std::string_view> values) {
  if (n.hash != hash || n.values.size() != values.size()) return false;
  for (std::size_t i = 0; i < values.size(); ++i) {
    if (n.values[i] != values[i]) return false;
  }
  return true;
}

template <class T>
T* Family<T>::find(std::size_t hash, std::span<const std::string_view> values) const {
  for (std::size_t i = 0; i < kSlots; ++i) {
    const Node* n = slots_[(hash + i) % kSlots].load(std::memory_order_acquire);
    if (n == nullptr) return nullptr;  // inserts fill the first free slot of the probe sequence
    if (same(*n, hash, values)) return const_cast<T*>(&n->metric);
  }
  return nullptr;
}

template <class T>
T& Family<T>::with(std::span<const std::string_view> values) {
  if (values.size() != label_names_.size()) {
    throw std::invalid_argument(name_ + ": " + std::to_string(label_names_.size()) + " label values expected, got " +
                                std::to_string(values.size()));
  }
  const std::size_t hash = hash_of(values);
  if (T* found = find(hash, values)) return *found;

  std::lock_guard lock(mu_);
  if (T* found = find(hash, values)) return *found;  // created meanwhile
  if (overflowed_.load(std::memory_order_relaxed)) {
    for (Node* n : overflow_) {
      if (same(*n, hash, values)) return n->metric;
    }
  }
  std::unique_ptr<Node> node;
  if constexpr (std::is_same_v<T, Histogram>) {
    node.reset(new Node{hash, {values.begin(), values.end()}, Histogram(bounds_)});
  } else {
    node.reset(new Node{hash, {values.begin(), values.end()}, {}});
  }
  Node* raw = node.get();
  nodes_.push_back(std::move(node));
  // Keep a quarter of the table free so probe sequences stay short.
  if (nodes_.size() <= kSlots * 3 / 4) {
    for (std::size_t i = 0; i < kSlots; ++i) {
      auto& slot = slots_[(hash + i) % kSlots];
      if (slot.load(std::memory_order_relaxed) == nullptr) {
        slot.store(raw, std::memory_order_release);
        return raw->metric;
      }
    }
  }
  overflow_.push_back(raw);
  overflowed_.store(true, std::memory_order_relaxed);
  return raw->metric;
}

template <class T>
FamilySnapshot Family<T>::snapshot() const {
  FamilySnapshot f;
  f.name = name_;
  f.help = help_;
  f.type = type_of<T>();
  f.label_names = label_names_;
  f.bounds = bounds_;
  std::lock_guard lock(mu_);
  for (const auto& n : nodes_) {
    SeriesSnapshot s;
    s.label_values = n->values;
    if constexpr (std::is_same_v<T, Histogram>) {
      s.histogram = n->metric.snapshot();
    } else {
      s.value = static_cast<double>(n->metric.value());
    }
    f.series.push_back(std::move(s));
  }
  return f;
}

template class Family<Counter>;
template class Family<Gauge>;
template class Family<Histogram>;

void Registry::claim(const std::string& name) {
  if (std::find(names_.begin(), names_.end(), name) != names_.end()) {
    throw std::invalid_argument("metric '" + name + "' declared twice");
  }
  names_.push_back(name);
}

Family<Counter>& Registry::counter(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  claim(name);
  auto& f = counters_.emplace_back(std::move(name), std::move(help), std::move(label_names));
  own_.push_back([&f] { return f.snapshot(); });
  return f;
}

Family<Gauge>& Registry::gauge(std::string name, std::string help, std::vector<std::string> label_names) {
  std::lock_guard lock(mu_);
  claim(name);
  auto& f = gauges_.emplace_back(std::move(name), std::move(help), std::move(label_names));
  own_.push_back([&f] { return f.snapshot(); });
  return f;
}

Family<Histogram>& Registry::histogram(std::string name, std::string help, std::vector<std::string> label_names,
                                       Buckets bounds) {
  std::lock_guard lock(mu_);
  claim(name);
  auto& f = histograms_.emplace_back(std::move(name), std::move(help), std::move(label_names), std::move(bounds));
  own_.push_back([&f] { return f.snapshot(); });
  return f;
}

void Registry::add_collector(Collector collector) {
  std::lock_guard lock(mu_);
  collectors_.push_back(std::move(collector));
}

std::vector<FamilySnapshot> Registry::collect() const {
  std::vector<std::function<FamilySnapshot()>> own;
  std::vector<Collector> collectors;
  std::vector<std::string> names;
  {
    std::lock_guard lock(mu_);
    own = own_;
    collectors = collectors_;
    names = names_;
  }
  std::vector<FamilySnapshot> out;
  for (const auto& snap : own) out.push_back(snap());
  for (const auto& collector : collectors) {
    std::vector<FamilySnapshot> extra;
    try {
      extra = collector();
    } catch (const std::exception& e) {
      spdlog::error("metrics collector failed: {}", e.what());
      continue;
    }
    for (auto& f : extra) {
      if (!valid_metric_name(f.name) || std::find(names.begin(), names.end(), f.name) != names.end()) {
        spdlog::error("metrics collector returned an invalid or duplicate family '{}'; left out", f.name);
        continue;
      }
      names.push_back(f.name);
      out.push_back(std::move(f));
    }
  }
  return out;
}

std::string Registry::expose() const {
  return write_text(collect());
}

}  // namespace cc::metrics
