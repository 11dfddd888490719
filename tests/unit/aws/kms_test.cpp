// Kms through HttpsTransport against the KMS simulator (tests/support/kms_simulator.hpp), which
// checks SigV4 as KMS does: round trips, what a wrapped share is bound to (encryption context,
// key, every byte of the blob), refusals by key policy and key state, unknown keys, credentials
// the service does not accept, and throttling retried by the transport.
#include "aws/kms.hpp"

#include <gtest/gtest.h>

#include "aws/https_transport.hpp"
#include "kms_simulator.hpp"
#include "sigv4_check.hpp"

namespace cc::aws {
namespace {

using namespace std::chrono_literals;
using test::KmsFault;
using test::KmsKeyOptions;
using test::KmsKeyPolicy;
using test::KmsPrincipal;
using test::KmsSimulator;
using test::SigV4Verdict;

const KmsPrincipal kSigner{"AKIDSIGNER", "signer-secret", "signer-session", "111122223333", "signer"};
const KmsPrincipal kOther{"AKIDOTHER", "other-secret", "", "444455556666", "other"};

std::unique_ptr<HttpsTransport> transport_for(const KmsSimulator& kms, Credentials credentials,
                                              std::string region = "eu-west-1", unsigned max_attempts = 4) {
  std::vector<std::unique_ptr<CredentialsProvider>> providers;
  providers.push_back(std::make_unique<StaticCredentials>(std::move(credentials)));
  HttpsTransportOptions o;
  o.service = "kms";
  o.region = std::move(region);
  o.endpoint = kms.url();
  o.credentials = std::make_shared<CredentialChain>(std::move(providers));
  o.attempt_timeout = 2000ms;
  o.max_attempts = max_attempts;
  o.backoff_base = 1ms;
  o.backoff_cap = 5ms;
  auto t = HttpsTransport::create(std::move(o));
  EXPECT_TRUE(t.ok()) << t.error().message;
  return t.ok() ? std::move(*t) : nullptr;
}

Credentials credentials_of(const KmsPrincipal& p) {
  return Credentials(p.access_key_id, p.secret_access_key, p.session_token);
}

ByteVector share_bytes() {
  ByteVector share(33);
  for (std::size_t i = 0; i < share.size(); ++i) share[i] = static_cast<std::uint8_t>(i * 7 + 1);
  return share;
}

const EncryptionContext kContext{{"chamber", "prod-1"}, {"purpose", "master-key-share"}, {"share", "1"}};

ByteVector to_vector(std::span<const std::uint8_t> s) {
  return ByteVector(s.begin(), s.end());
}

class KmsTest : public ::testing::Test {
 protected:
  KmsTest() {
    sim.add_principal(kSigner);
    sim.add_principal(kOther);
    key_a = sim.create_key({.description = "share 1"});
    key_b = sim.create_key({.description = "share 2"});
    transport = transport_for(sim, credentials_of(kSigner));
    kms = std::make_unique<Kms>(*transport);
  }

  KmsSimulator sim{"eu-west-1"};
  std::string key_a, key_b;
  std::unique_ptr<HttpsTransport> transport;
  std::unique_ptr<Kms> kms;
};

TEST_F(KmsTest, EncryptThenDecryptGivesThePlaintextBack) {
  const auto share = share_bytes();
  auto wrapped = kms->encrypt(key_a, share, kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
  EXPECT_EQ(wrapped->key_arn, key_a);
  EXPECT_GT(wrapped->ciphertext.size(), share.size());

  auto opened = kms->decrypt(wrapped->ciphertext, kContext, key_a);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(to_vector(opened->plaintext.span()), share);
  EXPECT_EQ(opened->key_arn, key_a);

  // Without a KeyId, KMS finds the key from the blob and says which it was.
  auto unpinned = kms->decrypt(wrapped->ciphertext, kContext);
  ASSERT_TRUE(unpinned.ok()) << unpinned.error().message;
  EXPECT_EQ(unpinned->key_arn, key_a);
  EXPECT_EQ(sim.served("Encrypt"), 1u);
  EXPECT_EQ(sim.served("Decrypt"), 2u);
}

TEST_F(KmsTest, KeysAreFoundByIdAliasAndAliasArn) {
  sim.add_alias("alias/chamber-share-1", key_a);
  const auto id = key_a.substr(key_a.rfind('/') + 1);
  for (const std::string& name : std::vector<std::string>{id, "alias/chamber-share-1",
                                                          "arn:aws:kms:eu-west-1:111122223333:alias/chamber-share-1"}) {
    auto wrapped = kms->encrypt(name, share_bytes(), kContext);
    ASSERT_TRUE(wrapped.ok()) << name << ": " << wrapped.error().message;
    EXPECT_EQ(wrapped->key_arn, key_a) << name;
    auto opened = kms->decrypt(wrapped->ciphertext, kContext, name);
    ASSERT_TRUE(opened.ok()) << name << ": " << opened.error().message;
  }
}

TEST_F(KmsTest, GenerateDataKeyGivesAKeyItsCiphertextOpensTo) {
  auto data_key = kms->generate_data_key(key_a, 32, kContext);
  ASSERT_TRUE(data_key.ok()) << data_key.error().message;
  EXPECT_EQ(data_key->plaintext.size(), 32u);
  EXPECT_EQ(data_key->key_arn, key_a);
  auto again = kms->generate_data_key(key_a, 32, kContext);
  ASSERT_TRUE(again.ok()) << again.error().message;
  EXPECT_NE(to_vector(again->plaintext.span()), to_vector(data_key->plaintext.span()));

  auto opened = kms->decrypt(data_key->ciphertext, kContext, key_a);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(to_vector(opened->plaintext.span()), to_vector(data_key->plaintext.span()));
}

TEST_F(KmsTest, DescribeKeyReportsArnStateAndUsage) {
  auto info = kms->describe_key(key_a);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->arn, key_a);
  EXPECT_EQ(info->key_id, key_a.substr(key_a.rfind('/') + 1));
  EXPECT_EQ(info->account, "111122223333");
  EXPECT_TRUE(info->enabled);
  EXPECT_EQ(info->state, "Enabled");
  EXPECT_EQ(info->usage, "ENCRYPT_DECRYPT");
  EXPECT_EQ(info->spec, "SYMMETRIC_DEFAULT");

  sim.set_enabled(key_a, false);
  info = kms->describe_key(key_a);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_FALSE(info->enabled);
  EXPECT_EQ(info->state, "Disabled");
}

TEST_F(KmsTest, AnotherEncryptionContextIsRefused) {
  auto wrapped = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
  auto other = kContext;
  other["share"] = "2";
  for (const auto& context : {other, EncryptionContext{}}) {
    auto opened = kms->decrypt(wrapped->ciphertext, context, key_a);
    ASSERT_FALSE(opened.ok());
    EXPECT_EQ(opened.error().kind, Error::Kind::invalid_argument);
    EXPECT_NE(opened.error().message.find("InvalidCiphertextException"), std::string::npos) << opened.error().message;
  }
}

TEST_F(KmsTest, EveryTamperedByteOfTheBlobIsRefused) {
  auto wrapped = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
  for (std::size_t i = 0; i < wrapped->ciphertext.size(); ++i) {
    auto blob = wrapped->ciphertext;
    blob[i] ^= 0x01;
    auto opened = kms->decrypt(blob, kContext);
    ASSERT_FALSE(opened.ok()) << "byte " << i;
    // A flipped byte in the key's ARN may name a key that does not exist: still a bad ciphertext.
    EXPECT_EQ(opened.error().kind, Error::Kind::invalid_argument) << "byte " << i << ": " << opened.error().message;
  }
  auto truncated = wrapped->ciphertext;
  truncated.resize(truncated.size() - 1);
  EXPECT_EQ(kms->decrypt(truncated, kContext).error().kind, Error::Kind::invalid_argument);
}

TEST_F(KmsTest, CiphertextOfKeyACannotBeDecryptedAsKeyB) {
  auto wrapped = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
  auto opened = kms->decrypt(wrapped->ciphertext, kContext, key_b);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, Error::Kind::invalid_argument);
  EXPECT_NE(opened.error().message.find("IncorrectKeyException"), std::string::npos) << opened.error().message;
  EXPECT_NE(opened.error().message.find(key_b), std::string::npos) << opened.error().message;
  EXPECT_EQ(sim.served("Decrypt"), 0u);
}

TEST_F(KmsTest, KeyPolicyRefusalNamesTheKeyAndThePermission) {
  // The signer may wrap shares under this key but not unwrap them.
  sim.set_policy(key_a, KmsKeyPolicy{.allow = {{kSigner.access_key_id, {"Encrypt", "DescribeKey"}}}});
  auto wrapped = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
  auto opened = kms->decrypt(wrapped->ciphertext, kContext, key_a);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, Error::Kind::forbidden);
  const auto& message = opened.error().message;
  EXPECT_NE(message.find("AccessDeniedException"), std::string::npos) << message;
  EXPECT_NE(message.find("KMS key '" + key_a + "'"), std::string::npos) << message;
  EXPECT_NE(message.find("kms:Decrypt"), std::string::npos) << message;
  EXPECT_NE(message.find("arn:aws:iam::111122223333:user/signer"), std::string::npos) << message;

  // An explicit deny wins over an allow.
  sim.set_policy(key_a, KmsKeyPolicy{.allow = {{"*", {"*"}}}, .deny = {{kSigner.access_key_id, {"Encrypt"}}}});
  auto denied = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_FALSE(denied.ok());
  EXPECT_EQ(denied.error().kind, Error::Kind::forbidden);
  EXPECT_NE(denied.error().message.find("explicit deny"), std::string::npos) << denied.error().message;
}

TEST_F(KmsTest, KeysOfAnotherAccountNeedTheirPolicyAndAnArn) {
  const auto foreign = sim.create_key({.account = "444455556666"});
  auto refused = kms->encrypt(foreign, share_bytes(), kContext);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().kind, Error::Kind::forbidden) << refused.error().message;

  sim.set_policy(foreign, KmsKeyPolicy{.allow = {{kSigner.access_key_id, {"Encrypt", "Decrypt"}}}});
  auto wrapped = kms->encrypt(foreign, share_bytes(), kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
  ASSERT_TRUE(kms->decrypt(wrapped->ciphertext, kContext, foreign).ok());
  // A bare key id means a key of the caller's own account.
  auto by_id = kms->encrypt(foreign.substr(foreign.rfind('/') + 1), share_bytes(), kContext);
  ASSERT_FALSE(by_id.ok());
  EXPECT_EQ(by_id.error().kind, Error::Kind::not_found) << by_id.error().message;
}

TEST_F(KmsTest, DisabledKeyIsUnavailableAndSaysSo) {
  auto wrapped = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
  sim.set_enabled(key_a, false);
  auto opened = kms->decrypt(wrapped->ciphertext, kContext, key_a);
  ASSERT_FALSE(opened.ok());
  EXPECT_EQ(opened.error().kind, Error::Kind::unavailable);
  EXPECT_NE(opened.error().message.find("key disabled"), std::string::npos) << opened.error().message;
  EXPECT_NE(opened.error().message.find("DisabledException"), std::string::npos) << opened.error().message;
  EXPECT_EQ(kms->encrypt(key_a, share_bytes(), kContext).error().kind, Error::Kind::unavailable);

  sim.set_enabled(key_a, true);
  EXPECT_TRUE(kms->decrypt(wrapped->ciphertext, kContext, key_a).ok());
}

TEST_F(KmsTest, KeyPendingDeletionIsUnavailable) {
  sim.schedule_deletion(key_a);
  auto wrapped = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_FALSE(wrapped.ok());
  EXPECT_EQ(wrapped.error().kind, Error::Kind::unavailable);
  EXPECT_NE(wrapped.error().message.find("KMSInvalidStateException"), std::string::npos) << wrapped.error().message;
  auto info = kms->describe_key(key_a);
  ASSERT_TRUE(info.ok()) << info.error().message;
  EXPECT_EQ(info->state, "PendingDeletion");
}

TEST_F(KmsTest, UnavailableKeyIsRetriedThenReported) {
  sim.set_unavailable(key_a, true);
  auto wrapped = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_FALSE(wrapped.ok());
  EXPECT_EQ(wrapped.error().kind, Error::Kind::unavailable);
  EXPECT_NE(wrapped.error().message.find("KeyUnavailableException"), std::string::npos) << wrapped.error().message;
  EXPECT_EQ(sim.requests("Encrypt"), 4u);  // HTTP 500: every attempt was used
}

TEST_F(KmsTest, UnknownKeyIsNotFoundAndNamed) {
  const std::string missing = "arn:aws:kms:eu-west-1:111122223333:key/00000000-0000-4000-8000-000000000000";
  for (const std::string& name : {missing, std::string("alias/nothing")}) {
    auto info = kms->describe_key(name);
    ASSERT_FALSE(info.ok());
    EXPECT_EQ(info.error().kind, Error::Kind::not_found) << info.error().message;
    EXPECT_NE(info.error().message.find("KMS key '" + name + "'"), std::string::npos) << info.error().message;
    EXPECT_EQ(kms->encrypt(name, share_bytes(), kContext).error().kind, Error::Kind::not_found);
  }
}

TEST_F(KmsTest, KeyOfAnotherRegionIsNotFoundHere) {
  KmsSimulator us("us-east-2");
  us.add_principal(kSigner);
  const auto remote = us.create_key();
  auto here = kms->describe_key(remote);
  ASSERT_FALSE(here.ok());
  EXPECT_EQ(here.error().kind, Error::Kind::not_found);

  auto region = region_of_arn(remote);
  ASSERT_TRUE(region.ok()) << region.error().message;
  auto there = transport_for(us, credentials_of(kSigner), *region);
  auto wrapped = Kms(*there).encrypt(remote, share_bytes(), kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
}

TEST_F(KmsTest, WrongSecretIsRejectedBySignatureCheck) {
  auto wrong = transport_for(sim, Credentials(kSigner.access_key_id, "not-the-secret", kSigner.session_token));
  auto r = Kms(*wrong).encrypt(key_a, share_bytes(), kContext);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::forbidden);
  EXPECT_NE(r.error().message.find("InvalidSignatureException"), std::string::npos) << r.error().message;
  EXPECT_EQ(sim.rejected_signatures(), 1u);
  EXPECT_EQ(sim.served("Encrypt"), 0u);
}

TEST_F(KmsTest, UnknownAccessKeyOrTokenIsRejected) {
  auto unknown = transport_for(sim, Credentials("AKIDNOBODY", "signer-secret"));
  auto r = Kms(*unknown).describe_key(key_a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::forbidden);
  EXPECT_NE(r.error().message.find("UnrecognizedClientException"), std::string::npos) << r.error().message;

  auto stale_token = transport_for(sim, Credentials(kSigner.access_key_id, kSigner.secret_access_key, "old-token"));
  r = Kms(*stale_token).describe_key(key_a);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message.find("UnrecognizedClientException"), std::string::npos) << r.error().message;
  EXPECT_EQ(sim.rejected_signatures(), 2u);
}

TEST_F(KmsTest, SignatureScopedToAnotherRegionIsRejected) {
  auto misrouted = transport_for(sim, credentials_of(kSigner), "us-east-1");
  auto r = Kms(*misrouted).describe_key(key_a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::forbidden);
  EXPECT_NE(r.error().message.find("InvalidSignatureException"), std::string::npos) << r.error().message;
}

TEST_F(KmsTest, ThrottlingIsRetriedUntilItPasses) {
  sim.inject(KmsFault::throttling, 2, "Encrypt");
  sim.inject(KmsFault::internal_error, 1, "Decrypt");
  auto wrapped = kms->encrypt(key_a, share_bytes(), kContext);
  ASSERT_TRUE(wrapped.ok()) << wrapped.error().message;
  EXPECT_EQ(sim.requests("Encrypt"), 3u);
  EXPECT_EQ(sim.served("Encrypt"), 1u);
  auto opened = kms->decrypt(wrapped->ciphertext, kContext, key_a);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(sim.requests("Decrypt"), 2u);
}

TEST_F(KmsTest, ThrottlingThatOutlastsTheRetriesIsUnavailable) {
  sim.inject(KmsFault::throttling, 10);
  auto r = kms->describe_key(key_a);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, Error::Kind::unavailable);
  EXPECT_NE(r.error().message.find("ThrottlingException"), std::string::npos) << r.error().message;
  EXPECT_EQ(sim.requests("DescribeKey"), 4u);
}

TEST_F(KmsTest, PlaintextSizeIsCheckedBeforeSending) {
  EXPECT_EQ(kms->encrypt(key_a, ByteVector{}, kContext).error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(kms->encrypt(key_a, ByteVector(Kms::kMaxPlaintext + 1), kContext).error().kind,
            Error::Kind::invalid_argument);
  EXPECT_EQ(kms->generate_data_key(key_a, 0, kContext).error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(kms->decrypt(ByteVector{}, kContext).error().kind, Error::Kind::invalid_argument);
  EXPECT_EQ(sim.requests("Encrypt") + sim.requests("GenerateDataKey") + sim.requests("Decrypt"), 0u);
  EXPECT_TRUE(kms->encrypt(key_a, ByteVector(Kms::kMaxPlaintext, 0xab), kContext).ok());
}

// The simulator's signature check on its own, for what HttpsTransport never sends.
SigV4Verdict check_signed_at(std::chrono::system_clock::time_point signed_at, bool with_authorization = true) {
  const Credentials signer(kSigner.access_key_id, kSigner.secret_access_key, kSigner.session_token);
  AwsRequest request;
  request.headers = {{"Host", "127.0.0.1:1"}, {"X-Amz-Target", "TrentService.DescribeKey"}};
  request.body = R"({"KeyId":"alias/x"})";
  sign_request(request, signer, SigningParams{"eu-west-1", "kms", signed_at});
  test::StandInRequest received{"POST", "/", {}, request.body};
  for (const auto& h : request.headers) {
    if (with_authorization || h.first != "Authorization") received.headers.push_back(h);
  }
  return test::check_sigv4(received, "eu-west-1", "kms", [&](std::string_view id) -> std::optional<Credentials> {
    if (id == signer.access_key_id) return signer;
    return std::nullopt;
  });
}

TEST(SigV4Check, AcceptsAFreshSignatureAndRefusesStaleOrMissingOnes) {
  const auto now = std::chrono::system_clock::now();
  const auto fresh = check_signed_at(now);
  EXPECT_TRUE(fresh.accepted()) << fresh.error_type << ": " << fresh.message;
  EXPECT_EQ(fresh.access_key_id, kSigner.access_key_id);
  const auto stale = check_signed_at(now - 10min);
  EXPECT_EQ(stale.error_type, "InvalidSignatureException");
  EXPECT_NE(stale.message.find("Signature expired"), std::string::npos) << stale.message;
  EXPECT_EQ(check_signed_at(now, false).error_type, "MissingAuthenticationTokenException");
}

TEST(KmsArn, RegionOfKeyAndAliasArns) {
  EXPECT_EQ(region_of_arn("arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab").value(),
            "eu-west-1");
  EXPECT_EQ(region_of_arn("arn:aws:kms:us-east-2:111122223333:alias/chamber").value(), "us-east-2");
  EXPECT_EQ(region_of_arn("arn:aws-cn:kms:cn-north-1:111122223333:key/abc").value(), "cn-north-1");
  for (const char* bad :
       {"1234abcd-12ab-34cd-56ef-1234567890ab", "alias/chamber", "arn:aws:s3:eu-west-1:111122223333:key/abc",
        "arn:aws:kms::111122223333:key/abc", "arn:aws:kms:eu-west-1:111122223333:grant/abc", "arn:aws:kms:eu-west-1"}) {
    auto r = region_of_arn(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.error().kind, Error::Kind::invalid_argument);
    EXPECT_NE(r.error().message.find(bad), std::string::npos) << r.error().message;
  }
}

}  // namespace
}  // namespace cc::aws
