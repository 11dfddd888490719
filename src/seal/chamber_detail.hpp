#pragma once
// Helpers shared by chamber.cpp and chamber_quorum.cpp (not part of the seal layer's interface).
#include <cstdint>
#include <string>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"
#include "seal/seal_document.hpp"

namespace cc::seal::detail {

// The KMS encryption context of share `x` of the layer's secret.
std::string kms_context(const KmsLayer& layer, std::uint8_t x);
SecretBytes<32> random_secret();
std::string random_id(const std::string& prefix);  // prefix + 8 hex
Bytes<32> commitment_of(const SecretBytes<32>& secret);
Status check_kms_args(const std::vector<std::string>& key_arns, unsigned threshold);
// kms_unsealed, unsealed, awaiting_rotation: the KMS layer is to be opened.
bool operational(State s);
const OperatorSlot* find_slot(const Quorum& q, const std::string& id);
bool live_submission(const SealDocument& d, const std::string& operator_id, std::int64_t now);
unsigned live_submissions(const SealDocument& d, std::int64_t now);
// Applies `event` to d.state and records it; conflict (naming both) when not allowed.
Status advance(SealDocument& d, Event event, std::int64_t now);

}  // namespace cc::seal::detail
