// What the fake nitro-cli runs as an "enclave" in the controller tests: it waits for its boot
// package like the real image (tee/boot.hpp), then answers on vsock port 5000: "egress:<port>"
// makes it call out through the parent (vsock CID 3, that port) and relay the answer; anything
// else is echoed as "enclave:<data>". A configuration containing "refuse" is refused; one
// containing "die" makes it exit right after booting.
#include <sys/socket.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "../tee/pipe_peers.hpp"
#include "tee/boot.hpp"

using namespace cc::tee;

namespace {

int open_stream(const SocketAddress& address, bool listening) {
  auto raw = to_raw(address, listening);
  if (!raw) return -1;
  const int fd = ::socket(raw->family, SOCK_STREAM, 0);
  const auto* sa = reinterpret_cast<const sockaddr*>(&raw->storage);
  if (listening) return ::bind(fd, sa, raw->length) == 0 && ::listen(fd, 16) == 0 ? fd : -1;
  return ::connect(fd, sa, raw->length) == 0 ? fd : -1;
}

}  // namespace

int main() {
  auto package = receive_boot_package(SocketAddress::vsock(kVsockAnyCid, kDefaultBootPort), std::chrono::seconds(60),
                                      [](const BootPackage& p) -> cc::Status {
                                        if (p.config_text.find("refuse") != std::string::npos) {
                                          return cc::Error::invalid(p.config_name + ": refused as asked");
                                        }
                                        return {};
                                      });
  if (!package) {
    std::fprintf(stderr, "boot: %s\n", package.error().message.c_str());
    return 1;
  }
  std::printf("booted with %s\n", package->config_name.c_str());
  std::fflush(stdout);
  if (package->config_text.find("die") != std::string::npos) return 3;
  const int listener = open_stream(SocketAddress::vsock(kVsockAnyCid, 5000), true);
  if (listener < 0) return 1;
  for (;;) {
    const int c = ::accept(listener, nullptr, nullptr);
    if (c < 0) return 1;
    const auto got = cc::tee::test::read_to_eof(c);
    std::string reply = "enclave:" + got;
    if (got.rfind("egress:", 0) == 0) {
      const int out = open_stream(SocketAddress::vsock(kParentCid, static_cast<std::uint32_t>(std::stoul(got.substr(7)))), false);
      reply = out < 0 ? "egress failed" : "";
      if (out >= 0) {
        cc::tee::test::write_all(out, "hi");
        ::shutdown(out, SHUT_WR);
        reply = cc::tee::test::read_to_eof(out);
        ::close(out);
      }
    }
    cc::tee::test::write_all(c, reply);
    ::close(c);
  }
}
