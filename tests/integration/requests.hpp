#pragma once
// Builders for signing request bodies used by the integration tests (mainnet fork_info).
#include <cstdint>
#include <string>

namespace cc::test {

inline constexpr const char* kMainnetGvr = "0x4b363db94e286120d76eb905340fdd4e54bfe9f06bf33ff6cf5ad27f511bfe95";

inline std::string root_hex(unsigned byte) {
  std::string out = "0x";
  static const char* d = "0123456789abcdef";
  for (int i = 0; i < 32; ++i) {
    out += d[(byte >> 4) & 0xf];
    out += d[byte & 0xf];
  }
  return out;
}

inline std::string fork_info(const std::string& gvr = kMainnetGvr) {
  return R"({"fork":{"previous_version":"0x04000000","current_version":"0x05000000","epoch":"364032"},)"
         R"("genesis_validators_root":")" + gvr + R"("})";
}

inline std::string attestation(std::uint64_t source, std::uint64_t target, unsigned block_root_byte = 1,
                               const std::string& gvr = kMainnetGvr) {
  return R"({"type":"ATTESTATION","fork_info":)" + fork_info(gvr) + R"(,"attestation":{"slot":")" +
         std::to_string(target * 32) + R"(","index":"0","beacon_block_root":")" + root_hex(block_root_byte) +
         R"(","source":{"epoch":")" + std::to_string(source) + R"(","root":")" + root_hex(2) +
         R"("},"target":{"epoch":")" + std::to_string(target) + R"(","root":")" + root_hex(3) + R"("}}})";
}

inline std::string block_header(std::uint64_t slot, unsigned body_root_byte = 4) {
  return R"({"type":"BLOCK_V2","fork_info":)" + fork_info() +
         R"(,"beacon_block":{"version":"ELECTRA","block_header":{"slot":")" + std::to_string(slot) +
         R"(","proposer_index":"7","parent_root":")" + root_hex(5) + R"(","state_root":")" + root_hex(6) +
         R"(","body_root":")" + root_hex(body_root_byte) + R"("}}})";
}

inline std::string randao(std::uint64_t epoch) {
  return R"({"type":"RANDAO_REVEAL","fork_info":)" + fork_info() + R"(,"randao_reveal":{"epoch":")" +
         std::to_string(epoch) + R"("}})";
}

// An Authorization header for HTTP Basic credentials.
inline std::string basic_auth(const std::string& user, const std::string& password) {
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  const std::string in = user + ":" + password;
  std::string out;
  int val = 0, bits = -6;
  for (unsigned char c : in) {
    val = (val << 8) + c;
    bits += 8;
    while (bits >= 0) {
      out.push_back(tbl[(val >> bits) & 0x3F]);
      bits -= 6;
    }
  }
  if (bits > -6) out.push_back(tbl[((val << 8) >> (bits + 8)) & 0x3F]);
  while (out.size() % 4) out.push_back('=');
  return "Basic " + out;
}

}  // namespace cc::test
