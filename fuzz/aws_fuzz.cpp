// What the AWS client reads from the network or the configuration: endpoint URLs, error answers
// (JSON and XML, which decide retries), timestamps, and the SigV4 canonical forms of a request
// built from the input (path, query and headers).
#include <boost/json.hpp>

#include "aws/credentials.hpp"
#include "aws/http_client.hpp"
#include "aws/https_transport.hpp"
#include "aws/json_errors.hpp"
#include "aws/sigv4.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  (void)cc::aws::parse_url(text);
  (void)cc::aws::parse_aws_time(text);
  cc::aws::AwsResponse response;
  response.status = size > 0 && data[0] % 2 == 0 ? 400 : 503;
  response.body = text;
  (void)cc::aws::is_throttling(response);
  boost::system::error_code ec;
  const auto json = boost::json::parse(text, ec);
  if (!ec && json.is_object()) {
    (void)cc::aws::json_error_type(json.as_object());
    (void)cc::aws::json_error_message(json.as_object());
  }
  // The input split into path, query and one header at its first two newlines.
  const auto a = text.find('\n');
  const auto b = a == std::string::npos ? std::string::npos : text.find('\n', a + 1);
  cc::aws::AwsRequest request;
  request.method = "POST";
  request.path = text.substr(0, a);
  request.query = a == std::string::npos ? "" : text.substr(a + 1, b == std::string::npos ? b : b - a - 1);
  request.headers.emplace_back("X-Fuzz", b == std::string::npos ? "" : text.substr(b + 1));
  request.headers.emplace_back("Host", "example.amazonaws.com");
  request.body = text;
  (void)cc::aws::canonical_uri(request.path, true);
  (void)cc::aws::canonical_query(request.query);
  const cc::aws::Credentials credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY");
  cc::aws::SigningParams params;
  params.service = "service";
  params.region = "us-east-1";
  params.time = std::chrono::system_clock::time_point(std::chrono::seconds(1440938160));
  (void)cc::aws::sign_headers(request, credentials, params);
  return 0;
}
