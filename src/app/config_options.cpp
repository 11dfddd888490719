#include "app/config_options.hpp"

extern char** environ;

namespace cc::app {

ConfigOptions::ConfigOptions(CLI::App& command) {
  command.add_option("-c,--config", config_file_, "Configuration file (YAML or JSON)")->check(CLI::ExistingFile);
  const Config defaults;
  for (const auto& field : config_fields()) {
    std::string help = field.description + "\n[" + field.show(defaults) + "] env " + field.env();
    // The documented short forms of the logging flags.
    std::string names = field.flag();
    if (field.path == "logging.format") names += ",--log-format";
    if (field.path == "logging.level") names += ",--log-level";
    auto* opt = command.add_option(names, values_[field.path], help);
    opt->type_name(field.type == "list" ? "DIR[,DIR...]" : field.type == "string" ? "TEXT" : field.type);
    options_[field.path] = opt;
  }
}

Config ConfigOptions::load() const {
  Config config;
  if (!config_file_.empty()) apply_config_file(config, config_file_);
  apply_config_env(config, environ);
  for (const auto& [path, opt] : options_) {
    if (opt->count() > 0) apply_config_value(config, path, values_.at(path), "flag " + opt->get_name());
  }
  validate_config(config);
  return config;
}

}  // namespace cc::app
