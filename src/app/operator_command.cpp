#include "app/operator_command.hpp"

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/signer_client.hpp"

namespace cc::app {

namespace {

namespace http = boost::beast::http;

constexpr const char* kAuthApi = "/api/v1/chamber/auth";

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

// A literal token, or the value of env:VAR; nullopt (after saying why) when the variable is unset.
std::optional<std::string> resolve(const std::string& command, const std::string& flag, const std::string& value) {
  if (value.rfind("env:", 0) != 0) return value;
  const char* v = std::getenv(value.substr(4).c_str());
  if (v == nullptr || *v == '\0') {
    std::cerr << command << ": " << flag << ": environment variable " << value.substr(4) << " is not set\n";
    return std::nullopt;
  }
  return std::string(v);
}

// Sends one request and prints the JSON answer when its status is `expected`.
int call(const std::string& command, const OperatorOptions& options, const std::string& token,
         const SignerRequest& request, unsigned expected) {
  auto res = signer_request({options.signer_url, token, options.ca_cert, options.allow_plaintext}, request);
  if (!res) {
    std::cerr << command << ": " << res.error().message << "\n";
    return res.error().kind == Error::Kind::invalid_argument ? 2 : 1;
  }
  if (res->status != expected) {
    std::cerr << command << ": the signer answered " << res->status << ": " << res->body << "\n";
    return 1;
  }
  boost::system::error_code ec;
  auto doc = boost::json::parse(res->body, ec);
  if (ec) {
    std::cout << res->body << "\n";
  } else {
    pretty(std::cout, doc);
    std::cout << "\n";
  }
  return 0;
}

}  // namespace

OperatorCommands::OperatorCommands(CLI::App& app) {
  auto* op = app.add_subcommand("operator", "Talk to a running signer over its API");
  op->require_subcommand(1);
  op->footer(
      "\nTokens: --auth-token and --setup-token take the token itself or env:VAR (preferred: a command line is\n"
      "visible to other users of the machine). http:// signer URLs are refused unless --allow-plaintext-signer.");

  status_ = op->add_subcommand(
      "status", "Print the signer's status as JSON: version, uptime, keys per source, anti-slashing backend and its\n"
                "health, TLS mode, seal state. Needs a token with the chamber_status scope (once auth is enforced).");
  connection_options(*status_, false);

  root_token_ = op->add_subcommand(
      "generate-root-token",
      "Exchange the setup token (logged once by a signer whose state has no management token) for the first\n"
      "management token. The token is printed once: store it in a secret manager. From then on the signer\n"
      "enforces authentication.");
  connection_options(*root_token_, true);
  root_token_->add_option("--name", name_, "Label of the management token")->default_str("root");

  init_ = op->add_subcommand(
      "init", "Initialize the chamber in KMS-only mode: a new master key for the DynamoDB key source, split into one\n"
              "Shamir share per KMS key (any --kms-threshold of them rebuild it on restart). Takes the setup token\n"
              "(the answer then also carries the first management token: store it) or a management token.");
  connection_options(*init_, false);
  init_->add_option("--setup-token", setup_token_, "The setup token from the signer's log (cc-setup-…), or env:VAR");
  init_->add_option("--kms-key-arns", kms_key_arns_, "KMS key ARNs, comma-separated (one share each)")
      ->required()
      ->delimiter(',');
  init_->add_option("--kms-threshold", kms_threshold_, "How many KMS keys must answer to unseal")->required();
  seal_ = op->add_subcommand(
      "seal", "Seal the chamber: every replica drops the master key and the DynamoDB keys from memory and answers\n"
              "503 for them until unsealed (scope chamber_seal)");
  connection_options(*seal_, false);
  unseal_ = op->add_subcommand("unseal", "Unseal a sealed chamber with its KMS keys (KMS-only mode; scope chamber_seal)");
  connection_options(*unseal_, false);

  auto* auth = op->add_subcommand("auth", "Manage auth policies and tokens (the Auth API; needs a management token)");
  auth->require_subcommand(1);
  auto* policies = auth->add_subcommand("policies", "Named allow/deny rules over scopes, keys and operations");
  policies->require_subcommand(1);
  policies_list_ = policies->add_subcommand("list", "Print every policy");
  policies_create_ = policies->add_subcommand(
      "create", "Create a policy from a JSON file: {\"name\": \"vc-alpha\", \"rules\": [{\"effect\": \"allow\",\n"
                "\"scopes\": [\"sign\", \"public_keys\"], \"keys\": [\"0x…\"]}, {\"effect\": \"deny\", \"operations\":\n"
                "[\"VOLUNTARY_EXIT\"]}]}. A deny rule wins over any allow rule.");
  policies_create_->add_option("--file", policy_file_, "Policy JSON file ('-' reads standard input)")->required();
  policies_delete_ = policies->add_subcommand("delete", "Delete a policy (refused while tokens are bound to it)");
  policies_delete_->add_option("name", name_, "Policy name")->required();

  auto* tokens = auth->add_subcommand("tokens", "Client and management tokens");
  tokens->require_subcommand(1);
  tokens_list_ = tokens->add_subcommand("list", "Print every token's id, name, kind, policies and expiry (never secrets)");
  tokens_create_ = tokens->add_subcommand(
      "create", "Create a token and print it (shown once). Client tokens act under their policies; a management\n"
                "token has every scope and may use the Auth API.");
  tokens_create_->add_option("--name", name_, "Label, e.g. the validator client it is for")->required();
  tokens_create_->add_option("--policy", policies_, "Policy the client token acts under (repeat for more)");
  ttl_opt_ = tokens_create_->add_option("--ttl-seconds", ttl_seconds_, "Expire after this many seconds (default: never)")
                 ->check(CLI::Range(std::uint64_t{1}, std::uint64_t{316224000}));
  tokens_create_->add_flag("--management", management_, "Create a management token instead of a client token");
  tokens_revoke_ = tokens->add_subcommand("revoke", "Revoke a token: every replica refuses it from its next request");
  tokens_revoke_->add_option("id", token_id_, "Token id (tok_…), as listed")->required();

  for (auto* cmd : {policies_list_, policies_create_, policies_delete_, tokens_list_, tokens_create_, tokens_revoke_}) {
    connection_options(*cmd, false);
  }

  keys_ = std::make_unique<OperatorKeysCommands>(*op, [this](CLI::App& cmd) { connection_options(cmd, false); }, options_);
}

void OperatorCommands::connection_options(CLI::App& cmd, bool setup) {
  cmd.add_option("--signer-url", options_.signer_url, "Signer API address")->capture_default_str();
  if (setup) {
    cmd.add_option("--setup-token", setup_token_, "The setup token from the signer's log (cc-setup-…), or env:VAR")
        ->required();
  } else {
    cmd.add_option("--auth-token", options_.auth_token, "Token, or env:VAR to read it from a variable");
  }
  cmd.add_option("--ca-cert", options_.ca_cert, "PEM CA that signed the signer's certificate (default: system)")
      ->check(CLI::ExistingFile);
  cmd.add_flag("--allow-plaintext-signer", options_.allow_plaintext,
               "Allow an http:// signer URL (the token then travels unencrypted)");
}

std::optional<int> OperatorCommands::run_parsed() const {
  if (auto code = keys_->run_parsed()) return code;
  const std::string api = kAuthApi;
  auto token = [&](const std::string& command) { return resolve(command, "--auth-token", options_.auth_token); };
  if (*status_) {
    auto t = token("operator status");
    if (!t) return 2;
    return call("operator status", options_, *t, {http::verb::get, "/api/v1/chamber/status", ""}, 200);
  }
  if (*root_token_) {
    auto setup = resolve("operator generate-root-token", "--setup-token", setup_token_);
    if (!setup) return 2;
    const std::string body = boost::json::serialize(boost::json::object{{"name", name_.empty() ? "root" : name_}});
    const int code = call("operator generate-root-token", options_, *setup, {http::verb::post, api + "/root-token", body}, 201);
    if (code == 0) std::cerr << "Store the token now: it is not shown again, and only its hash is kept.\n";
    return code;
  }
  if (*init_) {
    const bool with_setup = !setup_token_.empty();
    auto t = with_setup ? resolve("operator init", "--setup-token", setup_token_) : token("operator init");
    if (!t) return 2;
    boost::json::object body{{"kms_key_arns", boost::json::value_from(kms_key_arns_)}, {"kms_threshold", kms_threshold_}};
    const int code = call("operator init", options_, *t, {http::verb::post, "/api/v1/chamber/init", boost::json::serialize(body)}, 200);
    if (code == 0 && with_setup) std::cerr << "Store the management token now: it is not shown again.\n";
    return code;
  }
  if (*seal_ || *unseal_) {
    const std::string name = *seal_ ? "operator seal" : "operator unseal";
    auto t = token(name);
    if (!t) return 2;
    return call(name, options_, *t, {http::verb::post, *seal_ ? "/api/v1/chamber/seal" : "/api/v1/chamber/unseal", ""}, 200);
  }
  if (*policies_list_) {
    auto t = token("operator auth policies list");
    if (!t) return 2;
    return call("operator auth policies list", options_, *t, {http::verb::get, api + "/policies", ""}, 200);
  }
  if (*policies_create_) {
    auto t = token("operator auth policies create");
    if (!t) return 2;
    std::stringstream text;
    if (policy_file_ == "-") {
      text << std::cin.rdbuf();
    } else {
      std::ifstream in(policy_file_);
      if (!in) {
        std::cerr << "operator auth policies create: cannot read " << policy_file_ << "\n";
        return 2;
      }
      text << in.rdbuf();
    }
    return call("operator auth policies create", options_, *t, {http::verb::post, api + "/policies", text.str()}, 201);
  }
  if (*policies_delete_) {
    auto t = token("operator auth policies delete");
    if (!t) return 2;
    return call("operator auth policies delete", options_, *t, {http::verb::delete_, api + "/policies/" + name_, ""}, 200);
  }
  if (*tokens_list_) {
    auto t = token("operator auth tokens list");
    if (!t) return 2;
    return call("operator auth tokens list", options_, *t, {http::verb::get, api + "/tokens", ""}, 200);
  }
  if (*tokens_create_) {
    auto t = token("operator auth tokens create");
    if (!t) return 2;
    boost::json::object body{{"name", name_}, {"kind", management_ ? "management" : "client"}};
    if (!management_) body["policies"] = boost::json::value_from(policies_);
    if (ttl_opt_->count() > 0) body["ttl_seconds"] = ttl_seconds_;
    const int code = call("operator auth tokens create", options_, *t,
                          {http::verb::post, api + "/tokens", boost::json::serialize(body)}, 201);
    if (code == 0) std::cerr << "Store the token now: it is not shown again, and only its hash is kept.\n";
    return code;
  }
  if (*tokens_revoke_) {
    auto t = token("operator auth tokens revoke");
    if (!t) return 2;
    return call("operator auth tokens revoke", options_, *t, {http::verb::delete_, api + "/tokens/" + token_id_, ""}, 200);
  }
  return std::nullopt;
}

}  // namespace cc::app
