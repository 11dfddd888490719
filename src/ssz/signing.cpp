#include "ssz/signing.hpp"

#include <algorithm>

namespace cc::ssz {

Root compute_fork_data_root(const Version& current_version, const Root& genesis_validators_root) {
  return hash_tree_root(ForkData{current_version, genesis_validators_root});
}

Domain compute_domain(const DomainType& domain_type, const Version& fork_version, const Root& genesis_validators_root) {
  const Root fork_data_root = compute_fork_data_root(fork_version, genesis_validators_root);
  Domain domain{};
  std::copy(domain_type.begin(), domain_type.end(), domain.begin());
  std::copy(fork_data_root.begin(), fork_data_root.begin() + 28, domain.begin() + 4);
  return domain;
}

Root compute_signing_root(const Root& object_root, const Domain& domain) {
  return hash_tree_root(SigningData{object_root, domain});
}

}  // namespace cc::ssz
