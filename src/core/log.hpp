#pragma once
// Logging setup. The project logs through spdlog's default logger; call setup_logging() once.
#include <string_view>

namespace cc {

enum class LogFormat { text, json };

// level: trace|debug|info|warn|error. Returns false when the level name is unknown.
bool setup_logging(std::string_view level, LogFormat format);

}  // namespace cc
