#pragma once
// FailingVfs: an SQLite VFS shim for fault injection. It wraps the platform VFS (unix), forwards
// every call, and on the test's command makes xSync fail (SQLITE_IOERR_FSYNC: the kernel reported
// an fsync error, as after a failed write-back) or xWrite fail (SQLITE_IOERR_WRITE: EIO). Installed
// as the process's default VFS, so the production store code opens through it unchanged.
//
// install() is idempotent; the switches are atomics, safe to flip from any thread mid-storm.
#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <stdexcept>

namespace cc::slashing::test {

class FailingVfs {
 public:
  static inline std::atomic<bool> fail_sync{false};
  static inline std::atomic<bool> fail_write{false};
  static inline std::atomic<unsigned> syncs_failed{0};
  static inline std::atomic<unsigned> writes_failed{0};

  static void install() {
    static const bool done = [] {
      sqlite3_initialize();
      real_vfs() = sqlite3_vfs_find(nullptr);
      if (real_vfs() == nullptr) throw std::runtime_error("no default SQLite VFS");
      sqlite3_vfs& v = vfs();
      v = *real_vfs();
      v.szOsFile = static_cast<int>(sizeof(File)) + real_vfs()->szOsFile;
      v.zName = "cc-failing";
      v.pNext = nullptr;
      v.xOpen = &open;
      if (sqlite3_vfs_register(&v, 1) != SQLITE_OK) throw std::runtime_error("cannot register the SQLite VFS shim");
      return true;
    }();
    (void)done;
  }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;
  };
  static sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  static sqlite3_vfs*& real_vfs() {
    static sqlite3_vfs* v = nullptr;
    return v;
  }
  static sqlite3_vfs& vfs() {
    static sqlite3_vfs v{};
    return v;
  }

  static int open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    auto* f = reinterpret_cast<File*>(file);
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    std::memset(f->real, 0, static_cast<std::size_t>(real_vfs()->szOsFile));
    const int rc = real_vfs()->xOpen(real_vfs(), name, f->real, flags, out_flags);
    f->base.pMethods = f->real->pMethods != nullptr ? &methods() : nullptr;
    return rc;
  }

  static const sqlite3_io_methods& methods() {
    static const sqlite3_io_methods m = {
        3,
        [](sqlite3_file* f) { return real(f)->pMethods->xClose(real(f)); },
        [](sqlite3_file* f, void* buf, int n, sqlite3_int64 off) {
          return real(f)->pMethods->xRead(real(f), buf, n, off);
        },
        [](sqlite3_file* f, const void* buf, int n, sqlite3_int64 off) {
          if (fail_write) {
            ++writes_failed;
            return SQLITE_IOERR_WRITE;
          }
          return real(f)->pMethods->xWrite(real(f), buf, n, off);
        },
        [](sqlite3_file* f, sqlite3_int64 size) { return real(f)->pMethods->xTruncate(real(f), size); },
        [](sqlite3_file* f, int flags) {
          if (fail_sync) {
            ++syncs_failed;
            return SQLITE_IOERR_FSYNC;
          }
          return real(f)->pMethods->xSync(real(f), flags);
        },
        [](sqlite3_file* f, sqlite3_int64* size) { return real(f)->pMethods->xFileSize(real(f), size); },
        [](sqlite3_file* f, int lock) { return real(f)->pMethods->xLock(real(f), lock); },
        [](sqlite3_file* f, int lock) { return real(f)->pMethods->xUnlock(real(f), lock); },
        [](sqlite3_file* f, int* out) { return real(f)->pMethods->xCheckReservedLock(real(f), out); },
        [](sqlite3_file* f, int op, void* arg) { return real(f)->pMethods->xFileControl(real(f), op, arg); },
        [](sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); },
        [](sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); },
        [](sqlite3_file* f, int page, int size, int extend, void volatile** out) {
          return real(f)->pMethods->xShmMap(real(f), page, size, extend, out);
        },
        [](sqlite3_file* f, int offset, int n, int flags) {
          return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
        },
        [](sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); },
        [](sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); },
        [](sqlite3_file* f, sqlite3_int64 off, int n, void** out) {
          return real(f)->pMethods->xFetch(real(f), off, n, out);
        },
        [](sqlite3_file* f, sqlite3_int64 off, void* p) { return real(f)->pMethods->xUnfetch(real(f), off, p); },
    };
    return m;
  }
};

}  // namespace cc::slashing::test
