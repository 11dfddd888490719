#pragma once
// The two kinds of message the anti-slashing database protects, reduced to what the rules need:
// who signs (pubkey), where in the chain (slot, or source/target epochs) and what (signing_root,
// the exact root the BLS signature covers). Plain values; copy freely.
#include <cstdint>
#include <variant>

#include "core/bytes.hpp"

namespace cc::slashing {

struct BlockProposal {
  BlsPublicKey pubkey{};
  std::uint64_t slot = 0;
  Root signing_root{};
};

struct AttestationVote {
  BlsPublicKey pubkey{};
  std::uint64_t source_epoch = 0;
  std::uint64_t target_epoch = 0;
  Root signing_root{};
};

using SignedMessage = std::variant<BlockProposal, AttestationVote>;

inline const BlsPublicKey& pubkey_of(const SignedMessage& m) {
  return std::visit([](const auto& v) -> const BlsPublicKey& { return v.pubkey; }, m);
}

}  // namespace cc::slashing
