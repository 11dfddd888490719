#pragma once
// `containment-chamber server`: loads the configuration, opens the anti-slashing database,
// starts the HTTP listener and loads keys in the background. Returns the process exit code.
#include "core/config.hpp"

namespace cc::app {

int run_server(const Config& config);

}  // namespace cc::app
