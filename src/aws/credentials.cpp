#include "aws/credentials.hpp"

#include <spdlog/spdlog.h>

#include <exception>

namespace cc::aws {

namespace {

bool digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return true;
}

int number(std::string_view s) {
  int v = 0;
  for (char c : s) v = v * 10 + (c - '0');
  return v;
}

std::string describe_expiry(const Credentials& c) {
  return c.expiration ? "expire " + amz_date(*c.expiration) : "no expiry";
}

}  // namespace

std::optional<std::chrono::system_clock::time_point> parse_aws_time(std::string_view text) {
  // YYYY-MM-DDTHH:MM:SS
  if (text.size() < 20 || text[4] != '-' || text[7] != '-' || (text[10] != 'T' && text[10] != 't') || text[13] != ':' ||
      text[16] != ':') {
    return std::nullopt;
  }
  const auto y = text.substr(0, 4), mo = text.substr(5, 2), d = text.substr(8, 2);
  const auto h = text.substr(11, 2), mi = text.substr(14, 2), s = text.substr(17, 2);
  if (!digits(y) || !digits(mo) || !digits(d) || !digits(h) || !digits(mi) || !digits(s)) return std::nullopt;
  auto rest = text.substr(19);
  if (!rest.empty() && rest[0] == '.') {
    std::size_t n = 1;
    while (n < rest.size() && rest[n] >= '0' && rest[n] <= '9') ++n;
    if (n == 1) return std::nullopt;
    rest = rest.substr(n);  // fractions of a second do not matter for an expiry
  }
  if (rest != "Z" && rest != "z" && rest != "+00:00") return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{number(y)}, std::chrono::month{unsigned(number(mo))},
                                         std::chrono::day{unsigned(number(d))}};
  if (!date.ok() || number(h) > 23 || number(mi) > 59 || number(s) > 60) return std::nullopt;
  // system_clock counts nanoseconds in 64 bits: it ends in 2262. An expiry past 2200 is not a
  // timestamp AWS writes; refusing it keeps the conversion below from overflowing.
  if (number(y) < 1970 || number(y) > 2200) return std::nullopt;
  return std::chrono::sys_days{date} + std::chrono::hours{number(h)} + std::chrono::minutes{number(mi)} +
         std::chrono::seconds{number(s)};
}

Result<Credentials> EnvironmentCredentials::fetch() {
  auto key_id = env_("AWS_ACCESS_KEY_ID");
  auto secret = env_("AWS_SECRET_ACCESS_KEY");
  if (!key_id && !secret) return Error::not_found("AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY are not set");
  if (!key_id) return Error::invalid("AWS_SECRET_ACCESS_KEY is set but AWS_ACCESS_KEY_ID is not");
  if (!secret) return Error::invalid("AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not");
  auto token = env_("AWS_SESSION_TOKEN");
  return Credentials(std::move(*key_id), std::move(*secret), token ? std::move(*token) : std::string());
}

CredentialChain::CredentialChain(std::vector<std::unique_ptr<CredentialsProvider>> providers, Clock clock)
    : providers_(std::move(providers)), clock_(std::move(clock)) {}

Result<Credentials> CredentialChain::fetch_from_providers() {
  std::string skipped;  // "name: why not configured; ..."
  for (const auto& provider : providers_) {
    auto fetched = provider->fetch();
    if (fetched) {
      spdlog::info("AWS credentials from {} ({})", provider->name(), describe_expiry(*fetched));
      return fetched;
    }
    if (fetched.error().kind != Error::Kind::not_found) {
      return Error::unavailable("AWS credentials: " + provider->name() + " failed: " + fetched.error().message +
                                (skipped.empty() ? "" : " (before it, not configured: " + skipped + ")"));
    }
    if (!skipped.empty()) skipped += "; ";
    skipped += provider->name() + ": " + fetched.error().message;
  }
  return Error::unavailable("no AWS credentials found; tried " + (skipped.empty() ? "no provider" : skipped));
}

Result<std::shared_ptr<const Credentials>> CredentialChain::get() {
  std::unique_lock lock(mutex_);
  for (;;) {
    const auto now = clock_();
    const bool usable = current_ && (!current_->expiration || now < *current_->expiration);
    const bool fresh = usable && (!current_->expiration || now < *current_->expiration - kRefreshBefore);
    if (fresh) return current_;
    if (refreshing_) {
      if (usable) return current_;
      // After the wait, a failed refresh is reported through last_error_ below.
      refreshed_.wait(lock, [this] { return !refreshing_; });
      continue;
    }
    if (last_error_ && now < next_attempt_) {
      if (usable) return current_;
      return *last_error_;
    }
    refreshing_ = true;
    lock.unlock();
    // Nothing may leave refreshing_ set: the waiters would wait forever.
    Result<Credentials> fetched = Error::internal("not fetched");
    try {
      fetched = fetch_from_providers();
    } catch (const std::exception& e) {
      fetched = Error::unavailable(std::string("AWS credentials: ") + e.what());
    }
    lock.lock();
    refreshing_ = false;
    refreshed_.notify_all();
    if (fetched) {
      current_ = std::make_shared<const Credentials>(std::move(*fetched));
      last_error_.reset();
      return current_;
    }
    last_error_ = fetched.error();
    next_attempt_ = now + kRetryAfterFailure;
    if (usable) {
      spdlog::warn("{}; keeping the current AWS credentials until they expire", fetched.error().message);
      return current_;
    }
    return fetched.error();
  }
}

std::shared_ptr<CredentialChain> default_credential_chain(std::string_view region, const EnvLookup& env) {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<EnvironmentCredentials>(env));
  providers.push_back(std::make_unique<WebIdentityCredentials>(WebIdentityOptions::from_environment(env, region)));
  providers.push_back(std::make_unique<ContainerCredentials>(ContainerOptions::from_environment(env)));
  providers.push_back(std::make_unique<InstanceMetadataCredentials>(InstanceMetadataOptions::from_environment(env)));
  return std::make_shared<CredentialChain>(std::move(providers));
}

}  // namespace cc::aws
