#pragma once
// DynamoDbDocumentStore: `signer_state: {backend: dynamodb, table}`. One item per document,
// {pk: name, version: N, content: S}; a write is a PutItem conditioned on the version it read
// (attribute_not_exists(pk) for the first), so replicas never overwrite each other's changes.
// DynamoDB offers no cheap change check, so change_stamp() is nullopt and readers poll
// (signer_state.refresh_interval_seconds).
#include <memory>
#include <string>

#include "aws/dynamodb.hpp"
#include "state/document_store.hpp"

namespace cc::state {

class DynamoDbDocumentStore final : public DocumentStore {
 public:
  // Checks the table (exists, ACTIVE, key `pk`); the error names table, endpoint and permission.
  static Result<std::unique_ptr<DynamoDbDocumentStore>> open(aws::Transport& transport, const std::string& table);

  std::string describe() const override { return "dynamodb " + db_.describe(); }
  Result<std::optional<Document>> get(std::string_view name) override;
  Result<bool> put(std::string_view name, std::string_view content, std::uint64_t expected) override;
  std::optional<std::string> change_stamp(std::string_view) override { return std::nullopt; }

 private:
  DynamoDbDocumentStore(aws::Transport& transport, const std::string& table) : db_(transport, table) {}
  aws::DynamoDb db_;
};

}  // namespace cc::state
