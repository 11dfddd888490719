#include "api/key_reload.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <ctime>

#include "core/log.hpp"

namespace cc::api {

namespace {

std::string iso_time(std::chrono::system_clock::time_point t) {
  const std::time_t secs = std::chrono::system_clock::to_time_t(t);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char out[32];
  std::strftime(out, sizeof out, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return out;
}

}  // namespace

KeyReload::KeyReload(std::vector<std::string> scopes, Run run) : scopes_(std::move(scopes)), run_(std::move(run)) {}

KeyReload::~KeyReload() {
  std::thread t;
  {
    std::lock_guard lock(mu_);
    t = std::move(thread_);
  }
  if (t.joinable()) t.join();
}

KeyReload::Start KeyReload::start(std::string scope, const std::string& trigger) {
  if (scope.empty()) scope = "all";
  if (std::find(scopes_.begin(), scopes_.end(), scope) == scopes_.end()) return Start::unknown_scope;
  std::thread previous;
  {
    std::lock_guard lock(mu_);
    if (running_) return Start::already_running;
    running_ = true;
    ever_ = true;
    scope_ = scope;
    trigger_ = trigger;
    started_ = std::chrono::system_clock::now();
    previous = std::move(thread_);  // finished: its last act was clearing running_
    thread_ = std::thread([this, scope, trigger] {
      log_event(spdlog::level::info, "key reload started", {{"scope", scope}, {"trigger", trigger}});
      ReloadOutcome outcome;
      try {
        if (run_) outcome = run_(scope);
      } catch (const std::exception& e) {
        outcome.errors.push_back(std::string("reload failed: ") + e.what());
        ++outcome.failures;
      }
      log_event(spdlog::level::info, "key reload finished",
                {{"scope", scope},
                 {"keys_loaded", outcome.loaded},
                 {"keys_removed", outcome.removed},
                 {"keys_unchanged", outcome.unchanged},
                 {"failures", outcome.failures}});
      std::lock_guard done(mu_);
      last_ = std::move(outcome);
      finished_ = std::chrono::system_clock::now();
      running_ = false;
    });
  }
  if (previous.joinable()) previous.join();
  return Start::started;
}

bool KeyReload::running() const {
  std::lock_guard lock(mu_);
  return running_;
}

boost::json::object KeyReload::status() const {
  std::lock_guard lock(mu_);
  boost::json::object o;
  o["status"] = !ever_ ? "idle" : running_ ? "running" : "completed";
  if (!ever_) return o;
  o["scope"] = scope_;
  o["trigger"] = trigger_;
  o["started"] = iso_time(started_);
  if (!running_) {
    o["finished"] = iso_time(finished_);
    o["keys_loaded"] = last_.loaded;
    o["keys_removed"] = last_.removed;
    o["keys_unchanged"] = last_.unchanged;
    o["error_count"] = last_.failures;
    boost::json::array errors;
    for (const auto& e : last_.errors) errors.emplace_back(e);
    o["errors"] = std::move(errors);
  }
  return o;
}

}  // namespace cc::api
