#pragma once
// `containment-chamber operator …`: commands that talk to a running signer over its API.
//   operator status                         GET /api/v1/chamber/status (scope chamber_status)
//   operator generate-root-token            setup token → the first management token
//   operator auth policies list|create|delete
//   operator auth tokens list|create|revoke the Auth API (a management token)
//   operator init|seal|unseal               the chamber's master key (KMS-only or operator quorum)
//   operator register                       an operator's passphrase, with its registration token
//   operator rotate kms|quorum|unseal|mode|cancel  rotations while unsealed (scope chamber_rotate)
//   operator keys list|generate|import|activate|deactivate|delete
//                                           the Chamber key API (operator_keys_command.hpp)
// Every one takes --signer-url, --auth-token (or --setup-token), --ca-cert and
// --allow-plaintext-signer; tokens may be given as env:VAR. A signer in a Nitro Enclave is
// verified by attestation with --expected-pcr0/--expected-pcr8 (and --attestation-root for a test
// root) instead of a CA. Output is JSON on stdout; errors go
// to stderr with what the signer answered. Exit 0 on success, 1 when the signer refused or
// could not be reached, 2 for bad arguments.
#include <CLI/CLI.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/operator_keys_command.hpp"
#include "app/signer_client.hpp"

namespace cc::app {

struct OperatorOptions {
  std::string signer_url = "https://localhost:9443";
  std::string auth_token;  // literal or env:VAR
  std::string ca_cert;
  bool allow_plaintext = false;
  std::string expected_pcr0, expected_pcr8;  // hex; either one switches to aTLS
  std::string attestation_root;
};

// One request to the signer with these connection options (aTLS when PCRs are expected).
Result<SignerResponse> operator_request(const OperatorOptions& options, const std::string& token,
                                        const SignerRequest& request);

class OperatorCommands {
 public:
  // Registers `operator` and its subcommands under `app`.
  explicit OperatorCommands(CLI::App& app);

  // After parsing: the exit code of the chosen operator command, or nullopt when none was.
  std::optional<int> run_parsed() const;

 private:
  void connection_options(CLI::App& cmd, bool setup);

  OperatorOptions options_;
  std::string setup_token_;
  CLI::App* status_ = nullptr;
  CLI::App* root_token_ = nullptr;
  CLI::App* policies_list_ = nullptr;
  CLI::App* policies_create_ = nullptr;
  CLI::App* policies_delete_ = nullptr;
  CLI::App* tokens_list_ = nullptr;
  CLI::App* tokens_create_ = nullptr;
  CLI::App* tokens_revoke_ = nullptr;
  CLI::App* init_ = nullptr;
  CLI::App* seal_ = nullptr;
  CLI::App* unseal_ = nullptr;
  std::vector<std::string> kms_key_arns_;
  unsigned kms_threshold_ = 0;
  // Operator quorum (init, register, unseal, rotate).
  void quorum_options(CLI::App& cmd);
  std::optional<int> run_quorum() const;
  CLI::App* register_ = nullptr;
  CLI::App* rotate_kms_ = nullptr;
  CLI::App* rotate_quorum_ = nullptr;
  CLI::App* rotate_unseal_ = nullptr;
  CLI::App* rotate_mode_ = nullptr;
  CLI::App* rotate_cancel_ = nullptr;
  unsigned operators_ = 0;
  unsigned unseal_threshold_ = 0;
  std::vector<std::string> operator_names_;
  std::string registration_token_;
  std::string passphrase_;  // literal, env:VAR, or empty / "-": read from standard input
  std::string operator_id_;
  std::string mode_;
  std::string name_;                   // root token or client token name; policy to delete
  std::string policy_file_;            // policies create
  std::vector<std::string> policies_;  // tokens create
  std::uint64_t ttl_seconds_ = 0;
  CLI::Option* ttl_opt_ = nullptr;
  bool management_ = false;
  std::string token_id_;  // tokens revoke
  std::unique_ptr<OperatorKeysCommands> keys_;
};

}  // namespace cc::app
