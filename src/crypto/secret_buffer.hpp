#pragma once
// SecretBuffer: a heap byte buffer of fixed length that is zeroised when destroyed.
// Used for variable-length secrets (normalised passwords, derived keys, decrypted
// plaintext) where core's fixed-size SecretBytes<N> does not fit. The length is fixed
// at construction so the bytes are never reallocated (and so never left behind in a
// freed block). Move-only; not thread-safe; never printed.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "core/bytes.hpp"

namespace cc::crypto {

class SecretBuffer {
 public:
  SecretBuffer() = default;
  explicit SecretBuffer(std::size_t size) : bytes_(size ? new std::uint8_t[size]() : nullptr), size_(size) {}
  SecretBuffer(SecretBuffer&& other) noexcept : bytes_(std::move(other.bytes_)), size_(other.size_) {
    other.size_ = 0;
  }
  SecretBuffer& operator=(SecretBuffer&& other) noexcept {
    if (this != &other) {
      wipe();
      bytes_ = std::move(other.bytes_);
      size_ = other.size_;
      other.size_ = 0;
    }
    return *this;
  }
  SecretBuffer(const SecretBuffer&) = delete;
  SecretBuffer& operator=(const SecretBuffer&) = delete;
  ~SecretBuffer() { wipe(); }

  std::uint8_t* data() { return bytes_.get(); }
  const std::uint8_t* data() const { return bytes_.get(); }
  std::size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  std::span<std::uint8_t> span() { return {bytes_.get(), size_}; }
  std::span<const std::uint8_t> span() const { return {bytes_.get(), size_}; }

  // Keeps the first `size` bytes and wipes the rest (no reallocation).
  void truncate(std::size_t size) {
    if (size >= size_) return;
    secure_zero(bytes_.get() + size, size_ - size);
    size_ = size;
  }

 private:
  void wipe() {
    if (bytes_) secure_zero(bytes_.get(), size_);
  }

  std::unique_ptr<std::uint8_t[]> bytes_;
  std::size_t size_ = 0;
};

}  // namespace cc::crypto
