#include "aws/error_counts.hpp"

#include <cctype>
#include <map>
#include <mutex>
#include <utility>

namespace cc::aws {

namespace {

struct Table {
  std::mutex mu;
  std::map<std::pair<std::string, std::string>, std::uint64_t> counts;
};

Table& table() {
  static Table t;
  return t;
}

bool is_named(std::string_view name, std::string_view lower) {
  if (name.size() != lower.size()) return false;
  for (std::size_t i = 0; i < name.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(name[i])) != lower[i]) return false;
  }
  return true;
}

// The value of `key` in an application/x-www-form-urlencoded text ("" when absent).
std::string form_value(std::string_view form, std::string_view key) {
  std::size_t pos = 0;
  while (pos <= form.size()) {
    auto amp = form.find('&', pos);
    auto item = form.substr(pos, amp == std::string_view::npos ? std::string_view::npos : amp - pos);
    if (item.size() > key.size() && item.substr(0, key.size()) == key && item[key.size()] == '=') {
      return std::string(item.substr(key.size() + 1));
    }
    if (amp == std::string_view::npos) break;
    pos = amp + 1;
  }
  return {};
}

bool plain_word(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s) {
    if (!std::isalnum(static_cast<unsigned char>(c))) return false;
  }
  return true;
}

}  // namespace

void count_aws_error(std::string_view service, std::string_view operation) {
  auto& t = table();
  std::lock_guard lock(t.mu);
  ++t.counts[{std::string(service), std::string(operation)}];
}

std::vector<AwsErrorCount> aws_error_counts() {
  auto& t = table();
  std::lock_guard lock(t.mu);
  std::vector<AwsErrorCount> out;
  for (const auto& [key, n] : t.counts) out.push_back({key.first, key.second, n});
  return out;
}

std::string operation_of(const AwsRequest& request) {
  for (const auto& [name, value] : request.headers) {
    if (is_named(name, "x-amz-target")) {
      auto op = std::string_view(value).substr(value.rfind('.') + 1);
      return plain_word(op) ? std::string(op) : "unknown";
    }
  }
  // Query protocol (STS): Action in the query string or the form body. Only a plain word is
  // taken, so nothing else of a request (a token) can end up in a label.
  for (auto form : {std::string_view(request.query), std::string_view(request.body)}) {
    auto action = form_value(form, "Action");
    if (plain_word(action)) return action;
  }
  return "unknown";
}

}  // namespace cc::aws
