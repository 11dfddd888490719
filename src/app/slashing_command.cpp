#include "app/slashing_command.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/store_factory.hpp"

namespace cc::app {

int run_slashing_import(const Config& config, const std::string& from) {
  std::ifstream in(from, std::ios::binary);
  if (!in) {
    std::cerr << "slashing import: cannot read " << from << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::stringstream text;
  text << in.rdbuf();
  auto store = open_slashing_store(config);
  if (!store) {
    std::cerr << "slashing import: " << store.error().message << "\n";
    return 1;
  }
  auto status = (*store)->import_interchange(text.str());
  if (!status) {
    std::cerr << "slashing import: " << from << ": " << status.error().message << " (nothing was imported)\n";
    return 1;
  }
  std::cerr << "slashing import: imported " << from << " into the " << (*store)->backend_name() << " database\n";
  return 0;
}

int run_slashing_export(const Config& config, const std::string& to, const std::vector<std::string>& pubkeys) {
  std::vector<BlsPublicKey> only;
  for (const auto& hex : pubkeys) {
    auto pk = from_hex_fixed<48>(hex);
    if (!pk) {
      std::cerr << "slashing export: --pubkeys " << hex << ": " << pk.error().message << "\n";
      return 2;
    }
    only.push_back(*pk);
  }
  auto store = open_slashing_store(config);
  if (!store) {
    std::cerr << "slashing export: " << store.error().message << "\n";
    return 1;
  }
  auto doc = (*store)->export_interchange(only);
  if (!doc) {
    std::cerr << "slashing export: " << doc.error().message << "\n";
    return 1;
  }
  // Write to a temporary file and rename, so a crash never leaves a half-written interchange file.
  const std::string tmp = to + ".partial";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out << *doc;
    out.flush();
    if (!out) {
      std::cerr << "slashing export: cannot write " << tmp << ": " << std::strerror(errno) << "\n";
      return 1;
    }
  }
  if (std::rename(tmp.c_str(), to.c_str()) != 0) {
    std::cerr << "slashing export: cannot rename " << tmp << " to " << to << ": " << std::strerror(errno) << "\n";
    return 1;
  }
  std::cerr << "slashing export: wrote " << to << "\n";
  return 0;
}

}  // namespace cc::app
