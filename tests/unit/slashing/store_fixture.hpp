#pragma once
// Helpers for the anti-slashing tests: a temporary directory removed afterwards, a fresh
// SQLite store in it, and recognisable keys and roots.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>

#include "slashing/sqlite_store.hpp"

namespace cc::slashing::test {

class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "cc-slashing-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline BlsPublicKey key(unsigned i) {
  BlsPublicKey k{};
  k[0] = 0xa0;
  k[46] = static_cast<std::uint8_t>(i >> 8);
  k[47] = static_cast<std::uint8_t>(i);
  return k;
}

inline Root root(unsigned i) {
  Root r{};
  r[30] = static_cast<std::uint8_t>(i >> 8);
  r[31] = static_cast<std::uint8_t>(i);
  return r;
}

inline const Root kGvr = root(0xeeee);

inline SqliteOptions options_at(const std::string& path) {
  SqliteOptions options;
  options.path = path;
  return options;
}

inline std::unique_ptr<SlashingStore> open_store(const std::string& path, SqliteOptions options = {}) {
  options.path = path;
  auto store = open_sqlite_store(options);
  if (!store) ADD_FAILURE() << "open_sqlite_store(" << path << "): " << store.error().message;
  return store ? std::move(*store) : nullptr;
}

inline BlockProposal block(unsigned k, std::uint64_t slot, unsigned r) { return {key(k), slot, root(r)}; }
inline AttestationVote vote(unsigned k, std::uint64_t source, std::uint64_t target, unsigned r) {
  return {key(k), source, target, root(r)};
}

// The refusal of a synchronous check (Refusal::none when allowed); fails the test on Error.
inline Refusal check(SlashingStore& store, const SignedMessage& m, const Root& gvr = kGvr) {
  auto d = store.check_and_record_sync(gvr, m);
  if (!d) {
    ADD_FAILURE() << "store error: " << d.error().message;
    return Refusal::none;
  }
  return d->refusal;
}

}  // namespace cc::slashing::test
