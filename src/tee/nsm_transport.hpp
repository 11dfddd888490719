#pragma once
// How one CBOR request reaches the Nitro Secure Module and its CBOR response comes back.
//
// Inside a Nitro Enclave the NSM is the character device /dev/nsm: a request is one ioctl
// (NSM_IOCTL_RAW) carrying two iovecs, the request bytes and a response buffer the driver fills
// and shortens to the response's length. NsmDeviceTransport is exactly that.
//
// The one test seam: no machine outside EC2 has /dev/nsm, and a simulator cannot be an ioctl
// device, so when the configured NSM path is a Unix socket instead of a character device,
// open_nsm_transport() returns NsmSocketTransport, which sends the very same request bytes as one
// SOCK_SEQPACKET message and reads the response as one message (message boundaries are kept, as
// with the ioctl). Everything above the transport (request encoding, response decoding,
// attestation parsing and verification) is identical in both cases. The emulation is announced
// loudly in the log; production points the path at /dev/nsm.
//
// Thread-safe: the driver serialises concurrent ioctls; the socket transport uses one connection
// per exchange.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::tee {

inline constexpr const char* kNsmDevicePath = "/dev/nsm";

// Limits of one exchange, from the driver's UAPI header (include/uapi/linux/nsm.h in Linux 6.8+,
// and the constants of aws-nitro-enclaves-nsm-api src/driver/mod.rs): NSM_REQUEST_MAX_SIZE and
// NSM_RESPONSE_MAX_SIZE.
inline constexpr std::size_t kNsmRequestMaxSize = 0x1000;
inline constexpr std::size_t kNsmResponseMaxSize = 0x3000;

// The ioctl argument, laid out as the driver's `struct nsm_raw` (include/uapi/linux/nsm.h):
//   struct nsm_iovec { __u64 addr; __u64 len; };
//   struct nsm_raw { struct nsm_iovec request; struct nsm_iovec response; };
// `addr` is a user-space virtual address. On return the driver has set response.len to the
// number of bytes it wrote (it truncates to the buffer given, so the buffer is always the
// maximum response size).
struct NsmIovec {
  std::uint64_t addr = 0;
  std::uint64_t len = 0;
};
struct NsmRawMessage {
  NsmIovec request;
  NsmIovec response;
};
static_assert(sizeof(NsmIovec) == 16 && sizeof(NsmRawMessage) == 32, "must match struct nsm_raw");

// NSM_IOCTL_RAW = _IOWR(NSM_MAGIC = 0x0A, 0, struct nsm_raw): direction read|write (3) in bits
// 30-31, size 32 in bits 16-29, type 0x0A in bits 8-15, number 0 (the generic Linux ioctl
// encoding used on x86-64 and arm64, the two Nitro architectures). nsm_transport.cpp checks this
// constant against the kernel's _IOWR macro at compile time.
inline constexpr unsigned long kNsmIoctlRaw = 0xC0200A00UL;

// The message for one exchange: request bytes in, response buffer out.
NsmRawMessage nsm_raw_message(std::span<const std::uint8_t> request, std::span<std::uint8_t> response);

class NsmTransport {
 public:
  virtual ~NsmTransport() = default;
  // Sends one encoded request, returns the encoded response. A request above
  // kNsmRequestMaxSize, a device or socket failure and an oversized response are errors that
  // say which.
  virtual Result<ByteVector> exchange(std::span<const std::uint8_t> request) = 0;
  // "/dev/nsm (ioctl)" or "<path> (simulator socket)", for logs and errors.
  virtual std::string describe() const = 0;
};

// The real device. Fails when the path cannot be opened read-write.
class NsmDeviceTransport final : public NsmTransport {
 public:
  static Result<std::unique_ptr<NsmDeviceTransport>> open(const std::string& path);
  ~NsmDeviceTransport() override;
  NsmDeviceTransport(const NsmDeviceTransport&) = delete;
  NsmDeviceTransport& operator=(const NsmDeviceTransport&) = delete;

  Result<ByteVector> exchange(std::span<const std::uint8_t> request) override;
  std::string describe() const override;

 private:
  NsmDeviceTransport(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_;
  std::string path_;
};

// A simulator listening on a SOCK_SEQPACKET Unix socket (tests only).
class NsmSocketTransport final : public NsmTransport {
 public:
  explicit NsmSocketTransport(std::string socket_path);
  Result<ByteVector> exchange(std::span<const std::uint8_t> request) override;
  std::string describe() const override;

 private:
  std::string path_;
};

// The transport for a configured path: a character device gets the ioctl transport, a Unix
// socket the simulator transport (with a warning in the log), anything else is an error naming
// the path and what it is.
Result<std::unique_ptr<NsmTransport>> open_nsm_transport(const std::string& path);

}  // namespace cc::tee
