// The NSM wire protocol without a device: request bytes exactly as AWS's NSM library (serde_cbor)
// writes them, every response shape the client must accept or refuse, and the ioctl message
// layout and number of the real driver. The device path itself is exercised against /dev/null,
// which is a character device but not an NSM: the ioctl must fail cleanly.
#include <gtest/gtest.h>
#include <stddef.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "tee/nsm_client.hpp"
#include "tee/nsm_transport.hpp"

namespace cc::tee {
namespace {

ByteVector hex(std::string_view text) {
  return from_hex(text).value();
}

// serde_cbor: unit variant = its name; struct variant = {name: {field: value, ...}} in declaration
// order; None = null; ByteBuf = byte string.
TEST(NsmProtocol, RequestsAreEncodedAsTheNsmLibraryEncodesThem) {
  // "GetRandom"
  EXPECT_EQ(encode_get_random_request(), hex("6947657452616e646f6d"));
  // {"DescribePCR": {"index": 8}}
  EXPECT_EQ(encode_describe_pcr_request(8), hex("a16b4465736372696265504352a165696e64657808"));
  // Indexes are u16: 300 takes two bytes.
  EXPECT_EQ(encode_describe_pcr_request(300), hex("a16b4465736372696265504352a165696e64657819012c"));
  // {"Attestation": {"user_data": h'01', "nonce": null, "public_key": null}}
  AttestationRequest request;
  request.user_data = hex("01");
  EXPECT_EQ(encode_attestation_request(request).value(), hex("a16b4174746573746174696f6e"
                                                             "a3"
                                                             "69757365725f64617461"
                                                             "4101"
                                                             "656e6f6e6365"
                                                             "f6"
                                                             "6a7075626c69635f6b6579"
                                                             "f6"));
  // All three present.
  request.nonce = hex("aabb");
  request.public_key = hex("30");
  EXPECT_EQ(encode_attestation_request(request).value(), hex("a16b4174746573746174696f6e"
                                                             "a3"
                                                             "69757365725f64617461"
                                                             "4101"
                                                             "656e6f6e6365"
                                                             "42aabb"
                                                             "6a7075626c69635f6b6579"
                                                             "4130"));
}

TEST(NsmProtocol, AttestationRequestFieldsAreBounded) {
  // One fresh request per case (GCC 12 misreads reassigned optionals as uninitialized).
  AttestationRequest big_user_data;
  big_user_data.user_data.emplace(kMaxUserDataSize + 1, 1);
  auto too_big = encode_attestation_request(big_user_data);
  ASSERT_FALSE(too_big);
  EXPECT_NE(too_big.error().message.find("user_data of 513 bytes"), std::string::npos) << too_big.error().message;

  AttestationRequest big_nonce;
  big_nonce.nonce.emplace(kMaxNonceSize + 1, 1);
  EXPECT_FALSE(encode_attestation_request(big_nonce));

  AttestationRequest empty_key;
  empty_key.public_key.emplace();  // verifiers refuse an empty public key
  EXPECT_FALSE(encode_attestation_request(empty_key));

  AttestationRequest request;
  request.user_data.emplace(kMaxUserDataSize, 1);
  request.nonce.emplace(kMaxNonceSize, 2);
  request.public_key.emplace(kMaxPublicKeySize, 3);
  auto largest = encode_attestation_request(request);
  ASSERT_TRUE(largest) << largest.error().message;
  EXPECT_LE(largest->size(), kNsmRequestMaxSize);  // the largest legal request fits the device limit
}

TEST(NsmProtocol, ResponsesAreDecoded) {
  // {"Attestation": {"document": h'd2'}}
  EXPECT_EQ(decode_attestation_response(hex("a16b4174746573746174696f6ea168646f63756d656e7441d2")).value(), hex("d2"));
  // {"GetRandom": {"random": h'0102'}}
  EXPECT_EQ(decode_get_random_response(hex("a16947657452616e646f6da16672616e646f6d420102")).value(), hex("0102"));
  // {"DescribePCR": {"lock": true, "data": 48 x 0x07}}
  ByteVector pcr(48, 7);
  ByteVector describe =
      hex("a16b4465736372696265504352a2646c6f636bf56464617461"
          "5830");
  describe.insert(describe.end(), pcr.begin(), pcr.end());
  auto decoded = decode_describe_pcr_response(describe).value();
  EXPECT_TRUE(decoded.locked);
  EXPECT_EQ(decoded.value, pcr);
}

TEST(NsmProtocol, NsmErrorsAreReportedByName) {
  // {"Error": "InvalidIndex"}
  auto error = decode_describe_pcr_response(hex("a1654572726f726c496e76616c6964496e646578"));
  ASSERT_FALSE(error);
  EXPECT_EQ(error.error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(error.error().message, "NSM refused DescribePCR: InvalidIndex (PCR index out of bounds)");
  // {"Error": "InternalError"}
  auto internal = decode_attestation_response(hex("a1654572726f726d496e7465726e616c4572726f72"));
  ASSERT_FALSE(internal);
  EXPECT_EQ(internal.error().kind, Error::Kind::unavailable);
  // {"Error": "Bogus"}
  auto unknown = decode_attestation_response(hex("a1654572726f7265426f677573"));
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown NSM error code"), std::string::npos);
}

TEST(NsmProtocol, MalformedResponsesAreRefusedWithReasons) {
  struct Case {
    const char* name;
    const char* hex;
    const char* expected;
  };
  const Case cases[] = {
      {"another variant", "a16947657452616e646f6da16672616e646f6d420102", "another operation"},
      {"not a map", "6947657452616e646f6d", "expected a map"},
      {"missing field", "a16b4174746573746174696f6ea0", "expected 1 fields, got 0"},
      {"wrong field name", "a16b4174746573746174696f6ea163646f6341d2", "document: missing"},
      {"wrong field type", "a16b4174746573746174696f6ea168646f63756d656e746141", "expected a byte string"},
      {"empty document", "a16b4174746573746174696f6ea168646f63756d656e7440", "0 bytes"},
      {"truncated", "a16b4174746573746174696f6ea168646f63756d656e7442d2", "truncated"},
      {"trailing bytes", "a16b4174746573746174696f6ea168646f63756d656e7441d200", "trailing"},
      {"two variants", "a26b4174746573746174696f6ea0654572726f72654572726f72", "more than 1"},
  };
  for (const Case& c : cases) {
    auto result = decode_attestation_response(hex(c.hex));
    ASSERT_FALSE(result) << c.name;
    EXPECT_EQ(result.error().kind, Error::Kind::invalid_argument) << c.name;
    EXPECT_NE(result.error().message.find(c.expected), std::string::npos) << c.name << ": " << result.error().message;
  }
  // A PCR that is not 32/48/64 bytes.
  EXPECT_FALSE(decode_describe_pcr_response(hex("a16b4465736372696265504352a2646c6f636bf564646174614101")));
  // lock must be a boolean.
  ByteVector not_bool =
      hex("a16b4465736372696265504352a2646c6f636b016464617461"
          "5830");
  not_bool.resize(not_bool.size() + 48, 0);
  EXPECT_FALSE(decode_describe_pcr_response(not_bool));
  // A response above the device's maximum size is refused before decoding.
  EXPECT_FALSE(decode_attestation_response(ByteVector(kNsmResponseMaxSize + 1, 0x40)));
}

// include/uapi/linux/nsm.h: struct nsm_raw { struct nsm_iovec request, response; } with
// nsm_iovec { __u64 addr; __u64 len; }, and NSM_IOCTL_RAW = _IOWR(0x0A, 0, struct nsm_raw).
TEST(NsmIoctl, MessageLayoutAndNumberMatchTheDriver) {
  EXPECT_EQ(kNsmIoctlRaw, 0xC0200A00UL);
  EXPECT_EQ(sizeof(NsmRawMessage), 32u);
  EXPECT_EQ(offsetof(NsmRawMessage, request), 0u);
  EXPECT_EQ(offsetof(NsmRawMessage, response), 16u);
  EXPECT_EQ(offsetof(NsmIovec, addr), 0u);
  EXPECT_EQ(offsetof(NsmIovec, len), 8u);
  EXPECT_EQ(kNsmRequestMaxSize, 0x1000u);
  EXPECT_EQ(kNsmResponseMaxSize, 0x3000u);

  const ByteVector request = encode_get_random_request();
  ByteVector response(kNsmResponseMaxSize);
  const NsmRawMessage message = nsm_raw_message(request, response);
  EXPECT_EQ(message.request.addr, reinterpret_cast<std::uintptr_t>(request.data()));
  EXPECT_EQ(message.request.len, request.size());
  EXPECT_EQ(message.response.addr, reinterpret_cast<std::uintptr_t>(response.data()));
  EXPECT_EQ(message.response.len, kNsmResponseMaxSize);
}

TEST(NsmIoctl, ACharacterDeviceThatIsNotAnNsmFailsCleanly) {
  auto client = NsmClient::open("/dev/null");  // a character device: the ioctl transport is chosen
  ASSERT_TRUE(client) << client.error().message;
  EXPECT_EQ(client->transport().describe(), "/dev/null (ioctl)");
  auto random = client->get_random();
  ASSERT_FALSE(random);
  EXPECT_EQ(random.error().kind, Error::Kind::unavailable);
  EXPECT_NE(random.error().message.find("/dev/null is not a Nitro Secure Module"), std::string::npos)
      << random.error().message;

  // Oversized requests never reach the device.
  auto device = NsmDeviceTransport::open("/dev/null").value();
  auto too_big = device->exchange(ByteVector(kNsmRequestMaxSize + 1, 0));
  ASSERT_FALSE(too_big);
  EXPECT_EQ(too_big.error().kind, Error::Kind::invalid_argument);
}

TEST(NsmIoctl, PathsThatAreNeitherDeviceNorSocketAreRefused) {
  auto missing = NsmClient::open("/nonexistent/nsm");
  ASSERT_FALSE(missing);
  EXPECT_NE(missing.error().message.find("inside a Nitro Enclave"), std::string::npos);

  const auto file = std::filesystem::temp_directory_path() / ("cc-nsm-file-" + std::to_string(std::random_device{}()));
  std::ofstream(file) << "not a device";
  auto regular = NsmClient::open(file.string());
  std::filesystem::remove(file);
  ASSERT_FALSE(regular);
  EXPECT_NE(regular.error().message.find("neither a character device nor a Unix socket"), std::string::npos);
}

TEST(NsmProtocol, AFloatWhereTheResponseMapShouldBeIsRefused) {
  const ByteVector half_float = {0xf9, 0xff, 0xd8};  // fuzz/regressions/attestation
  auto r = decode_attestation_response(half_float);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("float"), std::string::npos) << r.error().message;
}

}  // namespace
}  // namespace cc::tee
