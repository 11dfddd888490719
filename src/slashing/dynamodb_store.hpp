#pragma once
// The anti-slashing database in DynamoDB (`anti_slashing: {backend: dynamodb, table}`), for
// signer replicas that keep everything durable in AWS. Same rules (rules.hpp) and guarantees as
// the SQL stores, built only from single-item conditional writes, which DynamoDB-compatible
// test servers can prove (no transactions needed).
//
// Table: partition key `pk` (S), sort key `sk` (S), local secondary index `by_source` on `src`
// (S). Items:
//   pk "meta", sk "gvr"            the network's genesis_validators_root (written once)
//   pk "meta", sk "high"           the global high watermark, when set
//   pk "v#<pubkey>", sk "head"     the key's low watermarks and a version number
//   pk "v#<pubkey>", sk "b#<slot>" a signed block (root absent: the null marker of an import)
//   pk "v#<pubkey>", sk "a#<target>#<source>", src "a#<source>#<target>"  a signed vote
// (numbers as 20-digit zero-padded decimals, so string order is numeric order).
//
// Safety across replicas: everything that changes a key's history bumps its head version with
// a write conditioned on the version it read. Deciding a request reads the head, then the facts
// (same slot; same target, one surrounding and one surrounded vote through the two sort orders),
// judges, writes the new record (conditioned on its absence), and only then bumps the head; if
// the bump fails (another replica changed the key meanwhile) the record it wrote is removed
// again and the request is decided afresh. So a signature is released only by a writer whose
// view of the key was current when it committed, and only after its record is durable. A
// record left behind by a crash between the two writes was never released: it can only make a
// later request refuse more. Pruning raises the watermarks (with the bump) before deleting.
//
// Import is validated whole before anything is written, then written record by record with
// conditional writes (a concurrent signature is never overwritten); a failure part-way leaves
// only extra records and raised watermarks, which refuse more, and importing the file again
// completes it. Export reads one key at a time (each key consistent on its own).
#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "aws/transport.hpp"
#include "core/result.hpp"
#include "slashing/slashing_store.hpp"

namespace cc::slashing {

struct DynamoDbOptions {
  std::string table;
  std::size_t workers = 16;  // requests decided at once (each waits on DynamoDB round trips)
  // Bound on any request, from arrival to answer: past it the answer is unavailable (503).
  std::chrono::milliseconds timeout{2000};
  std::optional<Root> genesis_validators_root;  // as for PostgreSQL: recorded or checked at open
  // How long set_high_watermark() waits after writing, so that every request that read the old
  // value has finished or given up unreleased (it must not be shorter than `timeout` on any
  // replica); nullopt: `timeout` + 100 ms.
  std::optional<std::chrono::milliseconds> high_watermark_settle;
};

// Checks the table (key and index) and the network. Errors name table, endpoint and, for
// AccessDenied, the missing permission. The store keeps `transport`.
Result<std::unique_ptr<SlashingStore>> open_dynamodb_store(std::shared_ptr<aws::Transport> transport,
                                                           const DynamoDbOptions& options);

// Creates the table with the layout above (on-demand capacity): for tests and first setups.
Status create_dynamodb_anti_slashing_table(aws::Transport& transport, const std::string& table);

}  // namespace cc::slashing
