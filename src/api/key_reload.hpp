#pragma once
// KeyReload runs key reloads (SIGHUP, POST /reload) one at a time, each on a thread of its own,
// so that neither the signal handler nor an I/O thread waits for keystore decryption.
//
// Web3Signer's contract (POST /reload, 25.12): a reload that starts answers 202 Accepted at once
// and runs in the background; while one runs, another is refused (409 Conflict); GET /reload
// tells how the last one went. A reload has a scope, the key source(s) it rescans ("all" by
// default); the work itself is the `Run` function the server supplies. Keys stay usable all the
// while: requests that already looked up their key finish with it even if the reload removes it.
// Thread-safe.
#include <boost/json/object.hpp>
#include <chrono>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace cc::api {

// What one reload did, for GET /reload and the log.
struct ReloadOutcome {
  std::size_t loaded = 0, removed = 0, unchanged = 0, failures = 0;
  std::vector<std::string> errors;  // "file: reason", at most a few
};

class KeyReload {
 public:
  // Runs one reload of `scope` (one of `scopes`); called on the reload thread.
  using Run = std::function<ReloadOutcome(const std::string& scope)>;
  enum class Start { started, already_running, unknown_scope };

  // `scopes`: what a reload may name, "all" included; empty `run`: nothing reloads.
  KeyReload(std::vector<std::string> scopes, Run run);
  ~KeyReload();  // waits for a running reload
  KeyReload(const KeyReload&) = delete;
  KeyReload& operator=(const KeyReload&) = delete;

  // Starts a reload of `scope` (empty: "all"), `trigger` saying who asked ("SIGHUP", a client).
  Start start(std::string scope, const std::string& trigger);
  bool running() const;
  const std::vector<std::string>& scopes() const { return scopes_; }
  // {"status": "idle"|"running"|"completed", "scope", "trigger", "started", "finished",
  //  "keys_loaded", "keys_removed", "keys_unchanged", "error_count", "errors"}
  boost::json::object status() const;

 private:
  const std::vector<std::string> scopes_;
  const Run run_;
  mutable std::mutex mu_;
  bool running_ = false;
  bool ever_ = false;
  std::string scope_, trigger_;
  std::chrono::system_clock::time_point started_, finished_;
  ReloadOutcome last_;
  std::thread thread_;
};

}  // namespace cc::api
