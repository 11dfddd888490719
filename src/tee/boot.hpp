#pragma once
// Boot hand-off: an enclave image is built once and measured (PCR0), so the operator's
// configuration cannot be inside it. At start the enclave listens on one vsock port and waits for
// its parent's controller to hand over a BootPackage — the configuration file's text and the
// environment variables the configuration may refer to (CONTAINMENT_* overrides, env:VAR secrets,
// AWS_REGION, …). The enclave applies them exactly as `server` applies a file and its environment,
// answers whether they were accepted, and only then starts.
//
// Wire format, one exchange per connection: the controller sends a 4-byte big-endian length and
// that many bytes of JSON {"version": 1, "config_name": "...", "config": "<text>", "environment":
// {"NAME": "value", ...}, "web_identity_token": "..." (optional)}; the enclave answers the same framing with {"ok": true} or
// {"ok": false, "error": "..."}. Packages above 1 MiB are refused. Nothing here is secret from the
// parent (it handed the values over), and the configuration of an enclave is not where its keys
// are: those come from KMS under attestation.
//
// EKS IRSA: the pod's projected service-account token lives in a file on the parent, which the
// enclave cannot read, and the kubelet replaces it before it expires. So the first package carries
// its text (web_identity_token) and, while the enclave runs, the controller sends the renewed
// token as a token-only package (empty config) to the same port; the enclave keeps that file of
// its own current. The token only lets the enclave assume its role; what KMS releases still
// depends on the enclave's attestation.
#include <chrono>
#include <functional>
#include <map>
#include <string>

#include "core/result.hpp"
#include "tee/socket_address.hpp"

namespace cc::tee {

inline constexpr std::uint32_t kDefaultBootPort = 9999;
inline constexpr std::size_t kMaxBootPackageBytes = 1 << 20;

struct BootPackage {
  std::string config_name = "boot package";  // for messages: the controller's config file name
  std::string config_text;                    // YAML or JSON
  std::map<std::string, std::string> environment;
  std::string web_identity_token;  // the IRSA token's text; empty: none

  // A renewal of the token alone, sent while the enclave runs.
  bool token_only() const { return config_text.empty() && !web_identity_token.empty(); }
};

std::string encode_boot_package(const BootPackage& package);
Result<BootPackage> decode_boot_package(std::string_view json);

// Enclave side: listens on `listen` until a package arrives that `accept` takes (Status ok), or
// `timeout` passes. A package `accept` refuses is answered with its error and waiting goes on
// (the controller reports it and exits; a corrected controller may try again).
Result<BootPackage> receive_boot_package(const SocketAddress& listen, std::chrono::milliseconds timeout,
                                         const std::function<Status(const BootPackage&)>& accept);

// Controller side: connects to `target` (retrying while the enclave boots, until `timeout`),
// sends the package and returns the enclave's verdict: ok, or invalid with the enclave's error.
Status send_boot_package(const SocketAddress& target, const BootPackage& package, std::chrono::milliseconds timeout);

}  // namespace cc::tee
