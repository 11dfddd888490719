#include "state/dynamodb_store.hpp"

namespace cc::state {

namespace {
aws::Item key_of(std::string_view name) { return {{"pk", aws::attr_s(name)}}; }
}  // namespace

Result<std::unique_ptr<DynamoDbDocumentStore>> DynamoDbDocumentStore::open(aws::Transport& transport,
                                                                           const std::string& table) {
  std::unique_ptr<DynamoDbDocumentStore> store(new DynamoDbDocumentStore(transport, table));
  if (auto ok = store->db_.check_table("pk", ""); !ok) return Error{ok.error().kind, "signer state: " + ok.error().message};
  return store;
}

Result<std::optional<Document>> DynamoDbDocumentStore::get(std::string_view name) {
  auto item = db_.get(key_of(name));
  if (!item) return item.error();
  if (!*item) return std::optional<Document>{};
  auto version = aws::get_n(**item, "version");
  auto content = aws::get_s(**item, "content");
  if (!version || !content) {
    return Error::invalid("signer state: " + describe() + ", document " + std::string(name) + ": " +
                          (!version ? version.error().message : content.error().message));
  }
  return std::optional<Document>(Document{std::move(*content), *version});
}

Result<bool> DynamoDbDocumentStore::put(std::string_view name, std::string_view content, std::uint64_t expected) {
  aws::Item item = key_of(name);
  item["version"] = aws::attr_n(expected + 1);
  item["content"] = aws::attr_s(content);
  aws::Condition condition;
  if (expected == 0) {
    condition.expression = "attribute_not_exists(pk)";
  } else {
    condition.expression = "version = :expected";
    condition.values = {{":expected", aws::attr_n(expected)}};
  }
  // Not retried without an answer: had the first attempt landed, the retry would fail its
  // condition and the caller would redo its change on top of itself.
  auto written = db_.put(item, condition, aws::Retry::not_idempotent);
  if (written) return true;
  if (written.error().kind == Error::Kind::conflict) return false;
  return written.error();
}

}  // namespace cc::state
