#include "app/keys_command.hpp"

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "keys/keystore_generator.hpp"

namespace cc::app {

namespace {

// Reads the password from the options; returns false with a message when none is usable.
bool resolve_password(const KeysGenerateOptions& o, std::string& out, std::string& why) {
  if (!o.password_file.empty()) {
    std::ifstream in(o.password_file);
    if (!in) return why = "cannot read --password-file " + o.password_file, false;
    std::stringstream ss;
    ss << in.rdbuf();
    out = ss.str();
    while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  } else if (o.password.rfind("env:", 0) == 0) {
    const char* v = std::getenv(o.password.substr(4).c_str());
    if (v == nullptr) return why = "environment variable " + o.password.substr(4) + " is not set", false;
    out = v;
  } else {
    out = o.password;
  }
  if (out.empty()) return why = "a password is required: --password-file FILE or --password env:VAR", false;
  return true;
}

}  // namespace

int run_keys_generate(const KeysGenerateOptions& options) {
  std::string password, why;
  if (!resolve_password(options, password, why)) {
    std::cerr << "containment-chamber keys generate: " << why << "\n";
    return 2;
  }
  try {
    auto pubkeys = keys::generate_keystores(options.count, options.out_dir, password,
                                            options.kdf == "pbkdf2" ? crypto::KdfKind::pbkdf2 : crypto::KdfKind::scrypt,
                                            options.fast_kdf);
    for (const auto& pk : pubkeys) std::cout << pk << "\n";
    std::cerr << "wrote " << pubkeys.size() << " keystores to " << options.out_dir
              << " (each <name>.json with its password in <name>.txt)\n";
  } catch (const std::exception& e) {
    std::cerr << "containment-chamber keys generate: " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace cc::app
