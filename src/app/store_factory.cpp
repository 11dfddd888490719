#include "app/store_factory.hpp"

#include "slashing/sqlite_store.hpp"
#include "ssz/network.hpp"

namespace cc::app {

Result<std::unique_ptr<slashing::SlashingStore>> open_slashing_store(const Config& config) {
  const ssz::Network* network = ssz::find_network(config.network);
  if (network == nullptr) return Error::invalid("unknown network '" + config.network + "'");
  if (config.anti_slashing.backend != "sqlite") {
    return Error::invalid("anti_slashing.backend '" + config.anti_slashing.backend + "' is not available in this build");
  }
  slashing::SqliteOptions options;
  options.path = config.anti_slashing.path;
  options.max_batch = config.anti_slashing.max_batch;
  options.genesis_validators_root = network->genesis_validators_root;
  return slashing::open_sqlite_store(options);
}

}  // namespace cc::app
