// The real AF_VSOCK path (no emulation in this process): addresses are laid out as the kernel
// expects, a listener binds where the kernel has vsock, and — only where the kernel offers a
// loopback transport (CID 1) — a whole pipe runs over real vsock. Elsewhere that test says why
// it is skipped; the emulated pipe is covered by forwarder_test.
// clang-format off
#include <sys/socket.h>
#include <linux/vm_sockets.h>
// clang-format on
#include <fcntl.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <cstring>

#include "pipe_peers.hpp"
#include "tee/forwarder.hpp"

namespace cc::tee {
namespace {

bool kernel_has_vsock() {
  const int fd = ::socket(AF_VSOCK, SOCK_STREAM, 0);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

// Whether a connection to the local CID (1) reaches a listener in this process, within 1 s.
bool kernel_has_vsock_loopback() {
  const int l = ::socket(AF_VSOCK, SOCK_STREAM, 0);
  if (l < 0) return false;
  sockaddr_vm a{};
  a.svm_family = AF_VSOCK;
  a.svm_cid = VMADDR_CID_ANY;
  a.svm_port = VMADDR_PORT_ANY;
  socklen_t len = sizeof a;
  bool ok = ::bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0 && ::listen(l, 1) == 0 &&
            ::getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) == 0;
  if (ok) {
    const int c = ::socket(AF_VSOCK, SOCK_STREAM | SOCK_NONBLOCK, 0);
    sockaddr_vm to = a;
    to.svm_cid = 1;  // VMADDR_CID_LOCAL
    const int rc = ::connect(c, reinterpret_cast<sockaddr*>(&to), sizeof to);
    pollfd p{c, POLLOUT, 0};
    int err = 0;
    socklen_t elen = sizeof err;
    ok = (rc == 0 || errno == EINPROGRESS) && ::poll(&p, 1, 1000) == 1 &&
         ::getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &elen) == 0 && err == 0;
    ::close(c);
  }
  ::close(l);
  return ok;
}

TEST(Vsock, NoEmulationInThisProcess) {
  ::unsetenv("CC_VSOCK_EMULATION");
  EXPECT_FALSE(vsock_emulation().has_value());
}

TEST(Vsock, AddressesAreLaidOutForTheKernel) {
  auto raw = to_raw(SocketAddress::vsock(3, 8000), false);
  ASSERT_TRUE(raw.ok());
  EXPECT_EQ(raw->family, AF_VSOCK);
  EXPECT_EQ(raw->length, sizeof(sockaddr_vm));
  sockaddr_vm vm{};
  std::memcpy(&vm, &raw->storage, sizeof vm);
  EXPECT_EQ(vm.svm_family, AF_VSOCK);
  EXPECT_EQ(vm.svm_cid, 3u);
  EXPECT_EQ(vm.svm_port, 8000u);
  auto any = to_raw(*SocketAddress::parse("vsock:any:5000"), true);
  ASSERT_TRUE(any.ok());
  std::memcpy(&vm, &any->storage, sizeof vm);
  EXPECT_EQ(vm.svm_cid, static_cast<unsigned>(VMADDR_CID_ANY));
  EXPECT_EQ(vm.svm_port, 5000u);
}

TEST(Vsock, AListenerBindsWhereTheKernelHasVsock) {
  if (!kernel_has_vsock()) GTEST_SKIP() << "this kernel has no AF_VSOCK";
  boost::asio::io_context io;
  Forwarder f(io, SocketAddress::vsock(kVsockAnyCid, 40000 + static_cast<unsigned>(::getpid() % 20000)),
              SocketAddress::tcp("127.0.0.1", 1));
  auto st = f.start();
  EXPECT_TRUE(st.ok()) << st.error().message;
  io.stop();  // nothing runs it: the forwarder closes its listener itself
}

TEST(Vsock, AWholePipeOverRealVsockLoopback) {
  if (!kernel_has_vsock_loopback()) {
    GTEST_SKIP() << "this kernel has no vsock loopback transport (vsock_loopback): the emulated pipe in "
                    "cc_tee_tests covers the path";
  }
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  test::ReplyService service("127.0.0.1", "v:");
  const std::uint32_t port = 41000 + static_cast<unsigned>(::getpid() % 20000);
  Forwarder parent(io, SocketAddress::vsock(kVsockAnyCid, port), SocketAddress::tcp("127.0.0.1", service.port()));
  Forwarder enclave(io, SocketAddress::tcp("127.0.0.1", 0), SocketAddress::vsock(1, port));
  ASSERT_TRUE(parent.start().ok());
  ASSERT_TRUE(enclave.start().ok());
  EXPECT_EQ(test::exchange("127.0.0.1", enclave.tcp_port(), "ping").value_or("?"), "v:ping");
  parent.stop();
  enclave.stop();
  work.reset();
  io.stop();
  runner.join();
}

}  // namespace
}  // namespace cc::tee
