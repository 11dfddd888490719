#pragma once
// Opens the anti-slashing store the configuration names, bound to the configured network.
#include <memory>

#include "core/config.hpp"
#include "core/result.hpp"
#include "slashing/slashing_store.hpp"

namespace cc::app {

Result<std::unique_ptr<slashing::SlashingStore>> open_slashing_store(const Config& config);

}  // namespace cc::app
