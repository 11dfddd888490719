#pragma once
// Where AWS credentials come from. A CredentialsProvider fetches them from one source (the
// environment, EKS IRSA through STS, EKS Pod Identity / ECS container credentials, EC2 IMDSv2);
// CredentialChain asks its providers in order and caches what the first configured one gives,
// refreshing it five minutes before it expires. Secrets are never logged or put in messages.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "aws/environment.hpp"
#include "aws/sigv4.hpp"
#include "core/result.hpp"

namespace cc::aws {

class HttpClient;

// One source of credentials. Thread-safe; fetch() may block on the network (bounded by the
// provider's timeout).
class CredentialsProvider {
 public:
  virtual ~CredentialsProvider() = default;
  // "environment", "web identity (IRSA)", ... for messages.
  virtual std::string name() const = 0;
  // Error::not_found when this source is not configured here: the chain moves on to the next.
  // Any other error means it is configured but failed, and the chain stops there rather than
  // fall through to, say, the node's instance role, which would silently change identity.
  virtual Result<Credentials> fetch() = 0;
};

// Fixed credentials (tests, or keys given by configuration).
class StaticCredentials final : public CredentialsProvider {
 public:
  explicit StaticCredentials(Credentials credentials) : credentials_(std::move(credentials)) {}
  std::string name() const override { return "static"; }
  Result<Credentials> fetch() override { return credentials_; }

 private:
  Credentials credentials_;
};

// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and (optional) AWS_SESSION_TOKEN. They do not expire.
class EnvironmentCredentials final : public CredentialsProvider {
 public:
  explicit EnvironmentCredentials(EnvLookup env = process_environment()) : env_(std::move(env)) {}
  std::string name() const override { return "environment"; }
  Result<Credentials> fetch() override;

 private:
  EnvLookup env_;
};

struct WebIdentityOptions {
  std::string token_file;    // AWS_WEB_IDENTITY_TOKEN_FILE; read at every fetch (the kubelet rotates it)
  std::string role_arn;      // AWS_ROLE_ARN
  std::string session_name;  // AWS_ROLE_SESSION_NAME; empty: "containment-chamber-<unix ms>"
  // AWS_ENDPOINT_URL_STS, else https://sts.<region>.amazonaws.com, else (no region, or
  // AWS_STS_REGIONAL_ENDPOINTS=legacy in a region that had the global endpoint) https://sts.amazonaws.com.
  std::string sts_endpoint;
  std::chrono::milliseconds timeout{5000};  // per attempt
  unsigned max_attempts = 3;
  std::string ca_file;  // empty: the system trust store

  static WebIdentityOptions from_environment(const EnvLookup& env, std::string_view region);
};

// EKS IRSA: exchanges the service account's web identity token for role credentials with STS
// AssumeRoleWithWebIdentity (an unsigned Query API call answered in XML).
class WebIdentityCredentials final : public CredentialsProvider {
 public:
  explicit WebIdentityCredentials(WebIdentityOptions options);
  ~WebIdentityCredentials() override;
  std::string name() const override { return "web identity (IRSA)"; }
  Result<Credentials> fetch() override;

 private:
  WebIdentityOptions options_;
  std::mutex mutex_;
  std::unique_ptr<HttpClient> client_;  // made at the first fetch
};

struct ContainerOptions {
  // AWS_CONTAINER_CREDENTIALS_FULL_URI, or http://169.254.170.2 + AWS_CONTAINER_CREDENTIALS_RELATIVE_URI.
  // Plain http is accepted only for loopback and the ECS / EKS Pod Identity agent addresses.
  std::string uri;
  std::string token_file;  // AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE; read at every fetch
  std::string token;       // AWS_CONTAINER_AUTHORIZATION_TOKEN, when there is no file
  std::chrono::milliseconds timeout{2000};
  unsigned max_attempts = 2;
  std::string ca_file;

  static ContainerOptions from_environment(const EnvLookup& env);
};

// EKS Pod Identity and ECS task roles: a GET answered with
// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}.
class ContainerCredentials final : public CredentialsProvider {
 public:
  explicit ContainerCredentials(ContainerOptions options);
  ~ContainerCredentials() override;
  std::string name() const override { return "container (EKS Pod Identity / ECS)"; }
  Result<Credentials> fetch() override;

 private:
  ContainerOptions options_;
  std::mutex mutex_;
  std::unique_ptr<HttpClient> client_;
};

struct InstanceMetadataOptions {
  bool disabled = false;                            // AWS_EC2_METADATA_DISABLED=true
  std::string endpoint = "http://169.254.169.254";  // AWS_EC2_METADATA_SERVICE_ENDPOINT
  std::chrono::milliseconds timeout{1000};          // per request; IMDS answers fast or not at all
  unsigned max_attempts = 2;

  static InstanceMetadataOptions from_environment(const EnvLookup& env);
};

// EC2 instance profile through IMDSv2: a session token (PUT /latest/api/token), then the role
// name and that role's credentials under /latest/meta-data/iam/security-credentials/.
class InstanceMetadataCredentials final : public CredentialsProvider {
 public:
  explicit InstanceMetadataCredentials(InstanceMetadataOptions options);
  ~InstanceMetadataCredentials() override;
  std::string name() const override;
  Result<Credentials> fetch() override;

 private:
  InstanceMetadataOptions options_;
  std::mutex mutex_;
  std::unique_ptr<HttpClient> client_;
};

// The first configured provider's credentials, cached. Thread-safe: one caller refreshes while
// the others keep using the current credentials (or wait, when there are none valid). Credentials
// are refreshed kRefreshBefore their expiration; if that refresh fails they are still used, with a
// warning, until they really expire.
class CredentialChain {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;
  static constexpr std::chrono::minutes kRefreshBefore{5};
  // After a failed refresh the providers are not asked again for this long (so a broken
  // metadata service is not called by every request).
  static constexpr std::chrono::seconds kRetryAfterFailure{5};

  explicit CredentialChain(
      std::vector<std::unique_ptr<CredentialsProvider>> providers,
      Clock clock = [] { return std::chrono::system_clock::now(); });

  // Current credentials, fetched when needed. Error::unavailable naming the provider that failed
  // and why, or every provider tried when none is configured.
  Result<std::shared_ptr<const Credentials>> get();

 private:
  Result<Credentials> fetch_from_providers();

  std::vector<std::unique_ptr<CredentialsProvider>> providers_;
  Clock clock_;
  std::mutex mutex_;
  std::condition_variable refreshed_;
  bool refreshing_ = false;
  std::shared_ptr<const Credentials> current_;
  std::optional<Error> last_error_;
  std::chrono::system_clock::time_point next_attempt_{};
};

// The standard chain, configured from `env`: environment, web identity (IRSA), container
// (Pod Identity / ECS), instance metadata (IMDSv2). `region` (may be empty) picks the STS endpoint.
std::shared_ptr<CredentialChain> default_credential_chain(std::string_view region,
                                                          const EnvLookup& env = process_environment());

// A timestamp as AWS writes expirations: "2024-05-01T12:00:00Z", with optional fractional
// seconds, and "+00:00" accepted for "Z". nullopt when malformed.
std::optional<std::chrono::system_clock::time_point> parse_aws_time(std::string_view text);

}  // namespace cc::aws
