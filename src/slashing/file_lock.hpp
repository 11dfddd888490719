#pragma once
// ExclusiveFileLock: a non-blocking flock(LOCK_EX) on a lock file, held for the object's
// lifetime. One anti-slashing database must have one writer: a second process (or a second
// store in this process: flock conflicts between separate open()s) fails at once instead of
// waiting. The kernel releases the lock when the holder dies, so a crash never leaves it stale.
#include <string>

#include "core/result.hpp"

namespace cc::slashing {

class ExclusiveFileLock {
 public:
  // Creates `path` (mode 0600) if needed and locks it. Errors name the path; "already in use
  // by another process" when the lock is held elsewhere.
  static Result<ExclusiveFileLock> acquire(const std::string& path);

  ExclusiveFileLock(ExclusiveFileLock&& other) noexcept;
  ExclusiveFileLock& operator=(ExclusiveFileLock&& other) noexcept;
  ExclusiveFileLock(const ExclusiveFileLock&) = delete;
  ExclusiveFileLock& operator=(const ExclusiveFileLock&) = delete;
  ~ExclusiveFileLock();

  const std::string& path() const { return path_; }

 private:
  ExclusiveFileLock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

}  // namespace cc::slashing
