#include "aws/json_errors.hpp"

namespace cc::aws {

std::string json_error_type(const boost::json::object& body) {
  const auto* t = body.if_contains("__type");
  if (t == nullptr || !t->is_string()) return "";
  std::string type(t->as_string());
  const auto hash = type.rfind('#');
  return hash == std::string::npos ? type : type.substr(hash + 1);
}

std::string json_error_message(const boost::json::object& body) {
  for (const char* key : {"message", "Message"}) {
    if (const auto* m = body.if_contains(key); m != nullptr && m->is_string()) return std::string(m->as_string());
  }
  return "";
}

}  // namespace cc::aws
