// The configuration file (YAML or JSON) and its validation: a bad file is a ConfigError naming
// the key, never a crash.
#include "core/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  cc::Config config;
  try {
    cc::apply_config_text(config, std::string(reinterpret_cast<const char*>(data), size), "fuzz.yaml");
    cc::validate_config(config);
  } catch (const cc::ConfigError&) {
  }
  return 0;
}
