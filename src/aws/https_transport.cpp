#include "aws/https_transport.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/json.hpp>
#include <cctype>
#include <random>
#include <thread>

#include "aws/error_counts.hpp"
#include "aws/http_client.hpp"
#include "aws/region.hpp"
#include "aws/sigv4.hpp"

namespace cc::aws {

namespace {

// Error types that mean "slow down", across the JSON protocols (DynamoDB, KMS) and the Query
// protocol (STS).
constexpr std::string_view kThrottlingSuffixes[] = {"ThrottlingException", "ProvisionedThroughputExceededException",
                                                    "RequestLimitExceeded", "TooManyRequestsException"};
constexpr std::string_view kThrottlingCodes[] = {"Throttling", "ThrottledException"};

// Header names compare case-insensitively; `lower` is given in lowercase.
bool is_header(std::string_view name, std::string_view lower) {
  return name.size() == lower.size() && std::equal(name.begin(), name.end(), lower.begin(), [](char a, char b) {
           return std::tolower(static_cast<unsigned char>(a)) == b;
         });
}

bool throttling_type(std::string_view type) {
  for (auto suffix : kThrottlingSuffixes) {
    if (type.ends_with(suffix)) return true;
  }
  for (auto code : kThrottlingCodes) {
    if (type == code) return true;
  }
  return false;
}

// The error type an AWS answer names: the x-amzn-ErrorType header ("Type:detail"), the JSON
// "__type" ("namespace#Type") or "code", or the XML <Code>.
std::string error_type(const AwsResponse& response) {
  for (const auto& [name, value] : response.headers) {
    if (is_header(name, "x-amzn-errortype")) {
      return value.substr(0, value.find(':'));
    }
  }
  const auto& body = response.body;
  const auto start = body.find_first_not_of(" \t\r\n");
  if (start != std::string::npos && body[start] == '{') {
    boost::system::error_code ec;
    const auto doc = boost::json::parse(body, ec);
    if (!ec && doc.is_object()) {
      for (const char* key : {"__type", "code", "Code"}) {
        const auto* v = doc.as_object().if_contains(key);
        if (v != nullptr && v->is_string()) {
          const std::string type(v->as_string());
          return type.substr(type.rfind('#') + 1);
        }
      }
    }
    return {};
  }
  const auto open = body.find("<Code>");
  if (open == std::string::npos) return {};
  const auto close = body.find("</Code>", open);
  return close == std::string::npos ? std::string() : body.substr(open + 6, close - open - 6);
}

bool valid_label(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

// A conditional write's "no": the answer the caller asked for, not a failure.
bool is_expected_refusal(const AwsResponse& response) {
  if (response.status != 400) return false;
  const auto type = error_type(response);
  return type == "ConditionalCheckFailedException" || type == "TransactionCanceledException";
}

}  // namespace

bool is_throttling(const AwsResponse& response) {
  if (response.status == 429) return true;
  if (response.status != 400) return false;
  return throttling_type(error_type(response));
}

Result<std::unique_ptr<HttpsTransport>> HttpsTransport::create(HttpsTransportOptions options) {
  // Both become part of the host name and of the SigV4 credential scope.
  if (!valid_label(options.service)) {
    return Error::invalid("AWS transport: service '" + options.service + "' is not a service name like dynamodb");
  }
  if (!valid_label(options.region)) {
    return Error::invalid("AWS transport for " + options.service + ": region '" + options.region +
                          "' is not a region name like eu-west-1");
  }
  if (!options.credentials) return Error::invalid("AWS transport for " + options.service + ": no credentials");
  if (options.max_attempts == 0) options.max_attempts = 1;
  const auto endpoint = options.endpoint.empty() ? default_endpoint(options.service, options.region) : options.endpoint;
  auto url = parse_url(endpoint);
  if (!url) return Error::invalid("AWS transport for " + options.service + ": " + url.error().message);
  if (url->target != "/") {
    return Error::invalid("AWS transport for " + options.service + ": endpoint '" + endpoint +
                          "' has a path or query; give only scheme, host and port");
  }
  try {
    auto client = std::make_unique<HttpClient>(
        HttpClientOptions{*url, options.ca_file, options.max_idle_connections, std::chrono::seconds(30)});
    const auto origin = url->origin();
    return std::unique_ptr<HttpsTransport>(new HttpsTransport(std::move(options), origin, std::move(client)));
  } catch (const std::exception& e) {
    return Error::invalid("AWS transport for " + options.service + ": " + e.what());
  }
}

HttpsTransport::HttpsTransport(HttpsTransportOptions options, std::string endpoint, std::unique_ptr<HttpClient> client)
    : options_(std::move(options)), endpoint_(std::move(endpoint)), client_(std::move(client)) {}

HttpsTransport::~HttpsTransport() = default;

std::string HttpsTransport::describe() const {
  return options_.service + " " + options_.region + " (" + endpoint_ + ")";
}

std::uint64_t HttpsTransport::connections_opened() const {
  return client_->connections_opened();
}

Result<AwsResponse> HttpsTransport::send(const AwsRequest& request, Retry retry) {
  thread_local std::mt19937_64 random{std::random_device{}()};
  // Full jitter: spreads the retries of many callers throttled at once.
  auto back_off = [&](unsigned attempt) {
    const auto ceiling = std::min<std::int64_t>(options_.backoff_cap.count(), options_.backoff_base.count()
                                                                                  << std::min(attempt - 1, 20u));
    std::uniform_int_distribution<std::int64_t> pick(0, std::max<std::int64_t>(ceiling, 0));
    std::this_thread::sleep_for(std::chrono::milliseconds(pick(random)));
  };

  // Counted once per request, after its retries (aws/error_counts.hpp).
  auto failed = [&] { count_aws_error(options_.service, operation_of(request)); };

  for (unsigned attempt = 1;; ++attempt) {
    auto credentials = options_.credentials->get();
    if (!credentials) {
      failed();
      return Error::unavailable(describe() + ": " + credentials.error().message);
    }
    AwsRequest attempt_request = request;
    std::erase_if(attempt_request.headers, [](const auto& h) { return is_header(h.first, "host"); });
    attempt_request.headers.emplace_back("Host", client_->url().host_header());
    // Signed per attempt: the signature carries the time, and the credentials may have changed.
    sign_request(attempt_request, **credentials,
                 SigningParams{options_.region, options_.service, std::chrono::system_clock::now()});

    auto exchange = client_->exchange(attempt_request, options_.attempt_timeout);
    scrub(attempt_request.body);
    const bool last = attempt >= options_.max_attempts;
    if (exchange.response) {
      auto& response = *exchange.response;
      const bool throttled = is_throttling(response);
      if (last || (response.status < 500 && !throttled)) {
        if (response.status >= 400 && !is_expected_refusal(response)) failed();
        return std::move(response);
      }
      spdlog::debug("{}: attempt {} answered HTTP {}{}; retrying", describe(), attempt, response.status,
                    throttled ? " (throttled)" : "");
      back_off(attempt);
      continue;
    }
    if (exchange.maybe_delivered && retry == Retry::not_idempotent) {
      failed();
      return Error::unavailable(describe() + ": " + exchange.failure +
                                ", after the request was sent; outcome unknown: it may or may not have been applied, "
                                "and it is not retried because it is not idempotent");
    }
    if (last) {
      failed();
      return Error::unavailable(describe() + ": no answer after " + std::to_string(attempt) +
                                (attempt == 1 ? " attempt: " : " attempts: ") + exchange.failure);
    }
    spdlog::debug("{}: attempt {} got no answer ({}); retrying", describe(), attempt, exchange.failure);
    back_off(attempt);
  }
}

}  // namespace cc::aws
