// A real attestation document from a real Nitro Enclave (see data/README.md for its source): the
// parser reads the NSM's actual encoding, the verifier accepts AWS's real chain and ES384
// signature at the document's time and refuses it when anything is off.
#include <gtest/gtest.h>
#include <openssl/sha.h>

#include <algorithm>
#include <fstream>
#include <sstream>

#include "tee/atls_attestation.hpp"
#include "tee/attestation_verifier.hpp"

namespace cc::tee {
namespace {

ByteVector sample() {
  std::ifstream in(std::string(CC_SOURCE_DIR) + "/tests/unit/tee/data/nitro_attestation_2024-09-09.b64");
  std::stringstream text;
  text << in.rdbuf();
  std::string b64 = text.str();
  while (!b64.empty() && (b64.back() == '\n' || b64.back() == '\r')) b64.pop_back();
  return from_base64(b64).value();
}

std::string sha256_hex(std::span<const std::uint8_t> data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(data.data(), data.size(), digest);
  return to_hex(digest);
}

constexpr std::uint64_t kTimestampMs = 1725911352400;  // 2024-09-09T19:49:12.400Z

AttestationPolicy at_document_time() {
  AttestationPolicy policy;
  policy.at = std::chrono::system_clock::time_point(std::chrono::milliseconds(kTimestampMs));
  return policy;
}

TEST(AttestationSample, TheFileIsTheCitedDocument) {
  EXPECT_EQ(sha256_hex(sample()), "0x8056eefb696e0e5d178f9d6cb81f7ef0d4bb084cbac9507663b1a31d89e00385");
}

TEST(AttestationSample, ParsesTheNsmEncoding) {
  const ByteVector bytes = sample();
  EXPECT_EQ(bytes[0], 0x84) << "the NSM sends COSE_Sign1 untagged";
  auto doc = parse_attestation_document(bytes);
  ASSERT_TRUE(doc) << doc.error().message;
  EXPECT_EQ(doc->module_id, "i-0bbf1bfe232b8c2ce-enc0191ba35c9d1b77a");
  EXPECT_EQ(doc->digest, "SHA384");
  EXPECT_EQ(doc->timestamp_ms, kTimestampMs);
  EXPECT_EQ(doc->pcrs.size(), 16u);
  EXPECT_EQ(doc->pcrs.at(0), ByteVector(48, 0));
  EXPECT_EQ(doc->cabundle.size(), 4u);
  ASSERT_TRUE(doc->public_key);
  EXPECT_EQ(std::string(doc->public_key->begin(), doc->public_key->end()), "dummy");
  ASSERT_TRUE(doc->user_data);
  EXPECT_EQ(doc->user_data->size(), 68u);
  ByteVector nonce(20, 0);
  nonce.back() = 1;
  EXPECT_EQ(doc->nonce, nonce);
}

TEST(AttestationSample, ItsRootIsTheAwsNitroRoot) {
  auto doc = parse_attestation_document(sample()).value();
  EXPECT_TRUE(check_aws_nitro_root(doc.cabundle.front()));
  EXPECT_EQ(sha256_hex(doc.cabundle.front()).substr(2), kAwsNitroRootSha256);
  // Any other certificate is refused as the production root, with its fingerprint in the error.
  auto intermediate = check_aws_nitro_root(doc.cabundle[1]);
  ASSERT_FALSE(intermediate);
  EXPECT_NE(intermediate.error().message.find(sha256_hex(doc.cabundle[1]).substr(2)), std::string::npos);
  EXPECT_FALSE(AttestationVerifier::for_aws_nitro_root(doc.cabundle[1]));
}

TEST(AttestationSample, VerifiesAgainstTheAwsRootAtItsTime) {
  const ByteVector bytes = sample();
  auto doc = parse_attestation_document(bytes).value();
  auto verifier = AttestationVerifier::for_aws_nitro_root(doc.cabundle.front());
  ASSERT_TRUE(verifier) << verifier.error().message;

  AttestationPolicy policy = at_document_time();
  policy.expected_pcrs[0] = ByteVector(48, 0);
  policy.max_age = std::chrono::minutes(5);
  auto verified = verifier->verify(bytes, policy);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->module_id, "i-0bbf1bfe232b8c2ce-enc0191ba35c9d1b77a");
  EXPECT_EQ(verified->public_key, doc.public_key);
  EXPECT_EQ(verified->user_data, doc.user_data);
  EXPECT_EQ(verified->nonce, doc.nonce);
}

TEST(AttestationSample, IsRefusedTodayWrongPcrOrAlteredByOneBit) {
  const ByteVector bytes = sample();
  auto doc = parse_attestation_document(bytes).value();
  auto verifier = AttestationVerifier::for_aws_nitro_root(doc.cabundle.front()).value();

  // Today the instance certificate has long expired.
  auto today = verifier.verify(bytes, AttestationPolicy{});
  ASSERT_FALSE(today);
  EXPECT_EQ(today.error().kind, Error::Kind::forbidden);
  EXPECT_NE(today.error().message.find("expired"), std::string::npos) << today.error().message;

  AttestationPolicy policy = at_document_time();
  policy.expected_pcrs[0] = ByteVector(48, 0x11);
  auto pcr = verifier.verify(bytes, policy);
  ASSERT_FALSE(pcr);
  EXPECT_NE(pcr.error().message.find("PCR0 mismatch"), std::string::npos) << pcr.error().message;

  // One bit of the nonce inside the signed payload.
  ByteVector altered = bytes;
  const std::string nonce_key = "nonce";
  auto at = std::search(altered.begin(), altered.end(), nonce_key.begin(), nonce_key.end());
  ASSERT_NE(at, altered.end());
  altered[static_cast<std::size_t>(at - altered.begin()) + nonce_key.size() + 20] ^= 0x01;
  auto tampered = verifier.verify(altered, at_document_time());
  ASSERT_FALSE(tampered);
  EXPECT_NE(tampered.error().message.find("attestation signature"), std::string::npos) << tampered.error().message;

  // One bit of the signature.
  ByteVector bad_signature = bytes;
  bad_signature.back() ^= 0x80;
  auto forged = verifier.verify(bad_signature, at_document_time());
  ASSERT_FALSE(forged);
  EXPECT_NE(forged.error().message.find("attestation signature"), std::string::npos);
}

TEST(AttestationSample, ThePinnedRootVerifierAcceptsTheAwsRootThenChecksTime) {
  // aws_nitro_document_verifier takes cabundle[0] as the root only by its fingerprint: this real
  // document gets past that check and fails on the next one, its expired instance certificate.
  auto refused = aws_nitro_document_verifier({})(sample());
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("expired"), std::string::npos) << refused.error().message;
}

}  // namespace
}  // namespace cc::tee
