#pragma once
// `containment-chamber operator …`: commands that talk to a running signer over its API.
#include <string>

namespace cc::app {

struct OperatorOptions {
  std::string signer_url = "https://localhost:9443";
  std::string auth_token;  // literal or env:VAR
  std::string ca_cert;
  bool allow_plaintext = false;
};

// Prints the signer's status JSON (pretty) on stdout; exit 0 on 200, 1 otherwise with the reason.
int run_operator_status(const OperatorOptions& options);

}  // namespace cc::app
