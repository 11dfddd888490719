#pragma once
// `containment-chamber slashing watermark show|set-high|clear-high|raise-low` and
// `containment-chamber slashing prune`: the operator's tools over the configured anti-slashing
// database (rules in src/slashing/rules.hpp). Each command takes the same configuration
// options as `server` to find the database. With SQLite they run while the signer is stopped
// (it holds the file); with PostgreSQL at any time, and every replica applies a change to the
// next request it decides.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "app/config_options.hpp"

namespace cc::app {

class WatermarkCommands {
 public:
  // Registers `watermark` (with its subcommands) and `prune` under `slashing`.
  explicit WatermarkCommands(CLI::App& slashing);

  // After parsing: the exit code of the command that was chosen (0 ok, 1 failed, 2 bad
  // configuration or arguments), or nullopt when none of these was.
  std::optional<int> run_parsed() const;

 private:
  struct Command {
    CLI::App* app = nullptr;
    std::unique_ptr<ConfigOptions> config;
  };
  Command add(CLI::App& parent, const std::string& name, const std::string& description);

  Command show_, set_high_, clear_high_, raise_low_, prune_;
  std::vector<std::string> show_pubkeys_;
  std::uint64_t high_epoch_ = 0, high_slot_ = 0;
  std::string raise_pubkey_;
  std::uint64_t raise_slot_ = 0, raise_source_ = 0, raise_target_ = 0;
  CLI::Option* raise_slot_opt_ = nullptr;
  CLI::Option* raise_source_opt_ = nullptr;
  CLI::Option* raise_target_opt_ = nullptr;
  std::uint64_t keep_epochs_ = 0;
};

}  // namespace cc::app
