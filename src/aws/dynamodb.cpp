#include "aws/dynamodb.hpp"

#include <chrono>
#include <thread>

#include "aws/json_errors.hpp"

namespace cc::aws {

namespace {

constexpr std::string_view kTargetPrefix = "DynamoDB_20120810.";

Result<const boost::json::object*> attribute(const Item& item, std::string_view name, std::string_view type) {
  const auto* v = item.if_contains(name);
  if (v == nullptr) return Error::invalid("item has no attribute '" + std::string(name) + "'");
  if (!v->is_object()) return Error::invalid("attribute '" + std::string(name) + "' is not an AttributeValue");
  const auto* inner = v->as_object().if_contains(type);
  if (inner == nullptr || !inner->is_string()) {
    return Error::invalid("attribute '" + std::string(name) + "' is not of type " + std::string(type));
  }
  return &v->as_object();
}

}  // namespace

boost::json::value attr_s(std::string_view s) { return boost::json::object{{"S", s}}; }
boost::json::value attr_n(std::uint64_t n) { return boost::json::object{{"N", std::to_string(n)}}; }
boost::json::value attr_b(const ByteVector& bytes) { return boost::json::object{{"B", to_base64(bytes)}}; }

bool has(const Item& item, std::string_view name) { return item.contains(name); }

Result<std::string> get_s(const Item& item, std::string_view name) {
  auto a = attribute(item, name, "S");
  if (!a) return a.error();
  return std::string((*a)->at("S").as_string());
}

Result<std::uint64_t> get_n(const Item& item, std::string_view name) {
  auto a = attribute(item, name, "N");
  if (!a) return a.error();
  auto n = parse_uint64(std::string_view((*a)->at("N").as_string()));
  if (!n) return Error::invalid("attribute '" + std::string(name) + "': " + n.error().message);
  return *n;
}

Result<ByteVector> get_b(const Item& item, std::string_view name) {
  auto a = attribute(item, name, "B");
  if (!a) return a.error();
  auto b = from_base64(std::string_view((*a)->at("B").as_string()));
  if (!b) return Error::invalid("attribute '" + std::string(name) + "': " + b.error().message);
  return *b;
}

DynamoDb::DynamoDb(Transport& transport, std::string table) : transport_(transport), table_(std::move(table)) {}

std::string DynamoDb::describe() const { return "table " + table_ + " (" + transport_.describe() + ")"; }

Result<boost::json::object> DynamoDb::call(std::string_view operation, boost::json::object body, Retry retry) const {
  AwsRequest request;
  request.headers = {{"Content-Type", "application/x-amz-json-1.0"},
                     {"X-Amz-Target", std::string(kTargetPrefix) + std::string(operation)}};
  request.body = boost::json::serialize(body);
  auto res = transport_.send(request, retry);
  if (!res) return res.error();
  boost::system::error_code ec;
  auto parsed = boost::json::parse(res->body, ec);
  const boost::json::object empty;
  const auto& answer = (!ec && parsed.is_object()) ? parsed.as_object() : empty;
  if (res->status == 200) {
    if (ec || !parsed.is_object()) {
      return Error::unavailable(std::string(operation) + " on " + describe() + ": unreadable answer");
    }
    return answer;
  }
  const auto type = json_error_type(answer);
  const auto message = json_error_message(answer);
  const std::string what = std::string(operation) + " on " + describe() + ": " + (type.empty() ? "HTTP " + std::to_string(res->status) : type) +
                           (message.empty() ? "" : ": " + message);
  if (type == "ConditionalCheckFailedException") return Error::conflict(what);
  if (type == "ResourceNotFoundException") return Error::not_found(what);
  if (type == "AccessDeniedException" || type == "UnrecognizedClientException" ||
      type == "MissingAuthenticationTokenException" || res->status == 403) {
    return Error::forbidden(what);
  }
  if (type == "ValidationException" || type == "SerializationException") return Error::invalid(what);
  return Error::unavailable(what);
}

Status DynamoDb::check_table(std::string_view partition_key, std::string_view sort_key) const {
  auto r = call("DescribeTable", {{"TableName", table_}}, Retry::idempotent);
  if (!r) {
    if (r.error().kind == Error::Kind::not_found) {
      return Error::not_found("DynamoDB table '" + table_ + "' does not exist at " + transport_.describe() +
                              " (create it first, see docs/aws-iam.md)");
    }
    return r.error();
  }
  const auto* table = r->if_contains("Table");
  if (table == nullptr || !table->is_object()) return Error::unavailable("DescribeTable on " + describe() + ": no Table");
  const auto& t = table->as_object();
  if (const auto* status = t.if_contains("TableStatus"); status != nullptr && status->is_string() &&
                                                          status->as_string() != "ACTIVE" &&
                                                          status->as_string() != "UPDATING") {
    return Error::unavailable(describe() + " is " + std::string(status->as_string()) + ", not ACTIVE");
  }
  std::string hash, range;
  if (const auto* schema = t.if_contains("KeySchema"); schema != nullptr && schema->is_array()) {
    for (const auto& k : schema->as_array()) {
      if (!k.is_object()) continue;
      const auto* name = k.as_object().if_contains("AttributeName");
      const auto* type = k.as_object().if_contains("KeyType");
      if (name == nullptr || type == nullptr || !name->is_string() || !type->is_string()) continue;
      (type->as_string() == "HASH" ? hash : range) = std::string(name->as_string());
    }
  }
  if (hash != partition_key || range != sort_key) {
    return Error::invalid(describe() + " has key (" + hash + (range.empty() ? "" : ", " + range) +
                          "); this store needs (" + std::string(partition_key) +
                          (sort_key.empty() ? "" : ", " + std::string(sort_key)) + ")");
  }
  return {};
}

Status DynamoDb::create_table(std::string_view partition_key, std::string_view sort_key,
                              const std::vector<std::pair<std::string, std::string>>& local_indexes) const {
  boost::json::array attributes{{{"AttributeName", partition_key}, {"AttributeType", "S"}}};
  boost::json::array schema{{{"AttributeName", partition_key}, {"KeyType", "HASH"}}};
  if (!sort_key.empty()) {
    attributes.push_back(boost::json::object{{"AttributeName", sort_key}, {"AttributeType", "S"}});
    schema.push_back(boost::json::object{{"AttributeName", sort_key}, {"KeyType", "RANGE"}});
  }
  boost::json::object body{{"TableName", table_},
                           {"AttributeDefinitions", attributes},
                           {"KeySchema", schema},
                           {"BillingMode", "PAY_PER_REQUEST"}};
  if (!local_indexes.empty()) {
    boost::json::array indexes;
    for (const auto& [name, attr] : local_indexes) {
      body["AttributeDefinitions"].as_array().push_back(boost::json::object{{"AttributeName", attr}, {"AttributeType", "S"}});
      indexes.push_back(boost::json::object{
          {"IndexName", name},
          {"KeySchema", boost::json::array{boost::json::object{{"AttributeName", partition_key}, {"KeyType", "HASH"}},
                                           boost::json::object{{"AttributeName", attr}, {"KeyType", "RANGE"}}}},
          {"Projection", boost::json::object{{"ProjectionType", "ALL"}}}});
    }
    body["LocalSecondaryIndexes"] = std::move(indexes);
  }
  auto r = call("CreateTable", std::move(body), Retry::not_idempotent);
  if (!r) {
    if (r.error().message.find("ResourceInUseException") != std::string::npos) return Error::conflict(r.error().message);
    return r.error();
  }
  // A new table is CREATING for a while: usable once ACTIVE.
  for (int i = 0; i < 600; ++i) {
    auto d = call("DescribeTable", {{"TableName", table_}}, Retry::idempotent);
    if (d) {
      const auto* t = d->if_contains("Table");
      const auto* status = t != nullptr && t->is_object() ? t->as_object().if_contains("TableStatus") : nullptr;
      if (status != nullptr && status->is_string() && status->as_string() == "ACTIVE") return {};
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return Error::unavailable("CreateTable on " + describe() + ": not ACTIVE after 60 s");
}

Result<std::optional<Item>> DynamoDb::get(const Item& key) const {
  auto r = call("GetItem", {{"TableName", table_}, {"Key", key}, {"ConsistentRead", true}}, Retry::idempotent);
  if (!r) return r.error();
  const auto* item = r->if_contains("Item");
  if (item == nullptr || !item->is_object()) return std::optional<Item>{};
  return std::optional<Item>(item->as_object());
}

Result<std::vector<Item>> DynamoDb::batch_get(const std::vector<Item>& keys) const {
  std::vector<Item> out;
  boost::json::array pending;
  for (const auto& k : keys) pending.push_back(k);
  for (int round = 0; !pending.empty(); ++round) {
    if (round == 10) return Error::unavailable("BatchGetItem on " + describe() + ": keys left unprocessed");
    boost::json::object request{{table_, boost::json::object{{"Keys", pending}, {"ConsistentRead", true}}}};
    auto r = call("BatchGetItem", {{"RequestItems", std::move(request)}}, Retry::idempotent);
    if (!r) return r.error();
    if (const auto* responses = r->if_contains("Responses"); responses != nullptr && responses->is_object()) {
      if (const auto* items = responses->as_object().if_contains(table_); items != nullptr && items->is_array()) {
        for (const auto& i : items->as_array()) {
          if (i.is_object()) out.push_back(i.as_object());
        }
      }
    }
    pending.clear();
    if (const auto* rest = r->if_contains("UnprocessedKeys"); rest != nullptr && rest->is_object()) {
      if (const auto* t = rest->as_object().if_contains(table_); t != nullptr && t->is_object()) {
        if (const auto* k = t->as_object().if_contains("Keys"); k != nullptr && k->is_array()) pending = k->as_array();
      }
    }
  }
  return out;
}

Status DynamoDb::put(const Item& item, const std::optional<Condition>& condition, Retry retry) const {
  boost::json::object body{{"TableName", table_}, {"Item", item}};
  if (condition) {
    body["ConditionExpression"] = condition->expression;
    if (!condition->values.empty()) body["ExpressionAttributeValues"] = condition->values;
    if (!condition->names.empty()) body["ExpressionAttributeNames"] = condition->names;
  }
  auto r = call("PutItem", std::move(body), retry);
  if (!r) return r.error();
  return {};
}

Status DynamoDb::update(const Item& key, std::string_view update_expression, const Condition& condition,
                        Retry retry) const {
  boost::json::object body{{"TableName", table_}, {"Key", key}, {"UpdateExpression", update_expression}};
  if (!condition.expression.empty()) body["ConditionExpression"] = condition.expression;
  if (!condition.values.empty()) body["ExpressionAttributeValues"] = condition.values;
  if (!condition.names.empty()) body["ExpressionAttributeNames"] = condition.names;
  auto r = call("UpdateItem", std::move(body), retry);
  if (!r) return r.error();
  return {};
}

Status DynamoDb::remove(const Item& key, const std::optional<Condition>& condition, Retry retry) const {
  boost::json::object body{{"TableName", table_}, {"Key", key}};
  if (condition) {
    body["ConditionExpression"] = condition->expression;
    if (!condition->values.empty()) body["ExpressionAttributeValues"] = condition->values;
    if (!condition->names.empty()) body["ExpressionAttributeNames"] = condition->names;
  }
  auto r = call("DeleteItem", std::move(body), retry);
  if (!r) return r.error();
  return {};
}

Result<std::vector<Item>> DynamoDb::query(const QueryRequest& q) const {
  std::vector<Item> out;
  std::optional<boost::json::value> start;
  for (;;) {
    boost::json::object body{{"TableName", table_},
                             {"KeyConditionExpression", q.key_condition},
                             {"ConsistentRead", true},
                             {"ScanIndexForward", q.forward}};
    if (!q.index.empty()) body["IndexName"] = q.index;
    if (!q.filter.empty()) body["FilterExpression"] = q.filter;
    if (!q.values.empty()) body["ExpressionAttributeValues"] = q.values;
    if (!q.names.empty()) body["ExpressionAttributeNames"] = q.names;
    if (q.limit) body["Limit"] = *q.limit;
    if (start) body["ExclusiveStartKey"] = *start;
    auto r = call("Query", std::move(body), Retry::idempotent);
    if (!r) return r.error();
    if (const auto* items = r->if_contains("Items"); items != nullptr && items->is_array()) {
      for (const auto& i : items->as_array()) {
        if (i.is_object()) out.push_back(i.as_object());
        if (q.first_only && !out.empty()) return out;
      }
    }
    const auto* last = r->if_contains("LastEvaluatedKey");
    if (last == nullptr || !last->is_object() || last->as_object().empty()) return out;
    start = *last;
  }
}

Result<std::vector<Item>> DynamoDb::scan(const std::string& filter, const boost::json::object& values,
                                         const boost::json::object& names) const {
  std::vector<Item> out;
  std::optional<boost::json::value> start;
  for (;;) {
    boost::json::object body{{"TableName", table_}, {"ConsistentRead", true}};
    if (!filter.empty()) body["FilterExpression"] = filter;
    if (!values.empty()) body["ExpressionAttributeValues"] = values;
    if (!names.empty()) body["ExpressionAttributeNames"] = names;
    if (start) body["ExclusiveStartKey"] = *start;
    auto r = call("Scan", std::move(body), Retry::idempotent);
    if (!r) return r.error();
    if (const auto* items = r->if_contains("Items"); items != nullptr && items->is_array()) {
      for (const auto& i : items->as_array()) {
        if (i.is_object()) out.push_back(i.as_object());
      }
    }
    const auto* last = r->if_contains("LastEvaluatedKey");
    if (last == nullptr || !last->is_object() || last->as_object().empty()) return out;
    start = *last;
  }
}

}  // namespace cc::aws
