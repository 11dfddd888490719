#pragma once
// nitro-cli, the AWS Nitro Enclaves command line, as the controller uses it: run-enclave,
// describe-enclaves and terminate-enclave, each answering JSON on stdout
// (https://docs.aws.amazon.com/enclaves/latest/user/cmd-nitro-*.html). The program path is
// configurable; the tests run a stand-in with the same arguments and output.
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace cc::controller {

struct EnclaveRequest {
  std::string eif_path;
  unsigned cpu_count = 2;
  unsigned memory_mib = 1024;
  std::optional<std::uint32_t> enclave_cid;  // default: nitro-cli picks one
  std::string name = "containment-chamber";
};

struct EnclaveInfo {
  std::string id;          // EnclaveID
  std::string name;        // EnclaveName
  std::uint32_t cid = 0;   // EnclaveCID
  std::string state;       // State: RUNNING, TERMINATING (describe-enclaves only)
};

// Parses run-enclave's object or describe-enclaves' list; errors name the missing field.
Result<EnclaveInfo> parse_enclave_info(const std::string& json);
Result<std::vector<EnclaveInfo>> parse_enclave_list(const std::string& json);

class NitroCli {
 public:
  explicit NitroCli(std::string program = "nitro-cli") : program_(std::move(program)) {}

  // Errors carry nitro-cli's own message (its E-codes tell an operator what is wrong: no
  // hugepages, too many CPUs, a bad EIF signature, …).
  Result<EnclaveInfo> run_enclave(const EnclaveRequest& request) const;
  Result<std::vector<EnclaveInfo>> describe_enclaves() const;
  Status terminate_enclave(const std::string& enclave_id) const;  // empty id: --all

 private:
  std::string program_;
};

}  // namespace cc::controller
