// containment-chamber: an Ethereum consensus-layer remote signer.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/aws_command.hpp"
#include "app/config_options.hpp"
#include "app/config_reference.hpp"
#include "app/controller_command.hpp"
#include "app/keys_command.hpp"
#include "app/operator_command.hpp"
#include "app/server_command.hpp"
#include "app/slashing_command.hpp"
#include "app/watermark_command.hpp"
#include "core/log.hpp"
#include "core/process_guard.hpp"

namespace {

constexpr const char* kVersion = CC_VERSION;

constexpr const char* kDescription =
    "Containment Chamber: a remote signer for Ethereum consensus-layer validators.\n"
    "It speaks the Web3Signer / remote-signing-api HTTP API, recomputes every signing root, and records\n"
    "blocks and attestations durably in its anti-slashing database before any signature leaves it.";

constexpr const char* kServerFooter = R"(
CONFIGURATION
  Settings come from, highest precedence first:
    1. the flags above;
    2. environment variables CONTAINMENT_<SECTION>__<KEY>, e.g. CONTAINMENT_ANTI_SLASHING__PATH=/data/db.sqlite
       (list values comma-separated);
    3. the file given with --config (YAML, or JSON), e.g.
         network: mainnet
         server: {listen_address: 0.0.0.0, listen_port: 9000}
         key_sources:
           filesystem: {paths: [./keys]}
         anti_slashing: {backend: sqlite, path: ./data/slashing.sqlite}
    4. built-in defaults (shown in brackets).
  An unknown or misspelt key, in the file or in a CONTAINMENT_ variable, stops start-up with a message naming it.

KEYS
  Each directory in key_sources.filesystem.paths may hold:
    - EIP-2335 keystores <name>.json, each with its password in <name>.txt beside it;
    - Web3Signer YAML descriptors (*.yaml): type: file-keystore (keystoreFile, keystorePasswordFile)
      or type: file-raw (privateKey).
  Keys load in the background; /healthcheck answers 503 until all are loaded, and names any that failed.
  A descriptor with `canary: true` (or a public key in key_sources.canary_keys) is a tripwire: listed, never signs.

SIGNALS
  SIGHUP            reload keys (as POST /reload): new files load, deleted files' keys go
  SIGTERM, SIGINT   stop accepting, answer the requests in flight (server.shutdown_timeout_seconds), exit 0

ENDPOINTS (port server.listen_port)
  POST /api/v1/eth2/sign/{pubkey}   sign; 400 malformed, 403 wrong network, 404 unknown key,
                                    412 refused by anti-slashing, 503 overloaded or database unavailable
  GET  /api/v1/eth2/publicKeys      loaded public keys
  GET  /upcheck                     liveness ("OK")
  GET  /healthcheck                 readiness (JSON; 503 until keys are loaded and the database is writable)
  GET  /api/v1/eth2/highWatermark   the high watermark {"epoch","slot"}, {} when none (see `slashing watermark`)
  POST /reload                      rescan key files (202; 409 while one runs); GET /reload: the last outcome
  /api/v1/chamber/auth/...          the Auth API: policies and tokens (see `operator auth --help`)
  /api/v1/chamber/keys[/generate]   the Chamber key API: keys of the DynamoDB key source (see `operator keys --help`)

AUTH
  Until a policy (auth.policies) or a runtime token exists, every endpoint but the Auth API is open. A signer
  whose state (signer_state.path) holds no management token logs a one-time setup token at start; exchange it
  with `containment-chamber operator generate-root-token`, then create tokens with `operator auth tokens create`.

EXAMPLE
  containment-chamber keys generate --count 4 --out ./keys --password-file ./pw.txt
  containment-chamber server --network hoodi --key-sources-filesystem-paths ./keys
)";

}  // namespace

int main(int argc, char** argv) {
  // Before any secret is read: no core dumps, no same-user ptrace (core/process_guard.hpp).
  if (auto guarded = cc::keep_secrets_out_of_dumps(); !guarded) {
    std::cerr << "containment-chamber: cannot keep secrets out of core dumps: " << guarded.error().message << "\n";
    return 1;
  }
  CLI::App app{kDescription, "containment-chamber"};
  app.set_version_flag("--version", std::string("containment-chamber ") + kVersion);
  app.require_subcommand(1);
  app.get_formatter()->column_width(44);

  // server
  auto* server = app.add_subcommand("server", "Run the signer (HTTP signing API, anti-slashing, keys)");
  cc::app::ConfigOptions server_config(*server);
  server->footer(kServerFooter);

  // keys
  auto* keys = app.add_subcommand("keys", "Manage local keystores");
  keys->require_subcommand(1);
  cc::app::KeysGenerateOptions gen;
  auto* generate = keys->add_subcommand(
      "generate",
      "Create new random validator keys as EIP-2335 keystores (for testnets and demos: the keys are not\n"
      "derived from a mnemonic, so back up the keystore files themselves)");
  generate->add_option("--count", gen.count, "Number of keys to create")->required()->check(CLI::Range(1, 100000));
  generate->add_option("--out", gen.out_dir, "Directory to write <name>.json and <name>.txt pairs into")->required();
  auto* pw = generate->add_option("--password", gen.password,
                                  "Keystore password (prefer --password-file; env:VAR reads a variable)");
  auto* pwf = generate->add_option("--password-file", gen.password_file, "File holding the keystore password")
                  ->check(CLI::ExistingFile);
  pw->excludes(pwf);
  generate->add_option("--kdf", gen.kdf, "Key derivation function")->check(CLI::IsMember({"scrypt", "pbkdf2"}))
      ->capture_default_str();
  generate->add_flag("--insecure-fast-kdf", gen.fast_kdf,
                     "Use tiny KDF parameters (tests only: such keystores are easy to brute-force)");

  // slashing
  auto* slashing = app.add_subcommand(
      "slashing", "The configured anti-slashing database: EIP-3076 interchange, watermarks, pruning");
  slashing->require_subcommand(1);
  slashing->footer(
      "\nWith SQLite, run these while the signer is stopped: a running signer holds the database, and the\n"
      "commands refuse. With PostgreSQL, watermark and prune work while replicas run. All take the same\n"
      "--config, environment and flags as `server` to find the database.");
  auto* import_cmd = slashing->add_subcommand(
      "import", "Import an EIP-3076 interchange file (all or nothing; refused if its genesis_validators_root\n"
                "is not the configured network's). Imported history raises each key's low watermarks.");
  std::string import_from;
  import_cmd->add_option("--from", import_from, "Interchange JSON file to import")->required()->check(CLI::ExistingFile);
  cc::app::ConfigOptions import_config(*import_cmd);
  auto* export_cmd = slashing->add_subcommand("export", "Export the database as an EIP-3076 interchange file (v5)");
  std::string export_to;
  std::vector<std::string> export_pubkeys;
  export_cmd->add_option("--to", export_to, "File to write (written atomically)")->required();
  export_cmd->add_option("--pubkeys", export_pubkeys, "Only these public keys (0x hex; default: all)")->delimiter(',');
  cc::app::ConfigOptions export_config(*export_cmd);
  cc::app::WatermarkCommands watermark_commands(*slashing);

  // aws
  auto* aws = app.add_subcommand("aws", "AWS resources of the configured backends");
  aws->require_subcommand(1);
  auto* create_tables = aws->add_subcommand(
      "create-tables",
      "Create the DynamoDB tables the configuration names (anti_slashing.table, signer_state.table,\n"
      "key_sources.dynamodb.table) with the keys and index each store needs, or check the existing ones.\n"
      "The IAM policy this needs and the table layouts: docs/aws-iam.md.");
  cc::app::ConfigOptions create_tables_config(*create_tables);

  // config
  auto* config_cmd = app.add_subcommand("config", "The configuration model");
  config_cmd->require_subcommand(1);
  auto* reference = config_cmd->add_subcommand(
      "reference", "Print the configuration reference (Markdown: every key, type, default, environment variable\n"
                   "and flag); docs/configuration.md is this output");

  // operator
  cc::app::OperatorCommands operator_commands(app);

  // controller, enclave (Nitro mode)
  cc::app::ControllerCommands controller_commands(app);

  CLI11_PARSE(app, argc, argv);
  if (auto code = operator_commands.run_parsed()) return *code;
  if (auto code = controller_commands.run_parsed()) return *code;

  auto load = [](const cc::app::ConfigOptions& options, cc::Config& out) {
    try {
      out = options.load();
      return true;
    } catch (const cc::ConfigError& e) {
      std::cerr << "containment-chamber: configuration error: " << e.what() << "\n";
      return false;
    }
  };
  cc::Config config;
  if (*server) {
    if (!load(server_config, config)) return 2;
    cc::setup_logging(config.logging.level, config.logging.format == "json" ? cc::LogFormat::json : cc::LogFormat::text);
    return cc::app::run_server(config);
  }
  if (*import_cmd) {
    if (!load(import_config, config)) return 2;
    return cc::app::run_slashing_import(config, import_from);
  }
  if (*export_cmd) {
    if (!load(export_config, config)) return 2;
    return cc::app::run_slashing_export(config, export_to, export_pubkeys);
  }
  if (auto code = watermark_commands.run_parsed()) return *code;
  if (*create_tables) {
    if (!load(create_tables_config, config)) return 2;
    cc::setup_logging("warn", cc::LogFormat::text);
    return cc::app::run_aws_create_tables(config);
  }
  if (*reference) {
    std::cout << cc::app::config_reference_markdown();
    return 0;
  }
  if (*generate) {
    cc::setup_logging("info", cc::LogFormat::text);
    return cc::app::run_keys_generate(gen);
  }
  return 0;
}
