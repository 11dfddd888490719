#include "core/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include <boost/json.hpp>
#include <atomic>
#include <chrono>
#include <cmath>
#include <ctime>

namespace cc {

namespace {

// The fields of the event being logged on this thread (log_event() sets them around the call;
// the loggers are synchronous, so the formatter runs inside that call, on this thread).
struct FieldSpan {
  const LogField* begin;
  const LogField* end;
};
thread_local const FieldSpan* current_fields = nullptr;

std::string timestamp(spdlog::log_clock::time_point time) {
  const auto since = time.time_since_epoch();
  const auto seconds = std::chrono::duration_cast<std::chrono::seconds>(since);
  const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(since - seconds).count();
  const std::time_t t = seconds.count();
  std::tm tm{};
  gmtime_r(&t, &tm);
  char out[96];  // room for any int fields, so the compiler sees no truncation
  std::snprintf(out, sizeof out, "%04d-%02d-%02dT%02d:%02d:%02d.%06lldZ", tm.tm_year + 1900, tm.tm_mon + 1,
                tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, static_cast<long long>(micros));
  return out;
}

void append(spdlog::memory_buf_t& dest, std::string_view text) { dest.append(text.data(), text.data() + text.size()); }

boost::json::value field_value(const LogField& f) {
  if (!f.is_number) return boost::json::value(f.text);
  if (std::floor(f.number) == f.number && std::fabs(f.number) < 9e15) {
    return boost::json::value(static_cast<std::int64_t>(f.number));
  }
  return boost::json::value(f.number);
}

class JsonFormatter final : public spdlog::formatter {
 public:
  void format(const spdlog::details::log_msg& msg, spdlog::memory_buf_t& dest) override {
    boost::json::object line;
    line["timestamp"] = timestamp(msg.time);
    const auto level = spdlog::level::to_string_view(msg.level);
    line["level"] = std::string_view(level.data(), level.size());
    line["message"] = std::string_view(msg.payload.data(), msg.payload.size());
    boost::json::object fields;
    if (current_fields != nullptr) {
      for (const LogField* f = current_fields->begin; f != current_fields->end; ++f) fields[f->key] = field_value(*f);
    }
    line["fields"] = std::move(fields);
    append(dest, boost::json::serialize(line));
    append(dest, "\n");
  }
  std::unique_ptr<spdlog::formatter> clone() const override { return std::make_unique<JsonFormatter>(); }
};

bool needs_quotes(std::string_view v) {
  if (v.empty()) return true;
  for (char c : v) {
    if (c == ' ' || c == '"' || c == '=' || static_cast<unsigned char>(c) < 0x20) return true;
  }
  return false;
}

std::string text_fields(const FieldSpan& fields) {
  std::string out;
  for (const LogField* it = fields.begin; it != fields.end; ++it) {
    const LogField& f = *it;
    out += ' ';
    out += f.key;
    out += '=';
    if (f.is_number) {
      out += boost::json::serialize(field_value(f));
    } else if (needs_quotes(f.text)) {
      out += boost::json::serialize(boost::json::value(f.text));  // quoted and escaped
    } else {
      out += f.text;
    }
  }
  return out;
}

std::atomic<LogFormat> g_format{LogFormat::text};

}  // namespace

bool setup_logging(std::string_view level, LogFormat format) {
  auto lvl = spdlog::level::from_str(std::string(level));
  if (lvl == spdlog::level::off && level != "off") return false;
  // May run again (the enclave sets up logging before it has its configuration): reuse the logger.
  auto logger = spdlog::get("containment-chamber");
  if (logger == nullptr) logger = spdlog::stderr_color_mt("containment-chamber");
  if (format == LogFormat::json) {
    logger->set_formatter(std::make_unique<JsonFormatter>());
  } else {
    logger->set_formatter(std::make_unique<spdlog::pattern_formatter>("%Y-%m-%dT%H:%M:%S.%fZ %^%-5l%$ %v",
                                                                      spdlog::pattern_time_type::utc));
  }
  g_format = format;
  logger->set_level(lvl);
  spdlog::set_default_logger(logger);
  spdlog::flush_on(spdlog::level::warn);
  return true;
}

namespace {

void log_fields(spdlog::level::level_enum level, std::string_view message, const FieldSpan& fields) {
  auto logger = spdlog::default_logger_raw();
  if (!logger->should_log(level)) return;
  if (g_format == LogFormat::json) {
    current_fields = &fields;
    logger->log(level, "{}", message);
    current_fields = nullptr;
  } else {
    logger->log(level, "{}{}", message, text_fields(fields));
  }
}

}  // namespace

void log_event(spdlog::level::level_enum level, std::string_view message, std::initializer_list<LogField> fields) {
  log_fields(level, message, FieldSpan{fields.begin(), fields.end()});
}

void log_event(spdlog::level::level_enum level, std::string_view message, const std::vector<LogField>& fields) {
  log_fields(level, message, FieldSpan{fields.data(), fields.data() + fields.size()});
}

}  // namespace cc
