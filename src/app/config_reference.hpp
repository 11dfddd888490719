#pragma once
// `containment-chamber config reference`: the configuration reference (docs/configuration.md),
// written from the config model itself (core/config.hpp config_fields()): every key with its type,
// default, environment variable and flag. The committed file is tested to equal this output
// (tests/integration/cli_test.cpp), so the docs cannot drift from the binary.
#include <string>

namespace cc::app {

// The whole Markdown document.
std::string config_reference_markdown();

}  // namespace cc::app
