#include "controller/nitro_cli.hpp"

#include <boost/json.hpp>

#include "controller/program.hpp"

namespace cc::controller {

namespace {

std::string trimmed(std::string s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == ' ' || s.back() == '\r')) s.pop_back();
  return s;
}

Result<EnclaveInfo> info_of(const boost::json::value& v) {
  if (!v.is_object()) return Error::invalid("nitro-cli: expected a JSON object describing an enclave");
  const auto& o = v.as_object();
  EnclaveInfo info;
  const auto* id = o.if_contains("EnclaveID");
  const auto* cid = o.if_contains("EnclaveCID");
  if (id == nullptr || !id->is_string()) return Error::invalid("nitro-cli: answer without EnclaveID");
  if (cid == nullptr || !(cid->is_int64() || cid->is_uint64())) return Error::invalid("nitro-cli: answer without EnclaveCID");
  info.id = std::string(id->as_string());
  info.cid = static_cast<std::uint32_t>(cid->is_int64() ? cid->as_int64() : static_cast<std::int64_t>(cid->as_uint64()));
  if (const auto* name = o.if_contains("EnclaveName"); name != nullptr && name->is_string()) info.name = name->as_string();
  if (const auto* state = o.if_contains("State"); state != nullptr && state->is_string()) info.state = state->as_string();
  return info;
}

Result<boost::json::value> parse(const std::string& json) {
  boost::system::error_code ec;
  auto v = boost::json::parse(json, ec);
  if (ec) return Error::invalid("nitro-cli printed something that is not JSON: " + trimmed(json.substr(0, 200)));
  return v;
}

Result<ProgramOutput> run(const std::string& program, std::vector<std::string> args, std::chrono::seconds timeout) {
  args.insert(args.begin(), program);
  auto out = run_program(args, timeout);
  if (!out) return out.error();
  if (out->exit_code != 0) {
    return Error::unavailable(program + " " + args[1] + " failed (exit " + std::to_string(out->exit_code) +
                              "): " + trimmed(out->err.empty() ? out->out : out->err));
  }
  return out;
}

}  // namespace

Result<EnclaveInfo> parse_enclave_info(const std::string& json) {
  auto v = parse(json);
  if (!v) return v.error();
  return info_of(*v);
}

Result<std::vector<EnclaveInfo>> parse_enclave_list(const std::string& json) {
  auto v = parse(json);
  if (!v) return v.error();
  if (!v->is_array()) return Error::invalid("nitro-cli describe-enclaves: expected a JSON list");
  std::vector<EnclaveInfo> out;
  for (const auto& e : v->as_array()) {
    auto info = info_of(e);
    if (!info) return info.error();
    out.push_back(std::move(*info));
  }
  return out;
}

Result<EnclaveInfo> NitroCli::run_enclave(const EnclaveRequest& r) const {
  std::vector<std::string> args = {"run-enclave",  "--eif-path",    r.eif_path, "--cpu-count",
                                   std::to_string(r.cpu_count), "--memory", std::to_string(r.memory_mib),
                                   "--enclave-name", r.name};
  if (r.enclave_cid) args.insert(args.end(), {"--enclave-cid", std::to_string(*r.enclave_cid)});
  auto out = run(program_, args, std::chrono::seconds(120));
  if (!out) return out.error();
  return parse_enclave_info(out->out);
}

Result<std::vector<EnclaveInfo>> NitroCli::describe_enclaves() const {
  auto out = run(program_, {"describe-enclaves"}, std::chrono::seconds(30));
  if (!out) return out.error();
  return parse_enclave_list(out->out);
}

Status NitroCli::terminate_enclave(const std::string& enclave_id) const {
  std::vector<std::string> args = {"terminate-enclave"};
  if (enclave_id.empty()) {
    args.push_back("--all");
  } else {
    args.insert(args.end(), {"--enclave-id", enclave_id});
  }
  auto out = run(program_, args, std::chrono::seconds(60));
  if (!out) return out.error();
  return {};
}

}  // namespace cc::controller
