#include "app/operator_command.hpp"

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include <termios.h>
#include <unistd.h>

#include "app/signer_client.hpp"
#include "core/bytes.hpp"
#include "tee/atls_attestation.hpp"

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
  auto res = operator_request(options, token, request);
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
      "init", "Initialize the chamber: a new master key for the DynamoDB key source. KMS-only: split into one Shamir\n"
              "share per KMS key (any --kms-threshold of them rebuild it on restart). Operator quorum (--operators N\n"
              "--unseal-threshold M): split among N operators, who each register a passphrase with the registration\n"
              "token printed for them; restarts then wait for M passphrases. Takes the setup token (the answer then\n"
              "also carries the first management token: store it) or a management token.");
  connection_options(*init_, false);
  init_->add_option("--setup-token", setup_token_, "The setup token from the signer's log (cc-setup-…), or env:VAR");
  init_->add_option("--kms-key-arns", kms_key_arns_, "KMS key ARNs, comma-separated (one share each)")
      ->required()
      ->delimiter(',');
  init_->add_option("--kms-threshold", kms_threshold_, "How many KMS keys must answer to unseal")->required();
  quorum_options(*init_);
  seal_ = op->add_subcommand(
      "seal", "Seal the chamber: every replica drops the master key and the DynamoDB keys from memory and answers\n"
              "503 for them until unsealed (scope chamber_seal)");
  connection_options(*seal_, false);
  unseal_ = op->add_subcommand(
      "unseal", "Unseal with the KMS keys (KMS-only: unsealed; operator quorum: kms_unsealed), or, with --passphrase,\n"
                "submit one operator's share (quorum; any --unseal-threshold operators unseal every replica). Scope\n"
                "chamber_seal. Prints the progress.");
  connection_options(*unseal_, false);
  unseal_->add_option("--passphrase", passphrase_,
                      "The operator's passphrase, env:VAR, or '-' to read it from standard input (quorum mode)");
  unseal_->add_option("--operator", operator_id_, "The operator whose share it opens (default: each is tried)");

  register_ = op->add_subcommand(
      "register", "Register an operator's passphrase with the one-time registration token from operator init or\n"
                  "operator rotate quorum|unseal|mode (at least 12 characters; without --passphrase it is read from\n"
                  "standard input)");
  register_->add_option("--signer-url", options_.signer_url, "Signer API address")->capture_default_str();
  register_->add_option("--registration-token", registration_token_, "The registration token (cc-reg-…), or env:VAR")
      ->required();
  register_->add_option("--passphrase", passphrase_, "The passphrase, env:VAR, or '-' for standard input");
  register_->add_option("--ca-cert", options_.ca_cert, "PEM CA that signed the signer's certificate (default: system)")
      ->check(CLI::ExistingFile);
  register_->add_flag("--allow-plaintext-signer", options_.allow_plaintext,
                      "Allow an http:// signer URL (the passphrase then travels unencrypted)");

  auto* rotate = op->add_subcommand(
      "rotate", "Rotate while unsealed (scope chamber_rotate); the master key, and so every stored key, stays the same");
  rotate->require_subcommand(1);
  rotate_kms_ = rotate->add_subcommand("kms", "Re-wrap the KMS shares under a new KMS key list and threshold");
  rotate_kms_->add_option("--kms-key-arns", kms_key_arns_, "KMS key ARNs, comma-separated")->required()->delimiter(',');
  rotate_kms_->add_option("--kms-threshold", kms_threshold_, "How many KMS keys must answer")->required();
  rotate_quorum_ = rotate->add_subcommand(
      "quorum", "A new operator set: prints one registration token per operator; signing goes on (awaiting_rotation)\n"
                "until every one registered");
  quorum_options(*rotate_quorum_);
  rotate_unseal_ = rotate->add_subcommand(
      "unseal", "The same operators register new passphrases (new tokens printed); old passphrases stop working once\n"
                "all registered");
  rotate_mode_ = rotate->add_subcommand(
      "mode", "Switch between kms_only and quorum (to quorum: prints the operators' registration tokens)");
  rotate_mode_->add_option("--mode", mode_, "kms_only or quorum")->required()->check(CLI::IsMember({"kms_only", "quorum"}));
  quorum_options(*rotate_mode_);
  rotate_cancel_ = rotate->add_subcommand("cancel", "Cancel the rotation in progress (its registration tokens are void)");
  for (auto* cmd : {rotate_kms_, rotate_quorum_, rotate_unseal_, rotate_mode_, rotate_cancel_}) {
    connection_options(*cmd, false);
  }

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

void OperatorCommands::quorum_options(CLI::App& cmd) {
  auto* n = cmd.add_option("--operators", operators_, "Operator quorum: how many operators hold a share (N)");
  auto* names = cmd.add_option("--operator-names", operator_names_,
                               "Operator quorum: the operators' ids instead of op-1 … op-N, comma-separated")
                    ->delimiter(',');
  n->excludes(names);
  cmd.add_option("--unseal-threshold", unseal_threshold_, "Operator quorum: how many passphrases unseal (M)");
}

namespace {

// The passphrase: literal, env:VAR, or read from standard input (without echo on a terminal).
std::optional<std::string> passphrase_of(const std::string& command, const std::string& value) {
  if (!value.empty() && value != "-") return resolve(command, "--passphrase", value);
  const bool tty = isatty(STDIN_FILENO) == 1;
  termios saved{};
  if (tty) {
    std::cerr << "Passphrase: " << std::flush;
    tcgetattr(STDIN_FILENO, &saved);
    termios quiet = saved;
    quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
    tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
  }
  std::string line;
  std::getline(std::cin, line);
  if (tty) {
    tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    std::cerr << "\n";
  }
  if (!line.empty() && line.back() == '\r') line.pop_back();
  if (line.empty()) {
    std::cerr << command << ": no passphrase given (--passphrase env:VAR, or type it)\n";
    return std::nullopt;
  }
  return line;
}

}  // namespace

std::optional<int> OperatorCommands::run_quorum() const {
  auto token = [&](const std::string& command) { return resolve(command, "--auth-token", options_.auth_token); };
  auto quorum_body = [&] {
    boost::json::object body{{"unseal_threshold", unseal_threshold_}};
    if (!operator_names_.empty()) {
      body["operator_names"] = boost::json::value_from(operator_names_);
    } else {
      body["operators"] = operators_;
    }
    return body;
  };
  auto print_hint = [](int code, bool tokens) {
    if (code == 0 && tokens) {
      std::cerr << "Hand each operator its registration token (single use): operator register --registration-token …\n";
    }
    return code;
  };
  if (*unseal_) {
    auto t = token("operator unseal");
    if (!t) return 2;
    boost::json::object body;
    if (!passphrase_.empty()) {
      auto p = passphrase_of("operator unseal", passphrase_);
      if (!p) return 2;
      body["passphrase"] = *p;
      secure_zero(p->data(), p->size());
      if (!operator_id_.empty()) body["operator"] = operator_id_;
    }
    auto text = boost::json::serialize(body);
    const int code = call("operator unseal", options_, *t, {http::verb::post, "/api/v1/chamber/unseal", text}, 200);
    secure_zero(text.data(), text.size());
    return code;
  }
  if (*register_) {
    auto reg = resolve("operator register", "--registration-token", registration_token_);
    if (!reg) return 2;
    auto p = passphrase_of("operator register", passphrase_);
    if (!p) return 2;
    auto text = boost::json::serialize(boost::json::object{{"passphrase", *p}});
    secure_zero(p->data(), p->size());
    const int code = call("operator register", options_, *reg, {http::verb::post, "/api/v1/chamber/register", text}, 200);
    secure_zero(text.data(), text.size());
    return code;
  }
  const std::string rotate = "/api/v1/chamber/rotate/";
  if (*rotate_kms_) {
    auto t = token("operator rotate kms");
    if (!t) return 2;
    boost::json::object body{{"kms_key_arns", boost::json::value_from(kms_key_arns_)}, {"kms_threshold", kms_threshold_}};
    return call("operator rotate kms", options_, *t, {http::verb::post, rotate + "kms", boost::json::serialize(body)}, 200);
  }
  if (*rotate_quorum_) {
    auto t = token("operator rotate quorum");
    if (!t) return 2;
    return print_hint(call("operator rotate quorum", options_, *t,
                           {http::verb::post, rotate + "quorum", boost::json::serialize(quorum_body())}, 200),
                      true);
  }
  if (*rotate_unseal_) {
    auto t = token("operator rotate unseal");
    if (!t) return 2;
    return print_hint(call("operator rotate unseal", options_, *t, {http::verb::post, rotate + "unseal", "{}"}, 200), true);
  }
  if (*rotate_mode_) {
    auto t = token("operator rotate mode");
    if (!t) return 2;
    boost::json::object body = mode_ == "quorum" ? quorum_body() : boost::json::object{};
    body["mode"] = mode_;
    return print_hint(call("operator rotate mode", options_, *t,
                           {http::verb::post, rotate + "mode", boost::json::serialize(body)}, 200),
                      mode_ == "quorum");
  }
  if (*rotate_cancel_) {
    auto t = token("operator rotate cancel");
    if (!t) return 2;
    return call("operator rotate cancel", options_, *t, {http::verb::post, rotate + "cancel", "{}"}, 200);
  }
  return std::nullopt;
}

Result<SignerResponse> operator_request(const OperatorOptions& options, const std::string& token,
                                        const SignerRequest& request) {
  SignerClientOptions client;
  client.url = options.signer_url;
  client.token = token;
  client.ca_cert = options.ca_cert;
  client.allow_plaintext = options.allow_plaintext;
  for (const auto& [index, hex] : {std::pair<std::uint32_t, const std::string&>{0, options.expected_pcr0},
                                   {8, options.expected_pcr8}}) {
    if (hex.empty()) continue;
    auto value = tee::parse_pcr_hex("--expected-pcr" + std::to_string(index), hex);
    if (!value) return value.error();
    client.expected_pcrs[index] = std::move(*value);
  }
  if (!options.attestation_root.empty() && client.expected_pcrs.empty()) {
    return Error::invalid("--attestation-root checks an enclave's attestation: give --expected-pcr0 (and "
                          "--expected-pcr8) too, or any enclave under that root would be trusted");
  }
  client.attestation_root = options.attestation_root;
  return signer_request(client, request);
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
  cmd.add_option("--expected-pcr0", options_.expected_pcr0,
                 "A signer in a Nitro Enclave: the enclave image's PCR0 (96 hex digits, `nitro-cli describe-eif`); "
                 "its certificate is then checked by attestation instead of a CA");
  cmd.add_option("--expected-pcr8", options_.expected_pcr8, "The same for PCR8, the image's signing certificate");
  cmd.add_option("--attestation-root", options_.attestation_root,
                 "Root certificate for attestation documents (default: AWS Nitro Enclaves Root-G1, pinned); "
                 "for tests with a simulated NSM")
      ->check(CLI::ExistingFile);
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
    if (operators_ > 0 || !operator_names_.empty() || unseal_threshold_ > 0) {
      if (operators_ > 0) body["operators"] = operators_;
      if (!operator_names_.empty()) body["operator_names"] = boost::json::value_from(operator_names_);
      body["unseal_threshold"] = unseal_threshold_;
    }
    const int code = call("operator init", options_, *t, {http::verb::post, "/api/v1/chamber/init", boost::json::serialize(body)}, 200);
    if (code == 0 && with_setup) std::cerr << "Store the management token now: it is not shown again.\n";
    if (code == 0 && operators_ + operator_names_.size() > 0) {
      std::cerr << "Hand each operator its registration token (single use): operator register --registration-token …\n";
    }
    return code;
  }
  if (*seal_) {
    auto t = token("operator seal");
    if (!t) return 2;
    return call("operator seal", options_, *t, {http::verb::post, "/api/v1/chamber/seal", ""}, 200);
  }
  if (auto code = run_quorum()) return code;
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
