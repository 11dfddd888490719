#pragma once
// `containment-chamber slashing import|export`: EIP-3076 interchange files against the
// configured anti-slashing database. Run them while the signer is stopped: the database is
// locked by a running signer, and the commands say so.
#include <string>
#include <vector>

#include "core/config.hpp"

namespace cc::app {

int run_slashing_import(const Config& config, const std::string& from);
int run_slashing_export(const Config& config, const std::string& to, const std::vector<std::string>& pubkeys);

}  // namespace cc::app
