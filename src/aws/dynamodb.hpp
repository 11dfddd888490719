#pragma once
// DynamoDB over its JSON protocol (DynamoDB_20120810), on a Transport. Items are the wire form
// itself, boost::json objects of AttributeValues ({"pk": {"S": "v#0xab…"}, "version": {"N": "3"}}),
// with small helpers to build and read them; a value of the wrong shape is an Error naming the
// attribute, never a crash. Only what the stores need: DescribeTable, CreateTable (tests,
// first-run setup), GetItem, BatchGetItem, PutItem, UpdateItem, DeleteItem and Query, all
// strongly consistent where DynamoDB allows it.
//
// Errors: a failed ConditionExpression is Error::conflict; a missing table Error::not_found
// naming it; AccessDenied Error::forbidden with AWS's message (it names the missing
// permission); validation errors Error::invalid_argument; throttling that outlived the
// transport's retries and everything else Error::unavailable.
#include <boost/json.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/transport.hpp"
#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::aws {

using Item = boost::json::object;

// AttributeValue builders.
boost::json::value attr_s(std::string_view s);
boost::json::value attr_n(std::uint64_t n);
boost::json::value attr_b(const ByteVector& bytes);  // base64 on the wire

// AttributeValue readers: the value of `name` in `item`, or an Error naming it.
Result<std::string> get_s(const Item& item, std::string_view name);
Result<std::uint64_t> get_n(const Item& item, std::string_view name);
Result<ByteVector> get_b(const Item& item, std::string_view name);
bool has(const Item& item, std::string_view name);

// A conditional write's condition: the expression and its placeholders' values
// (":v" → attr_n(3)); attribute names may be given as "#n" with `names`.
struct Condition {
  std::string expression;
  boost::json::object values;  // ":name" → AttributeValue
  boost::json::object names;   // "#name" → attribute name
};

struct QueryRequest {
  std::string index;  // empty: the table
  std::string key_condition;
  std::string filter;  // optional FilterExpression
  boost::json::object values;
  boost::json::object names;
  bool forward = true;
  std::optional<std::uint32_t> limit;  // items per page; all pages are read unless `first_only`
  bool first_only = false;             // stop after the first item that passes the filter
};

class DynamoDb {
 public:
  DynamoDb(Transport& transport, std::string table);

  const std::string& table() const { return table_; }
  std::string describe() const;  // "table T (dynamodb eu-west-1 (https://…))"

  // Start-up check: the table exists and is ACTIVE, with `partition_key` (and `sort_key` when
  // not empty) as its key. Errors name the table, the endpoint and, for AccessDenied, the
  // permission AWS says is missing.
  Status check_table(std::string_view partition_key, std::string_view sort_key) const;
  // Creates the table (on-demand billing) with string keys and optional string-keyed local
  // secondary indexes (name, sort attribute; projection ALL) and waits until it is ACTIVE.
  // conflict when it exists.
  Status create_table(std::string_view partition_key, std::string_view sort_key,
                      const std::vector<std::pair<std::string, std::string>>& local_indexes = {}) const;

  Result<std::optional<Item>> get(const Item& key) const;
  // Up to 100 keys of this table in one request, strongly consistent; unprocessed keys are
  // fetched again. Absent items are simply missing from the result.
  Result<std::vector<Item>> batch_get(const std::vector<Item>& keys) const;
  // PutItem; with `condition`, Error::conflict when it does not hold (nothing written).
  Status put(const Item& item, const std::optional<Condition>& condition, Retry retry) const;
  // UpdateItem with an UpdateExpression; Error::conflict when `condition` does not hold.
  Status update(const Item& key, std::string_view update_expression, const Condition& condition, Retry retry) const;
  Status remove(const Item& key, const std::optional<Condition>& condition, Retry retry) const;
  Result<std::vector<Item>> query(const QueryRequest& request) const;
  // Every item (all pages) passing `filter` (empty: all); for rare whole-table work (export, prune).
  Result<std::vector<Item>> scan(const std::string& filter, const boost::json::object& values,
                                 const boost::json::object& names = {}) const;

 private:
  Result<boost::json::object> call(std::string_view operation, boost::json::object body, Retry retry) const;

  Transport& transport_;
  std::string table_;
};

}  // namespace cc::aws
