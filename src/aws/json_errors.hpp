#pragma once
// The error of an AWS JSON-protocol answer (DynamoDB, KMS): its type, without the namespace
// ("com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException" →
// "ConditionalCheckFailedException"; "" when absent), and its message ("" when absent).
#include <boost/json.hpp>
#include <string>

namespace cc::aws {

std::string json_error_type(const boost::json::object& body);
std::string json_error_message(const boost::json::object& body);

}  // namespace cc::aws
