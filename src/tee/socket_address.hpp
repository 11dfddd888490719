#pragma once
// Where the enclave's byte pipes begin and end: a TCP address (host:port) or a vsock address
// (context id, port). Inside a Nitro Enclave the only way out is vsock to the parent (CID 3), and
// the parent reaches the enclave at the CID nitro-cli gave it; both sides name vsock addresses
// the same way, "vsock:<cid>:<port>" (cid "any" when listening).
//
// The one test seam: where the kernel has no vsock loopback transport (most machines outside
// EC2, and this project's CI), a test harness sets CC_VSOCK_EMULATION=<dir>:<local cid>, and
// every vsock socket becomes a Unix stream socket at <dir>/<cid>/<port> — listening on "any"
// binds <dir>/<local cid>/<port>, connecting to (cid, port) connects <dir>/<cid>/<port>. The
// byte stream and everything above it are unchanged; the emulation is announced loudly in the
// log. Production never sets it.
#include <sys/socket.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/result.hpp"

namespace cc::tee {

inline constexpr std::uint32_t kVsockAnyCid = 0xFFFFFFFFu;  // VMADDR_CID_ANY
inline constexpr std::uint32_t kParentCid = 3;              // the parent instance, as seen from an enclave

struct SocketAddress {
  enum class Kind { tcp, vsock };
  Kind kind = Kind::tcp;
  std::string host;       // tcp: an IPv4/IPv6 literal or a name
  std::uint32_t cid = 0;  // vsock
  std::uint32_t port = 0;

  static SocketAddress tcp(std::string host, std::uint16_t port) { return {Kind::tcp, std::move(host), 0, port}; }
  static SocketAddress vsock(std::uint32_t cid, std::uint32_t port) { return {Kind::vsock, {}, cid, port}; }

  // "127.0.0.2:443", "[::1]:9000", "vsock:3:8000", "vsock:any:5000". Errors name the part that is wrong.
  static Result<SocketAddress> parse(std::string_view text);
  std::string to_string() const;
  bool operator==(const SocketAddress&) const = default;
};

// The emulation the test harness asked for (CC_VSOCK_EMULATION), read once; nullopt in production.
struct VsockEmulation {
  std::string dir;
  std::uint32_t local_cid = 0;
};
const std::optional<VsockEmulation>& vsock_emulation();

// A raw socket address ready for socket(2)/bind(2)/connect(2): family, bytes, length. TCP names
// are resolved here (IPv4 first: the enclave's /etc/hosts maps names to 127.0.0.x).
struct RawAddress {
  int family = 0;
  sockaddr_storage storage{};
  socklen_t length = 0;
};
// `listening`: for vsock emulation, "any" becomes the local CID and the directory is created.
Result<RawAddress> to_raw(const SocketAddress& address, bool listening);

}  // namespace cc::tee
