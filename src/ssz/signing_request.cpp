#include "ssz/signing_request.hpp"

#include <array>
#include <string>

#include "core/json.hpp"
#include "ssz/containers_json.hpp"
#include "ssz/merkle.hpp"
#include "ssz/signing.hpp"

namespace cc::ssz {
namespace {

using json::InputError;

constexpr std::array<std::string_view, 13> kSignTypeNames = {
    "BLOCK",
    "BLOCK_V2",
    "ATTESTATION",
    "AGGREGATION_SLOT",
    "AGGREGATE_AND_PROOF",
    "AGGREGATE_AND_PROOF_V2",
    "RANDAO_REVEAL",
    "VOLUNTARY_EXIT",
    "DEPOSIT",
    "SYNC_COMMITTEE_MESSAGE",
    "SYNC_COMMITTEE_SELECTION_PROOF",
    "SYNC_COMMITTEE_CONTRIBUTION_AND_PROOF",
    "VALIDATOR_REGISTRATION",
};

// DEPOSIT and VALIDATOR_REGISTRATION are signed with fixed domains (genesis fork version,
// zero genesis validators root), so clients send no fork_info for them.
bool needs_fork_info(SignType type) { return type != SignType::deposit && type != SignType::validator_registration; }

ForkInfo decode_fork_info(const json::Object& o) {
  const json::Object fork = o.object("fork");
  ForkInfo fi;
  fi.previous_version = fork.bytes<4>("previous_version");
  fi.current_version = fork.bytes<4>("current_version");
  fi.epoch = fork.u64("epoch");
  fi.genesis_validators_root = o.bytes<32>("genesis_validators_root");
  return fi;
}

std::optional<Root> decode_client_root(const json::Object& top) {
  std::optional<Root> camel, snake;
  if (top.has("signingRoot")) camel = top.bytes<32>("signingRoot");
  if (top.has("signing_root")) snake = top.bytes<32>("signing_root");
  if (camel && snake && *camel != *snake) throw InputError("signing_root: differs from signingRoot");
  return camel ? camel : snake;
}

ForkName fork_version_field(const json::Object& o) {
  const std::string_view text = o.string("version");
  auto fork = parse_fork_name(text);
  if (!fork) throw InputError(o.field("version") + ": unknown fork '" + std::string(text) + "'");
  return *fork;
}

// The object root and the domain inputs that a request type determines.
struct Signable {
  Root object_root;
  DomainType domain_type;
  std::uint64_t epoch;  // selects the fork version from fork_info
};

// get_domain(state, domain_type, epoch) with fork_info standing in for state.fork.
Domain fork_domain(const Signable& s, const ForkInfo& fi) {
  const Version& version = s.epoch < fi.epoch ? fi.previous_version : fi.current_version;
  return compute_domain(s.domain_type, version, fi.genesis_validators_root);
}

Signable block_v2(const json::Object& top, const Network& network, SigningRequest& req) {
  const json::Object bb = top.object("beacon_block");
  const ForkName version = fork_version_field(bb);
  Root root;
  if (bb.has("block_header")) {
    const auto header = decode_field<BeaconBlockHeader>(bb, "block_header");
    req.block_slot = header.slot;
    root = hash_tree_root(header);
  } else if (!bb.has("block")) {
    throw InputError(bb.field("block_header") + ": missing field");
  } else if (version == ForkName::phase0) {
    const auto block = decode_field<BeaconBlock>(bb, "block");
    req.block_slot = block.slot;
    root = hash_tree_root(block);
  } else if (version == ForkName::altair) {
    const auto block = decode_field<BeaconBlockAltair>(bb, "block");
    req.block_slot = block.slot;
    root = hash_tree_root(block);
  } else {
    throw InputError(bb.field("block") + ": full " + std::string(fork_name_text(version)) +
                     " blocks are not accepted; send " + bb.field("block_header") + " instead");
  }
  return {root, kDomainBeaconProposer, network.epoch_at_slot(*req.block_slot)};
}

// Both the legacy bare object and the V2 {version, data} wrapper, for either type name
// (Lighthouse and Teku send the bare shape after electra, Vero sent V2 without the wrapper).
// The container follows the fork at the aggregate's slot, as Web3Signer does.
Signable aggregate_and_proof(const json::Object& top, const Network& network) {
  const json::Object outer = top.object("aggregate_and_proof");
  const bool wrapped = outer.has("data");
  if (wrapped && outer.has("version")) (void)fork_version_field(outer);
  const json::Object inner = wrapped ? outer.object("data") : outer;
  const json::Object aggregate = inner.object("aggregate");
  const std::uint64_t slot = aggregate.object("data").u64("slot");
  const std::uint64_t epoch = network.epoch_at_slot(slot);
  const ForkName fork = network.fork_at_epoch(epoch);
  if (fork >= ForkName::electra) {
    return {hash_tree_root(decode<AggregateAndProofElectra>(inner)), kDomainAggregateAndProof, epoch};
  }
  if (aggregate.has("committee_bits")) {
    throw InputError(aggregate.field("committee_bits") + ": not part of a " + std::string(fork_name_text(fork)) +
                     " attestation (slot " + std::to_string(slot) + " is before ELECTRA on " + network.name + ")");
  }
  return {hash_tree_root(decode<AggregateAndProof>(inner)), kDomainAggregateAndProof, epoch};
}

Signable payload(SignType type, const json::Object& top, const Network& network, SigningRequest& req) {
  switch (type) {
    case SignType::block: {
      const auto block = decode_field<BeaconBlock>(top, "block");
      req.block_slot = block.slot;
      return {hash_tree_root(block), kDomainBeaconProposer, network.epoch_at_slot(block.slot)};
    }
    case SignType::block_v2:
      return block_v2(top, network, req);
    case SignType::attestation: {
      const auto data = decode_field<AttestationData>(top, "attestation");
      req.source_epoch = data.source.epoch;
      req.target_epoch = data.target.epoch;
      return {hash_tree_root(data), kDomainBeaconAttester, data.target.epoch};
    }
    case SignType::aggregation_slot: {
      const std::uint64_t slot = top.object("aggregation_slot").u64("slot");
      return {uint64_root(slot), kDomainSelectionProof, network.epoch_at_slot(slot)};
    }
    case SignType::aggregate_and_proof:
    case SignType::aggregate_and_proof_v2:
      return aggregate_and_proof(top, network);
    case SignType::randao_reveal: {
      const std::uint64_t epoch = top.object("randao_reveal").u64("epoch");
      return {uint64_root(epoch), kDomainRandao, epoch};
    }
    case SignType::voluntary_exit: {
      // EIP-7044 pins exits to the Capella domain; clients put that fork in fork_info.
      const auto exit = decode_field<VoluntaryExit>(top, "voluntary_exit");
      return {hash_tree_root(exit), kDomainVoluntaryExit, exit.epoch};
    }
    case SignType::sync_committee_message: {
      const json::Object m = top.object("sync_committee_message");
      const Root block_root = m.bytes<32>("beacon_block_root");
      return {block_root, kDomainSyncCommittee, network.epoch_at_slot(m.u64("slot"))};
    }
    case SignType::sync_committee_selection_proof: {
      const auto data = decode_field<SyncAggregatorSelectionData>(top, "sync_aggregator_selection_data");
      return {hash_tree_root(data), kDomainSyncCommitteeSelectionProof, network.epoch_at_slot(data.slot)};
    }
    case SignType::sync_committee_contribution_and_proof: {
      const auto cap = decode_field<ContributionAndProof>(top, "contribution_and_proof");
      return {hash_tree_root(cap), kDomainContributionAndProof, network.epoch_at_slot(cap.contribution.slot)};
    }
    case SignType::deposit:
    case SignType::validator_registration:
      break;
  }
  throw std::logic_error("payload(): type without fork_info");
}

}  // namespace

std::optional<SignType> parse_sign_type(std::string_view text) {
  for (std::size_t i = 0; i < kSignTypeNames.size(); ++i) {
    if (text == kSignTypeNames[i]) return static_cast<SignType>(i);
  }
  return std::nullopt;
}

std::string_view sign_type_name(SignType type) { return kSignTypeNames.at(static_cast<std::size_t>(type)); }

SigningRequest decode_signing_request(const boost::json::value& body, const Network& network) {
  const json::Object top(body, "");
  const std::string_view type_text = top.string("type");
  const auto type = parse_sign_type(type_text);
  if (!type) throw InputError("type: unknown signing type '" + std::string(type_text) + "'");

  SigningRequest req{};
  req.type = *type;
  if (needs_fork_info(req.type)) {
    req.fork_info = decode_fork_info(top.object("fork_info"));
    if (req.fork_info->genesis_validators_root != network.genesis_validators_root) {
      throw WrongNetwork("fork_info.genesis_validators_root: " + to_hex(req.fork_info->genesis_validators_root) +
                         " is not the genesis validators root of " + network.name + " (" +
                         to_hex(network.genesis_validators_root) + ")");
    }
  }
  req.client_signing_root = decode_client_root(top);

  if (req.type == SignType::deposit) {
    // DepositMessage under compute_domain(DOMAIN_DEPOSIT, genesis_fork_version, Root())
    // (specs/phase0/beacon-chain.md "Deposits"); the fork version comes with the request.
    const json::Object d = top.object("deposit");
    const auto message = decode<DepositMessage>(d);
    const Domain domain = compute_domain(kDomainDeposit, d.bytes<4>("genesis_fork_version"), Root{});
    req.signing_root = compute_signing_root(hash_tree_root(message), domain);
  } else if (req.type == SignType::validator_registration) {
    // builder-specs "Signing": DOMAIN_APPLICATION_BUILDER, genesis fork version, zero root.
    const auto reg = decode_field<ValidatorRegistrationV1>(top, "validator_registration");
    const Domain domain = compute_domain(kDomainApplicationBuilder, network.genesis_fork_version, Root{});
    req.signing_root = compute_signing_root(hash_tree_root(reg), domain);
  } else {
    const Signable s = payload(req.type, top, network, req);
    req.signing_root = compute_signing_root(s.object_root, fork_domain(s, *req.fork_info));
  }
  return req;
}

}  // namespace cc::ssz
