#pragma once
// Nitro mode's two ends as commands:
//   containment-chamber controller [--config F] ...   the parent side (controller/controller.hpp)
//   containment-chamber controller stop               terminates the enclave (the chart's preStop)
//   containment-chamber enclave [--boot-vsock-port N] the enclave image's entry point: waits for the
//                                                     controller's configuration, then runs the signer
#include <CLI/CLI.hpp>
#include <cstdint>
#include <optional>
#include <string>

#include "core/config.hpp"
#include "tee/boot.hpp"

namespace cc::app {

// What the enclave needs besides the file: CONTAINMENT_* overrides, the variables the file names
// as env:VAR, the AWS region and static credentials when the parent has them.
tee::BootPackage boot_package_for(const std::string& config_name, const std::string& config_text, char** environ_vars);

// The enclave's check of a package: the configuration it describes, valid and in Nitro mode.
Result<Config> config_of_boot_package(const tee::BootPackage& package);

// Replaces `path` (made with its directory if needed, mode 0600) with the token, atomically.
Status write_token_file(const std::string& path, const std::string& token);

class ControllerCommands {
 public:
  explicit ControllerCommands(CLI::App& app);
  std::optional<int> run_parsed() const;

 private:
  int run_controller() const;
  int run_enclave() const;

  CLI::App* controller_ = nullptr;
  CLI::App* stop_ = nullptr;
  CLI::App* enclave_ = nullptr;
  std::string config_file_;
  std::string eif_path_ = "/enclave/containment-chamber.eif";
  unsigned cpu_count_ = 2;
  unsigned memory_mib_ = 1024;
  std::uint32_t enclave_cid_ = 0;
  std::string ingress_;
  std::string listen_address_ = "0.0.0.0";
  std::uint32_t boot_port_ = tee::kDefaultBootPort;
  unsigned boot_timeout_seconds_ = 600;
  std::string nitro_cli_ = "nitro-cli";
  std::string enclave_id_file_ = "/tmp/containment-chamber-enclave.id";
  std::string nsm_device_ = "/dev/nsm";
  std::string hosts_file_ = "/etc/hosts";
  std::string token_file_ = "/run/containment-chamber/web-identity-token";
  std::string env_error_;  // a malformed ENCLAVE_* number, reported when the controller runs
};

}  // namespace cc::app
