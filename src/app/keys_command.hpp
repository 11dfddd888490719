#pragma once
// `containment-chamber keys generate`: writes new random keys as EIP-2335 keystores.
#include <cstddef>
#include <string>

namespace cc::app {

struct KeysGenerateOptions {
  std::size_t count = 1;
  std::string out_dir;
  std::string password;       // literal, or env:VAR
  std::string password_file;
  std::string kdf = "scrypt";
  bool fast_kdf = false;
};

int run_keys_generate(const KeysGenerateOptions& options);

}  // namespace cc::app
