#include "tee/socket_address.hpp"

// clang-format off
#include <sys/socket.h>
#include <linux/vm_sockets.h>
// clang-format on
#include <netdb.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <charconv>
#include <cstdlib>
#include <cstring>
#include <filesystem>

namespace cc::tee {

namespace {

Result<std::uint32_t> number(std::string_view text, std::uint64_t max, const char* what) {
  std::uint64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v > max) {
    return Error::invalid(std::string(what) + " '" + std::string(text) + "' is not a number from 0 to " +
                          std::to_string(max));
  }
  return static_cast<std::uint32_t>(v);
}

}  // namespace

Result<SocketAddress> SocketAddress::parse(std::string_view text) {
  if (text.rfind("vsock:", 0) == 0) {
    const auto rest = text.substr(6);
    const auto colon = rest.find(':');
    if (colon == std::string_view::npos) {
      return Error::invalid("vsock address '" + std::string(text) + "': expected vsock:<cid>:<port>");
    }
    const auto cid_text = rest.substr(0, colon);
    std::uint32_t cid = kVsockAnyCid;
    if (cid_text != "any") {
      auto c = number(cid_text, 0xFFFFFFFEu, "vsock context id");
      if (!c) return c.error();
      cid = *c;
    }
    auto port = number(rest.substr(colon + 1), 0xFFFFFFFEu, "vsock port");
    if (!port) return port.error();
    return vsock(cid, *port);
  }
  std::string_view host;
  std::string_view port_text;
  if (text.rfind('[', 0) == 0) {
    const auto close = text.find("]:");
    if (close == std::string_view::npos) return Error::invalid("address '" + std::string(text) + "': expected [v6]:port");
    host = text.substr(1, close - 1);
    port_text = text.substr(close + 2);
  } else {
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos || colon == 0) {
      return Error::invalid("address '" + std::string(text) + "': expected host:port or vsock:<cid>:<port>");
    }
    host = text.substr(0, colon);
    port_text = text.substr(colon + 1);
  }
  auto port = number(port_text, 65535, "TCP port");
  if (!port) return port.error();
  return tcp(std::string(host), static_cast<std::uint16_t>(*port));
}

std::string SocketAddress::to_string() const {
  if (kind == Kind::vsock) {
    return "vsock:" + (cid == kVsockAnyCid ? std::string("any") : std::to_string(cid)) + ":" + std::to_string(port);
  }
  return (host.find(':') != std::string::npos ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

const std::optional<VsockEmulation>& vsock_emulation() {
  static const std::optional<VsockEmulation> emulation = []() -> std::optional<VsockEmulation> {
    const char* value = std::getenv("CC_VSOCK_EMULATION");
    if (value == nullptr || *value == '\0') return std::nullopt;
    const std::string_view text(value);
    const auto colon = text.rfind(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto cid = number(text.substr(colon + 1), 0xFFFFFFFEu, "CC_VSOCK_EMULATION context id");
    if (!cid) return std::nullopt;
    return VsockEmulation{std::string(text.substr(0, colon)), *cid};
  }();
  return emulation;
}

Result<RawAddress> to_raw(const SocketAddress& address, bool listening) {
  RawAddress raw;
  if (address.kind == SocketAddress::Kind::vsock) {
    if (const auto& emulation = vsock_emulation()) {
      const std::uint32_t cid = address.cid == kVsockAnyCid ? emulation->local_cid : address.cid;
      const auto dir = std::filesystem::path(emulation->dir) / std::to_string(cid);
      const auto path = (dir / std::to_string(address.port)).string();
      sockaddr_un un{};
      if (path.size() >= sizeof(un.sun_path)) {
        return Error::invalid("CC_VSOCK_EMULATION: socket path '" + path + "' is too long for a Unix socket");
      }
      if (listening) {
        std::error_code ec;
        std::filesystem::create_directories(dir, ec);
        std::filesystem::remove(path, ec);  // a stale socket of an earlier run
      }
      un.sun_family = AF_UNIX;
      std::memcpy(un.sun_path, path.c_str(), path.size() + 1);
      raw.family = AF_UNIX;
      std::memcpy(&raw.storage, &un, sizeof(un));
      raw.length = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + 1);
      return raw;
    }
    sockaddr_vm vm{};
    vm.svm_family = AF_VSOCK;
    vm.svm_cid = address.cid;
    vm.svm_port = address.port;
    raw.family = AF_VSOCK;
    std::memcpy(&raw.storage, &vm, sizeof(vm));
    raw.length = sizeof(vm);
    return raw;
  }
  addrinfo hints{};
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_NUMERICSERV | (listening ? AI_PASSIVE : 0);
  addrinfo* found = nullptr;
  const std::string port = std::to_string(address.port);
  if (int rc = ::getaddrinfo(address.host.empty() ? nullptr : address.host.c_str(), port.c_str(), &hints, &found);
      rc != 0) {
    return Error::unavailable("cannot resolve '" + address.host + "': " + gai_strerror(rc));
  }
  const addrinfo* pick = found;
  for (const addrinfo* a = found; a != nullptr; a = a->ai_next) {
    if (a->ai_family == AF_INET) {
      pick = a;
      break;
    }
  }
  raw.family = pick->ai_family;
  std::memcpy(&raw.storage, pick->ai_addr, pick->ai_addrlen);
  raw.length = pick->ai_addrlen;
  ::freeaddrinfo(found);
  return raw;
}

}  // namespace cc::tee
