#include "app/controller_command.hpp"

#include <signal.h>
#include <spdlog/spdlog.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <thread>

#include "app/server_command.hpp"
#include "controller/controller.hpp"
#include "core/log.hpp"

namespace cc::app {

namespace {

constexpr const char* kControllerFooter = R"(
The parent side of Nitro mode (the -nitro image). It starts the enclave with nitro-cli, opens one
proxy per tee.nitro.egress.endpoints entry (the enclave reaches nothing else), forwards the ingress
ports to the enclave, hands the enclave this configuration over vsock (an enclave image holds no
configuration of its own) and exits non-zero when the enclave stops, so Kubernetes restarts the pod.
It never sees keys or TLS traffic in the clear.

ENVIRONMENT (the defaults; flags win)
  ENCLAVE_EIF_PATH, ENCLAVE_CPU_COUNT, ENCLAVE_MEMORY_MIB, ENCLAVE_CID, ENCLAVE_INGRESS_PORTS
  ("9443:9443,9000:9000"; default: tls.listen_port, server.listen_port and metrics.listen_port,
  each to the same vsock port), NITRO_CLI.
  CONTAINMENT_* variables apply to the configuration here and are handed to the enclave, with
  AWS_REGION and every variable the configuration names as env:VAR.
)";

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v != nullptr && *v != '\0' ? std::string(v) : fallback;
}

template <typename T>
T env_number(const char* name, T fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  try {
    return static_cast<T>(std::stoul(v));
  } catch (const std::exception&) {
    throw ConfigError(std::string("environment ") + name + ": '" + v + "' is not a number");
  }
}

}  // namespace

tee::BootPackage boot_package_for(const std::string& config_name, const std::string& config_text, char** environ_vars) {
  tee::BootPackage p;
  p.config_name = config_name;
  p.config_text = config_text;
  // AWS_WEB_IDENTITY_TOKEN_FILE names a file of the parent's: the token's text travels instead
  // (the controller reads and renews it), and the enclave points the variable at its own copy.
  std::set<std::string> wanted = {"AWS_REGION",      "AWS_DEFAULT_REGION",    "AWS_ACCESS_KEY_ID",
                                  "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_ROLE_ARN",
                                  "AWS_ROLE_SESSION_NAME", "AWS_STS_REGIONAL_ENDPOINTS"};
  static const std::regex env_ref(R"(env:([A-Za-z_][A-Za-z0-9_]*))");
  for (std::sregex_iterator it(config_text.begin(), config_text.end(), env_ref), end; it != end; ++it) {
    wanted.insert((*it)[1].str());
  }
  for (char** e = environ_vars; e != nullptr && *e != nullptr; ++e) {
    const std::string entry(*e);
    const auto eq = entry.find('=');
    if (eq == std::string::npos) continue;
    const auto name = entry.substr(0, eq);
    if (name == "AWS_WEB_IDENTITY_TOKEN_FILE") continue;
    if (name.rfind("CONTAINMENT_", 0) == 0 || wanted.count(name) != 0) p.environment[name] = entry.substr(eq + 1);
  }
  return p;
}

Status write_token_file(const std::string& path, const std::string& token) {
  std::error_code ec;
  const auto file = std::filesystem::path(path);
  if (file.has_parent_path()) std::filesystem::create_directories(file.parent_path(), ec);
  const auto temporary = file.string() + ".new";
  {
    std::ofstream out(temporary, std::ios::binary | std::ios::trunc);
    out << token;
    if (!out) return Error::unavailable("cannot write the web identity token to " + temporary);
  }
  std::filesystem::permissions(temporary, std::filesystem::perms::owner_read | std::filesystem::perms::owner_write, ec);
  std::filesystem::rename(temporary, file, ec);
  if (ec) return Error::unavailable("cannot replace the web identity token " + path + ": " + ec.message());
  return {};
}

Result<Config> config_of_boot_package(const tee::BootPackage& package) {
  if (package.token_only()) return Error::invalid("a token renewal arrived before any configuration");
  Config config;
  try {
    apply_config_text(config, package.config_text, package.config_name);
    std::vector<std::string> entries;
    for (const auto& [k, v] : package.environment) entries.push_back(k + "=" + v);
    std::vector<char*> env;
    for (auto& e : entries) env.push_back(e.data());
    env.push_back(nullptr);
    apply_config_env(config, env.data());
    validate_config(config);
  } catch (const ConfigError& e) {
    return Error::invalid(e.what());
  }
  if (config.tee.platform != "nitro") {
    return Error::invalid(package.config_name + ": an enclave runs only with tee.platform: nitro");
  }
  return config;
}

ControllerCommands::ControllerCommands(CLI::App& app) {
  // The environment sets the defaults (the chart passes these); flags given on the command line win.
  eif_path_ = env_or("ENCLAVE_EIF_PATH", eif_path_);
  ingress_ = env_or("ENCLAVE_INGRESS_PORTS", ingress_);
  nitro_cli_ = env_or("NITRO_CLI", nitro_cli_);
  try {
    cpu_count_ = env_number("ENCLAVE_CPU_COUNT", cpu_count_);
    memory_mib_ = env_number("ENCLAVE_MEMORY_MIB", memory_mib_);
    enclave_cid_ = env_number("ENCLAVE_CID", enclave_cid_);
  } catch (const ConfigError& e) {
    env_error_ = e.what();
  }
  controller_ = app.add_subcommand("controller", "Run the parent side of Nitro mode: start and watch the enclave, move bytes");
  controller_->footer(kControllerFooter);
  controller_->add_option("-c,--config", config_file_, "Configuration file (the same one the enclave will run)")
      ->check(CLI::ExistingFile);
  controller_->add_option("--eif-path", eif_path_, "Enclave image file [ENCLAVE_EIF_PATH]")->capture_default_str();
  controller_->add_option("--cpu-count", cpu_count_, "vCPUs for the enclave [ENCLAVE_CPU_COUNT]")->capture_default_str();
  controller_->add_option("--memory-mib", memory_mib_, "Memory for the enclave, MiB [ENCLAVE_MEMORY_MIB]")
      ->capture_default_str();
  controller_->add_option("--enclave-cid", enclave_cid_, "The enclave's vsock CID [ENCLAVE_CID] (default: nitro-cli picks)");
  controller_->add_option("--ingress", ingress_, "TCP:vsock port pairs to forward into the enclave [ENCLAVE_INGRESS_PORTS]");
  controller_->add_option("--listen-address", listen_address_, "Address of the ingress listeners")->capture_default_str();
  controller_->add_option("--boot-vsock-port", boot_port_, "vsock port the enclave waits for its configuration on")
      ->capture_default_str();
  controller_->add_option("--boot-timeout-seconds", boot_timeout_seconds_, "How long the enclave may take to boot")
      ->capture_default_str();
  controller_->add_option("--nitro-cli", nitro_cli_, "The nitro-cli program [NITRO_CLI]")->capture_default_str();
  controller_->add_option("--enclave-id-file", enclave_id_file_, "Where the running enclave's id is kept for `stop`")
      ->capture_default_str();
  stop_ = controller_->add_subcommand("stop", "Terminate the enclave this controller started (a preStop hook)");
  stop_->add_option("--nitro-cli", nitro_cli_, "The nitro-cli program [NITRO_CLI]")->capture_default_str();
  stop_->add_option("--enclave-id-file", enclave_id_file_, "Where the running enclave's id is kept")->capture_default_str();
  controller_->require_subcommand(0, 1);

  enclave_ = app.add_subcommand("enclave", "Entry point inside a Nitro Enclave: wait for the configuration, then run the signer");
  enclave_->add_option("--boot-vsock-port", boot_port_, "vsock port to receive the configuration on")->capture_default_str();
  enclave_->add_option("--boot-timeout-seconds", boot_timeout_seconds_, "How long to wait for it")->capture_default_str();
  enclave_->add_option("--nsm-device", nsm_device_, "The Nitro Secure Module (a simulator socket in tests)")
      ->capture_default_str();
  enclave_->add_option("--hosts-file", hosts_file_, "Where the egress names are mapped to their loopbacks")
      ->capture_default_str();
  enclave_->add_option("--web-identity-token-file", token_file_,
                       "Where the enclave keeps the EKS IRSA token the controller hands over (and renews)")
      ->capture_default_str();
}

std::optional<int> ControllerCommands::run_parsed() const {
  if (*stop_) {
    setup_logging("info", LogFormat::text);
    if (auto st = controller::stop_enclave(nitro_cli_, enclave_id_file_); !st) {
      spdlog::error("controller stop: {}", st.error().message);
      return 1;
    }
    return 0;
  }
  if (*controller_) return run_controller();
  if (*enclave_) return run_enclave();
  return std::nullopt;
}

int ControllerCommands::run_controller() const {
  Config config;
  std::string text;
  controller::ControllerOptions o;
  try {
    if (!env_error_.empty()) throw ConfigError(env_error_);
    if (!config_file_.empty()) {
      std::ifstream in(config_file_);
      std::stringstream ss;
      ss << in.rdbuf();
      text = ss.str();
      apply_config_text(config, text, config_file_);
    }
    apply_config_env(config, environ);
    validate_config(config);
    if (config.tee.platform != "nitro") {
      throw ConfigError("the controller runs Nitro mode: set tee.platform: nitro (with tls.mode: atls and a dynamodb "
                        "signer_state)");
    }
    o.enclave.eif_path = eif_path_;
    o.enclave.cpu_count = cpu_count_;
    o.enclave.memory_mib = memory_mib_;
    if (enclave_cid_ != 0) o.enclave.enclave_cid = enclave_cid_;
    auto ingress_text = ingress_;
    if (ingress_text.empty()) {
      ingress_text = std::to_string(config.tls.listen_port) + "," + std::to_string(config.server.listen_port) + "," +
                     std::to_string(config.metrics.listen_port);
    }
    auto ingress = controller::parse_ingress(ingress_text);
    if (!ingress) throw ConfigError(ingress.error().message);
    o.ingress = *ingress;
  } catch (const ConfigError& e) {
    std::cerr << "containment-chamber controller: configuration error: " << e.what() << "\n";
    return 2;
  }
  setup_logging(config.logging.level, config.logging.format == "json" ? LogFormat::json : LogFormat::text);
  o.nitro_cli = nitro_cli_;
  o.listen_address = listen_address_;
  o.egress = config.tee.egress;
  o.boot_port = boot_port_;
  o.boot_timeout = std::chrono::seconds(boot_timeout_seconds_);
  o.enclave_id_file = enclave_id_file_;
  o.boot = boot_package_for(config_file_.empty() ? "(environment)" : config_file_, text, environ);
  o.web_identity_token_file = env_or("AWS_WEB_IDENTITY_TOKEN_FILE", "");

  // SIGTERM/SIGINT stop it (terminating the enclave); a thread waits for them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  controller::Controller controller(o);
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    if (sig != 0) controller.stop();
  });
  const auto st = controller.run();
  pthread_kill(waiter.native_handle(), SIGTERM);  // wake the waiter if no signal came
  waiter.join();
  if (!st) {
    spdlog::error("controller: {}", st.error().message);
    return 1;
  }
  return 0;
}

int ControllerCommands::run_enclave() const {
  setup_logging("info", LogFormat::text);
  spdlog::info("enclave: waiting for the configuration on vsock port {}", boot_port_);
  std::optional<Config> config;
  auto package = tee::receive_boot_package(
      tee::SocketAddress::vsock(tee::kVsockAnyCid, boot_port_), std::chrono::seconds(boot_timeout_seconds_),
      [&](const tee::BootPackage& p) -> Status {
        auto c = config_of_boot_package(p);
        if (!c) {
          spdlog::error("enclave: configuration refused: {}", c.error().message);
          return c.error();
        }
        config = std::move(*c);
        config->tee.nsm_device = nsm_device_;
        config->tee.hosts_file = hosts_file_;
        return {};
      });
  if (!package) {
    spdlog::error("enclave: {}", package.error().message);
    return 1;
  }
  // env:VAR references in the configuration resolve against what the controller handed over.
  for (const auto& [k, v] : package->environment) ::setenv(k.c_str(), v.c_str(), 1);
  setup_logging(config->logging.level, config->logging.format == "json" ? LogFormat::json : LogFormat::text);
  spdlog::info("enclave: configuration {} taken", package->config_name);
  if (!package->web_identity_token.empty()) {
    if (auto ok = write_token_file(token_file_, package->web_identity_token); !ok) {
      spdlog::error("enclave: {}", ok.error().message);
      return 1;
    }
    ::setenv("AWS_WEB_IDENTITY_TOKEN_FILE", token_file_.c_str(), 1);
    spdlog::info("enclave: web identity token kept in {}; renewals are taken on vsock port {}", token_file_, boot_port_);
    // Renewals arrive as token-only packages on the boot port for as long as the signer runs (the
    // thread ends with the process).
    std::thread([port = boot_port_, file = token_file_] {
      for (;;) {
        auto renewal = tee::receive_boot_package(
            tee::SocketAddress::vsock(tee::kVsockAnyCid, port), std::chrono::hours(24), [&](const tee::BootPackage& p) -> Status {
              if (!p.token_only()) {
                return Error::invalid("this enclave is configured already; restart it to change its configuration");
              }
              return write_token_file(file, p.web_identity_token);
            });
        if (renewal) spdlog::info("enclave: web identity token renewed");
      }
    }).detach();
  }
  return run_server(*config);
}

}  // namespace cc::app
