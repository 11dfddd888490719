// CiphertextForRecipient as KMS makes it (CMS EnvelopedData, RSAES-OAEP-SHA-256 key transport,
// AES-256-CBC content) opens with the enclave's key and with no other.
#include <gtest/gtest.h>

#include "kms_simulator.hpp"
#include "tee/recipient.hpp"

namespace cc::tee {
namespace {

ByteVector envelope_for(const ByteVector& spki, const ByteVector& plaintext) {
  return aws::test::envelope_for_recipient(spki, plaintext);
}

TEST(RecipientKey, OpensWhatWasEncryptedToItAndNothingElse) {
  auto key = RecipientKey::generate();
  ASSERT_TRUE(key.ok()) << key.error().message;
  EXPECT_GT(key->public_key_der().size(), 256u);
  const ByteVector share(32, 0x5A);
  auto env = envelope_for(key->public_key_der(), share);
  auto opened = key->open(env);
  ASSERT_TRUE(opened.ok()) << opened.error().message;
  EXPECT_EQ(*opened, share);

  auto other = RecipientKey::generate();
  ASSERT_TRUE(other.ok());
  auto refused = other->open(env);
  ASSERT_FALSE(refused.ok());
  EXPECT_NE(refused.error().message.find("does not open with this enclave's key"), std::string::npos)
      << refused.error().message;

  auto tampered = env;
  tampered[tampered.size() - 5] ^= 1;
  EXPECT_FALSE(key->open(tampered).ok());
  EXPECT_NE(key->open(ByteVector{1, 2, 3}).error().message.find("not a CMS structure"), std::string::npos);
}

}  // namespace
}  // namespace cc::tee
