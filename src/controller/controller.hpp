#pragma once
// The parent side of Nitro mode (`containment-chamber controller`, the -nitro image's process):
//   1. starts one proxy per egress entry (vsock:any:<vsock_port> → <hostname>:<port>), so the
//      enclave can reach KMS, DynamoDB, STS or PostgreSQL — and nothing else — from its first
//      instruction;
//   2. starts the enclave (nitro-cli run-enclave) and records its id for `controller stop`;
//   3. opens the ingress listeners (TCP <listen_address>:<port> → vsock:<enclave cid>:<port>);
//   4. hands the enclave its configuration over vsock (tee/boot.hpp) and reports a refusal;
//   5. watches it (nitro-cli describe-enclaves): when it is gone or not RUNNING, run() returns an
//      error so the process exits non-zero and Kubernetes restarts the pod; and, with EKS IRSA,
//      sends the enclave the web identity token again whenever the kubelet has renewed the file.
// stop() (SIGTERM, or the chart's preStop through `controller stop`) terminates the enclave.
// The controller moves bytes only: TLS ends inside the enclave, keys never leave it.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "controller/nitro_cli.hpp"
#include "core/config.hpp"
#include "core/result.hpp"
#include "tee/boot.hpp"

namespace cc::controller {

struct IngressMapping {
  std::uint16_t tcp_port = 0;     // on the parent (the pod's port)
  std::uint32_t vsock_port = 0;   // on the enclave
  bool operator==(const IngressMapping&) const = default;
};

// "9443:9443,9000" → {9443→9443, 9000→9000}; errors name the item.
Result<std::vector<IngressMapping>> parse_ingress(std::string_view text);

struct ControllerOptions {
  EnclaveRequest enclave;
  std::string nitro_cli = "nitro-cli";
  std::string listen_address = "0.0.0.0";
  std::vector<IngressMapping> ingress;
  std::vector<EgressEndpointConfig> egress;
  std::uint32_t boot_port = tee::kDefaultBootPort;
  tee::BootPackage boot;
  std::chrono::milliseconds boot_timeout{std::chrono::minutes(2)};
  std::chrono::milliseconds watch_interval{std::chrono::seconds(5)};
  std::string enclave_id_file = "/tmp/containment-chamber-enclave.id";
  std::string web_identity_token_file;  // AWS_WEB_IDENTITY_TOKEN_FILE on the parent; empty: no IRSA
};

class Controller {
 public:
  explicit Controller(ControllerOptions options) : options_(std::move(options)), cli_(options_.nitro_cli) {}

  // Runs until the enclave stops (an error naming why) or stop() (ok, after terminating it).
  Status run();
  void stop();

 private:
  bool wait_stopped(std::chrono::milliseconds d);

  ControllerOptions options_;
  NitroCli cli_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
};

// `controller stop`: terminates the enclave recorded in `enclave_id_file` (all enclaves when the
// file is missing: the pod holds one).
Status stop_enclave(const std::string& nitro_cli, const std::string& enclave_id_file);

}  // namespace cc::controller
