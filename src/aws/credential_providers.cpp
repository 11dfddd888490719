// The providers that fetch credentials over HTTP: web identity (STS), container, instance metadata.
#include <boost/asio/ip/address.hpp>
#include <boost/json.hpp>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "aws/credentials.hpp"
#include "aws/http_client.hpp"
#include "aws/region.hpp"

namespace cc::aws {

namespace {

// Regions where AWS_STS_REGIONAL_ENDPOINTS=legacy means the global endpoint.
constexpr std::string_view kLegacyStsRegions[] = {"ap-northeast-1", "ap-south-1",   "ap-southeast-1", "ap-southeast-2",
                                                  "ca-central-1",   "eu-central-1", "eu-north-1",     "eu-west-1",
                                                  "eu-west-2",      "eu-west-3",    "sa-east-1",      "us-east-1",
                                                  "us-east-2",      "us-west-1",    "us-west-2"};

std::string trim(std::string_view s) {
  const auto* ws = " \t\r\n";
  const auto first = s.find_first_not_of(ws);
  if (first == std::string_view::npos) return {};
  return std::string(s.substr(first, s.find_last_not_of(ws) - first + 1));
}

// Reads a token file (a secret): trimmed, and an error naming the file when it cannot be read.
Result<std::string> read_token_file(const std::string& path, std::string_view what) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Error::unavailable("cannot read " + std::string(what) + " " + path + ": " + std::strerror(errno));
  std::ostringstream text;
  text << in.rdbuf();
  std::string raw = std::move(text).str();
  auto token = trim(raw);
  scrub(raw);
  if (token.empty()) return Error::unavailable(std::string(what) + " " + path + " is empty");
  return token;
}

// At most 200 characters of an error answer, on one line (never used for a 200 answer, which may
// carry credentials).
std::string excerpt(std::string_view body) {
  std::string out(body.substr(0, 200));
  for (auto& c : out) {
    if (c == '\n' || c == '\r') c = ' ';
  }
  return body.size() > 200 ? out + "..." : out;
}

std::string xml_unescape(std::string_view text) {
  static constexpr std::pair<std::string_view, char> kEntities[] = {
      {"&amp;", '&'}, {"&lt;", '<'}, {"&gt;", '>'}, {"&quot;", '"'}, {"&apos;", '\''}};
  std::string out;
  for (std::size_t i = 0; i < text.size();) {
    bool replaced = false;
    if (text[i] == '&') {
      for (const auto& [entity, c] : kEntities) {
        if (text.substr(i, entity.size()) == entity) {
          out += c;
          i += entity.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += text[i++];
  }
  return out;
}

// The text of the first <tag>...</tag> in `xml`. The STS answers are small, flat and without
// namespace prefixes, so this is all the XML the Query API needs here.
std::optional<std::string> xml_text(std::string_view xml, std::string_view tag) {
  const std::string open = "<" + std::string(tag) + ">";
  const std::string close = "</" + std::string(tag) + ">";
  const auto start = xml.find(open);
  if (start == std::string_view::npos) return std::nullopt;
  const auto end = xml.find(close, start + open.size());
  if (end == std::string_view::npos) return std::nullopt;
  return xml_unescape(xml.substr(start + open.size(), end - start - open.size()));
}

// {"AccessKeyId", "SecretAccessKey", "Token", "Expiration"}, as container and instance metadata
// credentials come. The message never quotes the answer.
Result<Credentials> credentials_from_json(std::string_view body) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(body, ec);
  if (ec || !doc.is_object()) return Error::unavailable("the answer is not a JSON object");
  const auto& obj = doc.as_object();
  // Instance metadata says whether it could get the role's credentials; containers do not.
  if (const auto* code = obj.if_contains("Code");
      code != nullptr && code->is_string() && code->as_string() != "Success") {
    return Error::unavailable("the answer's Code is " + std::string(code->as_string()));
  }
  auto field = [&](std::string_view key) -> std::optional<std::string> {
    const auto* v = obj.if_contains(key);
    if (v == nullptr || !v->is_string() || v->as_string().empty()) return std::nullopt;
    return std::string(v->as_string());
  };
  Credentials c;
  for (const auto& [key, target] : {std::pair<std::string_view, std::string*>{"AccessKeyId", &c.access_key_id},
                                    {"SecretAccessKey", &c.secret_access_key},
                                    {"Token", &c.session_token}}) {
    auto value = field(key);
    if (!value) return Error::unavailable("the answer has no " + std::string(key));
    *target = std::move(*value);
  }
  const auto expiration = field("Expiration");
  if (!expiration) return Error::unavailable("the answer has no Expiration");
  c.expiration = parse_aws_time(*expiration);
  if (!c.expiration) return Error::unavailable("the answer's Expiration '" + *expiration + "' is not a timestamp");
  return c;
}

// The provider's HTTP client, made at first use (a bad CA file then fails the fetch, not start-up).
Result<HttpClient*> client_for(std::mutex& mutex, std::unique_ptr<HttpClient>& client, const std::string& endpoint,
                               const std::string& ca_file) {
  std::lock_guard lock(mutex);
  if (client) return client.get();
  auto url = parse_url(endpoint);
  if (!url) return url.error();
  try {
    client = std::make_unique<HttpClient>(HttpClientOptions{*url, ca_file, 2});
  } catch (const std::exception& e) {
    return Error::unavailable(e.what());
  }
  return client.get();
}

// Sends `request` up to `attempts` times while no answer comes or `retryable` says the answer is
// a passing failure (5xx by default). Fetching credentials changes nothing, so repeating is safe.
HttpExchange send_with_retries(
    HttpClient& client, const AwsRequest& request, std::chrono::milliseconds timeout, unsigned attempts,
    const std::function<bool(const AwsResponse&)>& retryable = [](const AwsResponse& r) { return r.status >= 500; }) {
  thread_local std::minstd_rand random{std::random_device{}()};
  HttpExchange exchange;
  for (unsigned attempt = 1;; ++attempt) {
    exchange = client.exchange(request, timeout);
    const bool again = !exchange.response || retryable(*exchange.response);
    if (!again || attempt >= attempts) return exchange;
    const auto cap = std::chrono::milliseconds(50 << std::min(attempt, 5u));
    std::this_thread::sleep_for(std::chrono::milliseconds(random() % (cap.count() + 1)));
  }
}

bool plain_http_allowed(const std::string& host) {
  if (host == "localhost") return true;
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return false;
  return address.is_loopback() || host == "169.254.170.2" || host == "169.254.170.23" ||
         address == boost::asio::ip::make_address("fd00:ec2::23", ec);
}

std::string split_target(const std::string& target, std::string& query) {
  const auto q = target.find('?');
  if (q == std::string::npos) return target;
  query = target.substr(q + 1);
  return target.substr(0, q);
}

// Unique per fetch, and it tells CloudTrail readers which program assumed the role.
std::string default_session_name() {
  const auto now = std::chrono::system_clock::now().time_since_epoch();
  return "containment-chamber-" + std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(now).count());
}

}  // namespace

// ---- web identity (IRSA) ------------------------------------------------------------------------

WebIdentityOptions WebIdentityOptions::from_environment(const EnvLookup& env, std::string_view region) {
  WebIdentityOptions o;
  o.token_file = env("AWS_WEB_IDENTITY_TOKEN_FILE").value_or("");
  o.role_arn = env("AWS_ROLE_ARN").value_or("");
  o.session_name = env("AWS_ROLE_SESSION_NAME").value_or("");
  if (auto endpoint = env("AWS_ENDPOINT_URL_STS")) {
    o.sts_endpoint = *endpoint;
  } else {
    bool global = region.empty();
    if (env("AWS_STS_REGIONAL_ENDPOINTS").value_or("regional") == "legacy") {
      for (auto legacy : kLegacyStsRegions) global = global || legacy == region;
    }
    o.sts_endpoint = global ? "https://sts.amazonaws.com" : default_endpoint("sts", region);
  }
  return o;
}

WebIdentityCredentials::WebIdentityCredentials(WebIdentityOptions options) : options_(std::move(options)) {}
WebIdentityCredentials::~WebIdentityCredentials() = default;

Result<Credentials> WebIdentityCredentials::fetch() {
  if (options_.token_file.empty() && options_.role_arn.empty()) {
    return Error::not_found("AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN are not set");
  }
  if (options_.role_arn.empty()) return Error::invalid("AWS_WEB_IDENTITY_TOKEN_FILE is set but AWS_ROLE_ARN is not");
  if (options_.token_file.empty()) return Error::invalid("AWS_ROLE_ARN is set but AWS_WEB_IDENTITY_TOKEN_FILE is not");
  auto client = client_for(mutex_, client_, options_.sts_endpoint, options_.ca_file);
  if (!client) return client.error();
  auto token = read_token_file(options_.token_file, "web identity token file");
  if (!token) return token.error();

  const auto session = options_.session_name.empty() ? default_session_name() : options_.session_name;
  AwsRequest request;
  request.path = split_target((*client)->url().target, request.query);
  request.headers = {{"Content-Type", "application/x-www-form-urlencoded; charset=utf-8"}};
  request.body = "Action=AssumeRoleWithWebIdentity&Version=2011-06-15&RoleArn=" + uri_encode(options_.role_arn, false) +
                 "&RoleSessionName=" + uri_encode(session, false) + "&WebIdentityToken=" + uri_encode(*token, false);
  scrub(*token);
  auto exchange =
      send_with_retries(**client, request, options_.timeout, options_.max_attempts, [](const AwsResponse& r) {
        const auto code = xml_text(r.body, "Code").value_or("");
        return r.status >= 500 || code == "Throttling" || code == "IDPCommunicationError";
      });
  scrub(request.body);
  const auto where = "STS AssumeRoleWithWebIdentity at " + (*client)->url().origin() + " for " + options_.role_arn;
  if (!exchange.response) return Error::unavailable(where + ": " + exchange.failure);
  auto& response = *exchange.response;
  if (response.status != 200) {
    return Error::unavailable(where + ": HTTP " + std::to_string(response.status) + " " +
                              xml_text(response.body, "Code").value_or("") + ": " +
                              xml_text(response.body, "Message").value_or(excerpt(response.body)));
  }
  auto block = xml_text(response.body, "Credentials");
  scrub(response.body);
  if (!block) return Error::unavailable(where + ": the answer has no <Credentials>");
  Credentials c;
  std::string expiration;
  for (const auto& [tag, into] : {std::pair<std::string_view, std::string*>{"AccessKeyId", &c.access_key_id},
                                  {"SecretAccessKey", &c.secret_access_key},
                                  {"SessionToken", &c.session_token},
                                  {"Expiration", &expiration}}) {
    auto value = xml_text(*block, tag);
    if (!value || value->empty()) {
      scrub(*block);
      return Error::unavailable(where + ": the answer has no <" + std::string(tag) + ">");
    }
    *into = std::move(*value);
  }
  scrub(*block);
  c.expiration = parse_aws_time(expiration);
  if (!c.expiration) return Error::unavailable(where + ": Expiration '" + expiration + "' is not a timestamp");
  return c;
}

// ---- container (EKS Pod Identity / ECS) -------------------------------------------------------

ContainerOptions ContainerOptions::from_environment(const EnvLookup& env) {
  ContainerOptions o;
  if (auto full = env("AWS_CONTAINER_CREDENTIALS_FULL_URI")) {
    o.uri = *full;
  } else if (auto relative = env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI")) {
    o.uri = "http://169.254.170.2" + *relative;
  }
  o.token_file = env("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").value_or("");
  o.token = env("AWS_CONTAINER_AUTHORIZATION_TOKEN").value_or("");
  return o;
}

ContainerCredentials::ContainerCredentials(ContainerOptions options) : options_(std::move(options)) {}
ContainerCredentials::~ContainerCredentials() {
  scrub(options_.token);
}

Result<Credentials> ContainerCredentials::fetch() {
  if (options_.uri.empty()) {
    return Error::not_found(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_CREDENTIALS_RELATIVE_URI are not set");
  }
  auto url = parse_url(options_.uri);
  if (!url) return url.error();
  // The authorization token must not cross a network in clear text.
  if (!url->tls && !plain_http_allowed(url->host)) {
    return Error::invalid("refusing plain http to " + url->host +
                          ": only loopback and the ECS / EKS Pod Identity agent addresses may use http");
  }
  auto client = client_for(mutex_, client_, options_.uri, options_.ca_file);
  if (!client) return client.error();
  std::string token;
  if (!options_.token_file.empty()) {
    auto from_file = read_token_file(options_.token_file, "container authorization token file");
    if (!from_file) return from_file.error();
    token = std::move(*from_file);
  } else {
    token = options_.token;
  }
  if (token.find_first_of("\r\n") != std::string::npos) {
    scrub(token);
    return Error::invalid("the container authorization token contains a line break");
  }
  AwsRequest request;
  request.method = "GET";
  request.path = split_target(url->target, request.query);
  if (!token.empty()) request.headers.emplace_back("Authorization", token);
  scrub(token);
  auto exchange = send_with_retries(**client, request, options_.timeout, options_.max_attempts);
  for (auto& header : request.headers) scrub(header.second);
  const auto where = "GET " + url->origin() + url->target;
  if (!exchange.response) return Error::unavailable(where + ": " + exchange.failure);
  auto& response = *exchange.response;
  if (response.status != 200) {
    return Error::unavailable(where + ": HTTP " + std::to_string(response.status) + ": " + excerpt(response.body));
  }
  auto credentials = credentials_from_json(response.body);
  scrub(response.body);
  if (!credentials) return Error::unavailable(where + ": " + credentials.error().message);
  return credentials;
}

// ---- instance metadata (IMDSv2) ---------------------------------------------------------------

InstanceMetadataOptions InstanceMetadataOptions::from_environment(const EnvLookup& env) {
  InstanceMetadataOptions o;
  auto disabled = env("AWS_EC2_METADATA_DISABLED").value_or("");
  for (auto& c : disabled) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  o.disabled = disabled == "true";
  if (auto endpoint = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")) o.endpoint = *endpoint;
  return o;
}

InstanceMetadataCredentials::InstanceMetadataCredentials(InstanceMetadataOptions options)
    : options_(std::move(options)) {}
InstanceMetadataCredentials::~InstanceMetadataCredentials() = default;

std::string InstanceMetadataCredentials::name() const {
  return "instance metadata (IMDSv2 at " + options_.endpoint + ")";
}

Result<Credentials> InstanceMetadataCredentials::fetch() {
  if (options_.disabled) return Error::not_found("AWS_EC2_METADATA_DISABLED is true");
  auto client = client_for(mutex_, client_, options_.endpoint, "");
  if (!client) return client.error();
  auto base = (*client)->url().target;
  while (!base.empty() && base.back() == '/') base.pop_back();

  auto send = [&](std::string method, const std::string& path, Headers headers) {
    AwsRequest request;
    request.method = std::move(method);
    request.path = base + path;
    request.headers = std::move(headers);
    return send_with_retries(**client, request, options_.timeout, options_.max_attempts);
  };
  auto failed = [](const std::string& step, const HttpExchange& e) {
    if (!e.response) return Error::unavailable(step + ": " + e.failure);
    return Error::unavailable(step + ": HTTP " + std::to_string(e.response->status) + ": " + excerpt(e.response->body));
  };

  // IMDSv1 (no session token) is never used: it is what SSRF attacks on metadata go through.
  auto token_exchange = send("PUT", "/latest/api/token", {{"X-aws-ec2-metadata-token-ttl-seconds", "21600"}});
  if (!token_exchange.response || token_exchange.response->status != 200) {
    return failed("session token (PUT /latest/api/token)", token_exchange);
  }
  auto token = trim(token_exchange.response->body);
  scrub(token_exchange.response->body);

  const std::string roles_path = "/latest/meta-data/iam/security-credentials/";
  auto roles = send("GET", roles_path, {{"X-aws-ec2-metadata-token", token}});
  if (roles.response && roles.response->status == 404) {
    scrub(token);
    return Error::unavailable("no IAM role is attached to this instance (GET " + roles_path + ": HTTP 404)");
  }
  if (!roles.response || roles.response->status != 200) {
    scrub(token);
    return failed("role name (GET " + roles_path + ")", roles);
  }
  const auto role = trim(roles.response->body.substr(0, roles.response->body.find('\n')));
  if (role.empty() || role.find_first_of("/?# \t") != std::string::npos) {
    scrub(token);
    return Error::unavailable("GET " + roles_path + ": unexpected role name '" + excerpt(role) + "'");
  }
  auto answer = send("GET", roles_path + role, {{"X-aws-ec2-metadata-token", token}});
  scrub(token);
  if (!answer.response || answer.response->status != 200) return failed("credentials of role " + role, answer);
  auto& body = answer.response->body;
  auto credentials = credentials_from_json(body);
  scrub(body);
  if (!credentials) return Error::unavailable("credentials of role " + role + ": " + credentials.error().message);
  return credentials;
}

}  // namespace cc::aws
