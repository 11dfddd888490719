#pragma once
// Opens the anti-slashing store the configuration names, bound to the configured network.
#include <memory>
#include <string>
#include <vector>

#include "core/config.hpp"
#include "core/result.hpp"
#include "slashing/slashing_store.hpp"
#include "state/document_store.hpp"

namespace cc::app {

Result<std::unique_ptr<slashing::SlashingStore>> open_slashing_store(const Config& config);

// Opens the signer state the configuration names (signer_state: file directory or DynamoDB table).
Result<std::unique_ptr<state::DocumentStore>> open_signer_state(const Config& config);

// Resolves secrets in a PostgreSQL connection string: the whole value as `env:VAR`, or a
// `password=env:VAR` item of a key-value string. The error names the variable, never a value.
Result<std::string> resolve_conninfo_secrets(const std::string& url);

// Nitro mode: the enclave reaches PostgreSQL through its egress entry (tee.nitro.egress.endpoints)
// for the conninfo's host, on that entry's loopback, while TLS still checks the real host name.
// A key-value string gets `hostaddr=<loopback>` added (or must already carry that one); a
// postgresql:// URL must carry `hostaddr=` itself. Errors say what to add and why: no entry for
// the host, another port than the entry's, several hosts, a URL without hostaddr.
Result<std::string> enclave_postgres_conninfo(const std::string& conninfo,
                                              const std::vector<EgressEndpointConfig>& egress);

// A description of the connection safe to log (host, port, dbname; no password).
std::string describe_conninfo(const std::string& url);

}  // namespace cc::app
