#pragma once
// Domains and signing roots (consensus-specs specs/phase0/beacon-chain.md: compute_domain,
// compute_fork_data_root, compute_signing_root; domain types from phase0, altair and the
// builder-specs). Pure functions over fixed-size values: no allocation, thread-safe.
#include <cstdint>

#include "core/bytes.hpp"
#include "ssz/containers.hpp"

namespace cc::ssz {

// Domain types (phase0 "Domain types", altair "Domain types", builder-specs "Domain types").
inline constexpr DomainType kDomainBeaconProposer = {0x00, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainBeaconAttester = {0x01, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainRandao = {0x02, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainDeposit = {0x03, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainVoluntaryExit = {0x04, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainSelectionProof = {0x05, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainAggregateAndProof = {0x06, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainSyncCommittee = {0x07, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainSyncCommitteeSelectionProof = {0x08, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainContributionAndProof = {0x09, 0x00, 0x00, 0x00};
inline constexpr DomainType kDomainApplicationBuilder = {0x00, 0x00, 0x00, 0x01};

// compute_fork_data_root: hash_tree_root(ForkData{current_version, genesis_validators_root}).
Root compute_fork_data_root(const Version& current_version, const Root& genesis_validators_root);

// compute_domain: domain_type || compute_fork_data_root(fork_version, gvr)[:28].
Domain compute_domain(const DomainType& domain_type, const Version& fork_version, const Root& genesis_validators_root);

// The fork version a message at `epoch` is signed under (get_domain's
// "previous_version if epoch < fork.epoch else current_version").
inline const Version& fork_version_at(const Fork& fork, std::uint64_t epoch) {
  return epoch < fork.epoch ? fork.previous_version : fork.current_version;
}

// compute_signing_root: hash_tree_root(SigningData{object_root, domain}).
Root compute_signing_root(const Root& object_root, const Domain& domain);

}  // namespace cc::ssz
