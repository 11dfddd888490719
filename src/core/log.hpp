#pragma once
// Logging setup and structured events. The project logs through spdlog's default logger; call
// setup_logging() once (again is fine: the logger is reused).
//
// Two formats, one line per record, on stderr:
//   text  2025-01-02T03:04:05.678901Z INFO  message key=value key2="a value"
//   json  {"timestamp":"2025-01-02T03:04:05.678901Z","level":"info","message":"…","fields":{…}}
// Ordinary spdlog calls get "fields":{}; log_event() attaches key/value fields (rendered after the
// message in text). Every string is JSON-escaped, so each line parses whatever a message holds.
// Fields and messages must never carry secrets or tokens: name files, keys (public), clients.
#include <initializer_list>
#include <spdlog/common.h>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cc {

enum class LogFormat { text, json };

// level: trace|debug|info|warn|error. Returns false when the level name is unknown.
bool setup_logging(std::string_view level, LogFormat format);

// One key/value of a structured event. Numbers are given as numbers so JSON keeps their type.
struct LogField {
  LogField(std::string_view k, std::string_view v) : key(k), text(v) {}
  LogField(std::string_view k, const std::string& v) : key(k), text(v) {}
  LogField(std::string_view k, const char* v) : key(k), text(v) {}
  LogField(std::string_view k, double v) : key(k), number(v), is_number(true) {}
  LogField(std::string_view k, std::uint64_t v) : key(k), number(static_cast<double>(v)), is_number(true) {}
  LogField(std::string_view k, int v) : key(k), number(v), is_number(true) {}
  LogField(std::string_view k, unsigned v) : key(k), number(v), is_number(true) {}
  std::string_view key;
  std::string text;
  double number = 0;
  bool is_number = false;
};

// Logs `message` at `level` with `fields` (cheap when the level is off: nothing is formatted).
void log_event(spdlog::level::level_enum level, std::string_view message, std::initializer_list<LogField> fields);
void log_event(spdlog::level::level_enum level, std::string_view message, const std::vector<LogField>& fields);

}  // namespace cc
