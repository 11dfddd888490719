#pragma once
// Registers `--config` and one flag per configuration key (from config_fields()) on a CLI11
// command, and builds the effective Config: defaults < file < environment < flags.
#include <CLI/CLI.hpp>
#include <map>
#include <string>

#include "core/config.hpp"

namespace cc::app {

class ConfigOptions {
 public:
  explicit ConfigOptions(CLI::App& command);
  // Throws ConfigError naming the key and its source.
  Config load() const;

 private:
  std::string config_file_;
  std::map<std::string, std::string> values_;
  std::map<std::string, CLI::Option*> options_;
};

}  // namespace cc::app
