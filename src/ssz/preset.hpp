#pragma once
// Mainnet preset values that fix SSZ list limits and vector lengths of the signed
// containers. Only the mainnet preset is supported: every named network uses it.
// Values from consensus-specs presets/mainnet/{phase0,altair,electra}.yaml.
#include <cstdint>

namespace cc::ssz::preset {

// phase0
inline constexpr std::uint64_t kMaxValidatorsPerCommittee = 2048;
inline constexpr std::uint64_t kMaxProposerSlashings = 16;
inline constexpr std::uint64_t kMaxAttesterSlashings = 2;
inline constexpr std::uint64_t kMaxAttestations = 128;
inline constexpr std::uint64_t kMaxDeposits = 16;
inline constexpr std::uint64_t kMaxVoluntaryExits = 16;
inline constexpr std::uint64_t kDepositContractTreeDepth = 32;
inline constexpr std::uint64_t kDepositProofLength = kDepositContractTreeDepth + 1;

// altair
inline constexpr std::uint64_t kSyncCommitteeSize = 512;
inline constexpr std::uint64_t kSyncCommitteeSubnetCount = 4;
inline constexpr std::uint64_t kSyncSubcommitteeSize = kSyncCommitteeSize / kSyncCommitteeSubnetCount;

// electra (EIP-7549 moves the committee index into committee_bits)
inline constexpr std::uint64_t kMaxCommitteesPerSlot = 64;
inline constexpr std::uint64_t kMaxAttestingIndicesElectra = kMaxValidatorsPerCommittee * kMaxCommitteesPerSlot;

}  // namespace cc::ssz::preset
