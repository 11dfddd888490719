#pragma once
// SigningLog writes what the log says about signing requests:
//   - at debug, one line per request: public key, operation, HTTP status, duration, client;
//   - at info, one summary line per interval (logging.summary_interval_seconds): how many
//     requests were answered since the previous summary, by operation and status
//     ("ATTESTATION.200": 312), written even when there were none, so a quiet signer still
//     shows it is alive.
// Never a body, a signature or a credential: the client is its address and principal name.
// Thread-safe: record() is called from any thread; the summary runs on a thread of its own.
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

namespace cc::api {

class SigningLog {
 public:
  // `interval` 0: no summary lines.
  explicit SigningLog(std::chrono::seconds interval);
  ~SigningLog();
  SigningLog(const SigningLog&) = delete;
  SigningLog& operator=(const SigningLog&) = delete;

  void record(std::string_view pubkey, std::string_view operation, unsigned status, double seconds,
              std::string_view client);
  // Writes the summary of what was recorded since the last one, now.
  void summarize();

 private:
  void loop();

  const std::chrono::seconds interval_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::map<std::string, std::uint64_t> counts_;  // "OPERATION.status" -> requests
  std::chrono::steady_clock::time_point since_ = std::chrono::steady_clock::now();
  std::thread thread_;
};

}  // namespace cc::api
