#pragma once
// One-shot HTTPS GET for tests, verifying the server against `ca_file`, optionally presenting a
// client certificate. status 0 means the TLS handshake or the connection failed (`error` says why).
#include <cstdint>
#include <string>

namespace cc::test {

struct HttpsResult {
  unsigned status = 0;
  std::string body;
  std::string error;
};

HttpsResult https_get(std::uint16_t port, const std::string& target, const std::string& ca_file,
                      const std::string& client_cert = "", const std::string& client_key = "");

}  // namespace cc::test
