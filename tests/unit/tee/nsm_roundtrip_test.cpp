// Client -> simulated NSM -> verifier over a real Unix socket: the product's NsmClient (chosen by
// the path being a socket, exactly as a test harness would configure it) asks the simulator for
// documents, PCRs and entropy, and the verifier binds the returned public_key, user_data and
// nonce. Also: the client's handling of NSM errors and malformed or oversized responses.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>
#include <thread>

#include "nsm_simulator.hpp"
#include "tee/attestation_verifier.hpp"
#include "tee/nsm_client.hpp"

namespace cc::tee {
namespace {

class NsmRoundTrip : public ::testing::Test {
 protected:
  NsmRoundTrip()
      : nsm_((std::filesystem::temp_directory_path() / ("cc-nsm-" + std::to_string(std::random_device{}()))).string()),
        client_(NsmClient::open(nsm_.socket_path()).value()),
        verifier_(AttestationVerifier::create(nsm_.pki().root_der()).value()) {}

  test::NsmSimulator nsm_;
  NsmClient client_;
  AttestationVerifier verifier_;
};

TEST_F(NsmRoundTrip, TheSocketPathSelectsTheSimulatorTransport) {
  EXPECT_EQ(client_.transport().describe(), nsm_.socket_path() + " (simulator socket)");
}

TEST_F(NsmRoundTrip, AttestationBindsPublicKeyUserDataAndNonce) {
  AttestationRequest request;
  request.public_key = ByteVector(91, 0x30);        // the size of a P-256 SPKI
  request.user_data = ByteVector(32, 0xAB);         // e.g. SHA-256 of a TLS key's SPKI
  request.nonce = ByteVector{1, 2, 3, 4, 5, 6, 7};  // a verifier's challenge
  auto document = client_.attestation(request);
  ASSERT_TRUE(document) << document.error().message;

  // The simulator received the request bytes the product encoded.
  EXPECT_EQ(nsm_.last_request(), encode_attestation_request(request).value());

  AttestationPolicy policy;
  policy.expected_pcrs[0] = nsm_.pcrs().at(0);
  policy.expected_pcrs[8] = nsm_.pcrs().at(8);
  policy.max_age = std::chrono::seconds(30);
  auto verified = verifier_.verify(*document, policy);
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->public_key, request.public_key);
  EXPECT_EQ(verified->user_data, request.user_data);
  EXPECT_EQ(verified->nonce, request.nonce);

  // Two documents for two challenges differ where it matters: the nonce is bound.
  AttestationRequest other = request;
  other.nonce = ByteVector{7, 7};
  auto second = verifier_.verify(client_.attestation(other).value(), policy);
  ASSERT_TRUE(second);
  EXPECT_NE(second->nonce, verified->nonce);
}

TEST_F(NsmRoundTrip, AnEmptyRequestGivesADocumentWithoutBindings) {
  auto verified = verifier_.verify(client_.attestation({}).value(), AttestationPolicy{});
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_FALSE(verified->public_key);
  EXPECT_FALSE(verified->user_data);
  EXPECT_FALSE(verified->nonce);
}

TEST_F(NsmRoundTrip, DescribePcrAndGetRandom) {
  nsm_.set_pcr(8, ByteVector(48, 0x88));
  auto pcr8 = client_.describe_pcr(8);
  ASSERT_TRUE(pcr8) << pcr8.error().message;
  EXPECT_TRUE(pcr8->locked);
  EXPECT_EQ(pcr8->value, ByteVector(48, 0x88));

  auto out_of_range = client_.describe_pcr(40);
  ASSERT_FALSE(out_of_range);
  EXPECT_EQ(out_of_range.error().message, "NSM refused DescribePCR: InvalidIndex (PCR index out of bounds)");

  auto a = client_.get_random();
  auto b = client_.get_random();
  ASSERT_TRUE(a && b);
  EXPECT_EQ(a->size(), 256u);
  EXPECT_NE(*a, *b);
}

TEST_F(NsmRoundTrip, MalformedOrUnexpectedResponsesAreErrorsNotCrashes) {
  // {"Error": <a 16-byte text followed by one byte too many>}
  nsm_.answer_next_with(from_hex("a1654572726f727043496e76616c69644f7065726174696f6e").value());
  EXPECT_FALSE(client_.get_random());

  // {"Error": "InvalidOperation"}
  nsm_.answer_next_with(from_hex("a1654572726f7270496e76616c69644f7065726174696f6e").value());
  auto refused = client_.get_random();
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, Error::Kind::forbidden);
  EXPECT_NE(refused.error().message.find("InvalidOperation"), std::string::npos) << refused.error().message;

  // A describe-PCR answer to an attestation request.
  nsm_.answer_next_with(from_hex("a16b4465736372696265504352a0").value());
  auto mismatched = client_.attestation({});
  ASSERT_FALSE(mismatched);
  EXPECT_NE(mismatched.error().message.find("another operation"), std::string::npos);

  // A document that is not an attestation document is caught by the parser, not the client.
  nsm_.answer_next_with(from_hex("a16b4174746573746174696f6ea168646f63756d656e7441d2").value());
  auto junk = client_.attestation({});
  ASSERT_TRUE(junk);
  EXPECT_FALSE(verifier_.verify(*junk, AttestationPolicy{}));

  // A response larger than any the device can give.
  nsm_.answer_next_with(ByteVector(kNsmResponseMaxSize + 100, 0x40));
  auto oversized = client_.get_random();
  ASSERT_FALSE(oversized);
  EXPECT_NE(oversized.error().message.find("exceeds the device limit"), std::string::npos) << oversized.error().message;

  // After all that, the simulator and client still work.
  EXPECT_TRUE(client_.get_random());
}

TEST_F(NsmRoundTrip, OversizedInputsNeverLeaveTheClient) {
  const std::size_t before = nsm_.requests_served();
  AttestationRequest request;
  request.user_data = ByteVector(kMaxUserDataSize + 1, 0);
  auto refused = client_.attestation(request);
  ASSERT_FALSE(refused);
  EXPECT_EQ(refused.error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(nsm_.requests_served(), before);

  // The transport refuses requests above the device limit on its own as well.
  NsmSocketTransport transport(nsm_.socket_path());
  EXPECT_FALSE(transport.exchange(ByteVector(kNsmRequestMaxSize + 1, 0)));
  EXPECT_EQ(nsm_.requests_served(), before);
}

TEST_F(NsmRoundTrip, ConcurrentCallersEachGetTheirOwnDocument) {
  constexpr int kThreads = 4;
  std::vector<std::thread> threads;
  std::vector<int> ok(kThreads, 0);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5; ++i) {
        AttestationRequest request;
        request.nonce = ByteVector{static_cast<std::uint8_t>(t), static_cast<std::uint8_t>(i)};
        auto document = client_.attestation(request);
        if (!document) continue;
        auto verified = verifier_.verify(*document, AttestationPolicy{});
        if (verified && verified->nonce == request.nonce) ++ok[static_cast<std::size_t>(t)];
      }
    });
  }
  for (auto& thread : threads) thread.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(ok[static_cast<std::size_t>(t)], 5) << "thread " << t;
}

TEST(NsmSimulatorAbsent, AMissingSimulatorIsAClearError) {
  const auto path = (std::filesystem::temp_directory_path() / "cc-nsm-absent.sock").string();
  NsmSocketTransport transport(path);
  auto result = transport.exchange(encode_get_random_request());
  ASSERT_FALSE(result);
  EXPECT_EQ(result.error().kind, Error::Kind::unavailable);
  EXPECT_NE(result.error().message.find("cannot reach the NSM simulator"), std::string::npos);
}

}  // namespace
}  // namespace cc::tee
