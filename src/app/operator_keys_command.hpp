#pragma once
// `containment-chamber operator keys …`: the Chamber key API (api/chamber_keys_api.hpp) from the
// command line, with the connection flags of every operator command.
//   keys list                                   GET    /api/v1/chamber/keys
//   keys generate --count N [--memory]          POST   /api/v1/chamber/keys/generate
//   keys import --keystore F --password-file P [--memory] [--slashing-protection FILE]
//                                               POST   /api/v1/chamber/keys (repeat --keystore; one
//                                               --password-file for all, or one per keystore)
//   keys activate|deactivate PUBKEY...          PATCH  /api/v1/chamber/keys
//   keys delete PUBKEY... [--slashing-protection-out FILE]
//                                               DELETE /api/v1/chamber/keys (the keys' slashing
//                                               protection comes back; written to FILE if given)
// Prints the signer's JSON answer. Exit 0 when every key succeeded, 1 when the signer refused the
// request or any key is `error` or `not_found`, 2 for bad arguments or unreadable files.
// Passwords are read from files straight into wiped buffers and never printed.
#include <CLI/CLI.hpp>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace cc::app {

struct OperatorOptions;

class OperatorKeysCommands {
 public:
  // Registers `keys` under `op` (the `operator` command); `connection_options` adds the shared
  // --signer-url/--auth-token/... flags, which fill `options`.
  OperatorKeysCommands(CLI::App& op, const std::function<void(CLI::App&)>& connection_options,
                       const OperatorOptions& options);

  // After parsing: the exit code of the chosen keys command, or nullopt when none was.
  std::optional<int> run_parsed() const;

 private:
  const OperatorOptions& options_;
  CLI::App* list_ = nullptr;
  CLI::App* generate_ = nullptr;
  CLI::App* import_ = nullptr;
  CLI::App* activate_ = nullptr;
  CLI::App* deactivate_ = nullptr;
  CLI::App* delete_ = nullptr;
  unsigned count_ = 0;
  bool memory_ = false;
  std::vector<std::string> keystores_;
  std::vector<std::string> password_files_;
  std::string slashing_protection_;      // import: interchange file
  std::string slashing_protection_out_;  // delete: where to write the returned interchange
  std::vector<std::string> pubkeys_;
};

}  // namespace cc::app
