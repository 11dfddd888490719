#include "app/operator_keys_command.hpp"

#include <sys/stat.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <sstream>

#include "app/operator_command.hpp"
#include "app/signer_client.hpp"
#include "keys/secret_file.hpp"

namespace cc::app {

namespace {

namespace http = boost::beast::http;

constexpr const char* kKeysPath = "/api/v1/chamber/keys";

std::optional<std::string> read_text(const std::string& command, const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    std::cerr << command << ": cannot read " << path << "\n";
    return std::nullopt;
  }
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The token itself, or the value of env:VAR (nullopt after saying why when it is unset).
std::optional<std::string> resolve_token(const std::string& command, const std::string& value) {
  if (value.rfind("env:", 0) != 0) return value;
  const char* v = std::getenv(value.substr(4).c_str());
  if (v == nullptr || *v == '\0') {
    std::cerr << command << ": --auth-token: environment variable " << value.substr(4) << " is not set\n";
    return std::nullopt;
  }
  return std::string(v);
}

void wipe(std::string& s) {
  std::fill(s.begin(), s.end(), '\0');
  s.clear();
}

// Sends the request; prints the answer; 1 when refused or when a key's status is error/not_found.
// `answer` receives the parsed answer.
int call_keys(const std::string& command, const OperatorOptions& options, SignerRequest request,
              boost::json::value* answer = nullptr) {
  auto token = resolve_token(command, options.auth_token);
  if (!token) return 2;
  auto res = operator_request(options, *token, request);
  wipe(request.body);  // an import body holds passwords
  if (!res) {
    std::cerr << command << ": " << res.error().message << "\n";
    return res.error().kind == Error::Kind::invalid_argument ? 2 : 1;
  }
  if (res->status != 200) {
    std::cerr << command << ": the signer answered " << res->status << ": " << res->body << "\n";
    return 1;
  }
  boost::system::error_code ec;
  auto doc = boost::json::parse(res->body, ec);
  if (ec || !doc.is_object()) {
    std::cout << res->body << "\n";
    return 0;
  }
  std::size_t failed = 0;
  if (const auto* data = doc.as_object().if_contains("data"); data != nullptr && data->is_array()) {
    for (const auto& e : data->as_array()) {
      const auto* status = e.is_object() ? e.as_object().if_contains("status") : nullptr;
      if (status != nullptr && status->is_string() &&
          (status->as_string() == "error" || status->as_string() == "not_found")) {
        ++failed;
      }
    }
  }
  // One JSON line per key keeps the output readable for large lists and easy to grep or jq.
  boost::json::object shown = doc.as_object();
  std::cout << "{\n";
  bool first = true;
  for (const auto& kv : shown) {
    std::cout << (first ? "" : ",\n") << "  " << boost::json::serialize(kv.key()) << ": ";
    first = false;
    if (kv.value().is_array()) {
      const auto& items = kv.value().as_array();
      std::cout << "[";
      for (std::size_t i = 0; i < items.size(); ++i) {
        std::cout << (i == 0 ? "\n    " : ",\n    ") << boost::json::serialize(items[i]);
      }
      std::cout << (items.empty() ? "]" : "\n  ]");
    } else {
      std::cout << boost::json::serialize(kv.value());
    }
  }
  std::cout << "\n}\n";
  if (answer != nullptr) *answer = std::move(doc);
  if (failed != 0) {
    std::cerr << command << ": " << failed << " key(s) failed (status error or not_found above)\n";
    return 1;
  }
  return 0;
}

}  // namespace

OperatorKeysCommands::OperatorKeysCommands(CLI::App& op, const std::function<void(CLI::App&)>& connection_options,
                                           const OperatorOptions& options)
    : options_(options) {
  auto* keys = op.add_subcommand(
      "keys",
      "The chamber's validator keys (the DynamoDB key source) through the Chamber key API; every command\n"
      "answers 503 while the chamber is sealed");
  keys->require_subcommand(1);
  list_ = keys->add_subcommand("list",
                               "Print every key: pubkey, status (active/inactive), storage (persistent/memory),\n"
                               "created_at (scope chamber_keys_list)");
  generate_ = keys->add_subcommand(
      "generate",
      "Generate new keys inside the signer (OpenSSL CSPRNG) and seal them into DynamoDB; prints their\n"
      "public keys (scope chamber_keys_generate; chamber.keys.generate.enabled)");
  generate_->add_option("--count", count_, "How many keys")->required()->check(CLI::Range(1u, 100000u));
  import_ =
      keys->add_subcommand("import",
                           "Import EIP-2335 keystores, sealed into DynamoDB (or held in memory with --memory) (scope\n"
                           "chamber_keys_import; chamber.keys.import.enabled)");
  import_->add_option("--keystore", keystores_, "Keystore JSON file (repeat for more)")
      ->required()
      ->check(CLI::ExistingFile);
  import_
      ->add_option("--password-file", password_files_,
                   "File holding the keystore's password: one for all keystores, or one per --keystore in order")
      ->required()
      ->check(CLI::ExistingFile);
  import_
      ->add_option("--slashing-protection", slashing_protection_,
                   "EIP-3076 interchange file imported (all or nothing) before the keys can sign")
      ->check(CLI::ExistingFile);
  for (auto* cmd : {generate_, import_}) {
    cmd->add_flag("--memory", memory_,
                  "Hold the keys in this signer's memory only: not stored, gone at restart or seal");
  }
  activate_ = keys->add_subcommand("activate", "Load and sign with inactive keys again (scope chamber_keys_patch)");
  deactivate_ = keys->add_subcommand(
      "deactivate",
      "Keep keys stored but stop loading and signing with them, here at once and on other replicas at\n"
      "their refresh (scope chamber_keys_patch; chamber.keys.lifecycle.enabled)");
  delete_ = keys->add_subcommand(
      "delete",
      "Delete keys. Their slashing protection stays in the database: the keys are disabled there and\n"
      "their history is returned (scope chamber_keys_delete; chamber.keys.lifecycle.enabled)");
  delete_->add_option("--slashing-protection-out", slashing_protection_out_,
                      "Write the returned EIP-3076 interchange to this file (mode 0600)");
  for (auto* cmd : {activate_, deactivate_, delete_}) {
    cmd->add_option("pubkeys", pubkeys_, "Public keys (0x hex)")->required();
  }
  for (auto* cmd : {list_, generate_, import_, activate_, deactivate_, delete_}) connection_options(*cmd);
}

std::optional<int> OperatorKeysCommands::run_parsed() const {
  const std::string path = kKeysPath;
  auto storage = [this] { return boost::json::object{{"persist", !memory_}}; };
  if (*list_) return call_keys("operator keys list", options_, {http::verb::get, path, ""});
  if (*generate_) {
    const boost::json::object body{{"count", count_}, {"storage", storage()}};
    return call_keys("operator keys generate", options_,
                     {http::verb::post, path + "/generate", boost::json::serialize(body)});
  }
  if (*import_) {
    const std::string command = "operator keys import";
    if (password_files_.size() != 1 && password_files_.size() != keystores_.size()) {
      std::cerr << command << ": give one --password-file for all keystores or one per --keystore ("
                << keystores_.size() << " keystores, " << password_files_.size() << " password files)\n";
      return 2;
    }
    boost::json::array keystores, passwords;
    for (std::size_t i = 0; i < keystores_.size(); ++i) {
      auto text = read_text(command, keystores_[i]);
      if (!text) return 2;
      keystores.emplace_back(*text);
      auto password = keys::read_password_file(password_files_[password_files_.size() == 1 ? 0 : i]);
      if (!password) {
        std::cerr << command << ": " << password.error().message << "\n";
        return 2;
      }
      passwords.emplace_back(std::string_view(reinterpret_cast<const char*>(password->data()), password->size()));
    }
    boost::json::object body{
        {"keystores", std::move(keystores)}, {"passwords", std::move(passwords)}, {"storage", storage()}};
    if (!slashing_protection_.empty()) {
      auto text = read_text(command, slashing_protection_);
      if (!text) return 2;
      body["slashing_protection"] = *text;
    }
    std::string serialized = boost::json::serialize(body);
    for (auto& p : body["passwords"].as_array()) {
      auto& s = p.as_string();
      std::fill(s.begin(), s.end(), '\0');
    }
    return call_keys(command, options_, {http::verb::post, path, std::move(serialized)});
  }
  if (*activate_ || *deactivate_) {
    const bool active = static_cast<bool>(*activate_);
    const boost::json::object body{{"pubkeys", boost::json::value_from(pubkeys_)},
                                   {"status", active ? "active" : "inactive"}};
    return call_keys(active ? "operator keys activate" : "operator keys deactivate", options_,
                     {http::verb::patch, path, boost::json::serialize(body)});
  }
  if (*delete_) {
    const std::string command = "operator keys delete";
    const boost::json::object body{{"pubkeys", boost::json::value_from(pubkeys_)}};
    boost::json::value answer;
    const int code = call_keys(command, options_, {http::verb::delete_, path, boost::json::serialize(body)}, &answer);
    const auto* sp = answer.is_object() ? answer.as_object().if_contains("slashing_protection") : nullptr;
    if (!slashing_protection_out_.empty() && sp != nullptr && sp->is_string()) {
      const mode_t old = ::umask(077);
      std::ofstream out(slashing_protection_out_, std::ios::binary | std::ios::trunc);
      ::umask(old);
      out << sp->as_string().c_str() << "\n";
      if (!out) {
        std::cerr << command << ": cannot write " << slashing_protection_out_ << "\n";
        return 1;
      }
      std::cerr << "slashing protection of the deleted keys written to " << slashing_protection_out_ << "\n";
    }
    return code;
  }
  return std::nullopt;
}

}  // namespace cc::app
