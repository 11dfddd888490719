#include "app/operator_command.hpp"

#include <boost/json.hpp>
#include <cstdlib>
#include <iostream>

#include "app/signer_client.hpp"

namespace cc::app {

namespace {

void pretty(std::ostream& os, const boost::json::value& v, std::string indent = "") {
  const std::string inner = indent + "  ";
  if (v.is_object()) {
    os << "{";
    bool first = true;
    for (const auto& kv : v.get_object()) {
      os << (first ? "\n" : ",\n") << inner << boost::json::serialize(kv.key()) << ": ";
      pretty(os, kv.value(), inner);
      first = false;
    }
    os << (first ? "}" : "\n" + indent + "}");
  } else if (v.is_array()) {
    os << "[";
    bool first = true;
    for (const auto& item : v.get_array()) {
      os << (first ? "\n" : ",\n") << inner;
      pretty(os, item, inner);
      first = false;
    }
    os << (first ? "]" : "\n" + indent + "]");
  } else {
    os << boost::json::serialize(v);
  }
}

}  // namespace

int run_operator_status(const OperatorOptions& options) {
  std::string token = options.auth_token;
  if (token.rfind("env:", 0) == 0) {
    const char* v = std::getenv(token.substr(4).c_str());
    if (v == nullptr) {
      std::cerr << "operator status: environment variable " << token.substr(4) << " is not set\n";
      return 2;
    }
    token = v;
  }
  auto res = signer_get({options.signer_url, token, options.ca_cert, options.allow_plaintext}, "/api/v1/chamber/status");
  if (!res) {
    std::cerr << "operator status: " << res.error().message << "\n";
    return res.error().kind == Error::Kind::invalid_argument ? 2 : 1;
  }
  if (res->status != 200) {
    std::cerr << "operator status: the signer answered " << res->status << ": " << res->body << "\n";
    return 1;
  }
  boost::system::error_code ec;
  auto doc = boost::json::parse(res->body, ec);
  if (ec) {
    std::cout << res->body << "\n";
    return 0;
  }
  pretty(std::cout, doc);
  std::cout << "\n";
  return 0;
}

}  // namespace cc::app
