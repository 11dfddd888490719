// Parser and verifier against documents signed by the simulator's test PKI: a good document
// verifies in both encodings the NSM uses, and every way a document can be malformed, forged,
// stale or from the wrong image is refused with an error that names it.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <random>

#include "nsm_simulator.hpp"
#include "tee/attestation_verifier.hpp"

namespace cc::tee {
namespace {

using cbor::Item;
using Entries = std::vector<std::pair<Item, Item>>;
using test::NsmSimulator;
using test::NsmSimulatorOptions;

std::string socket_path() {
  return (std::filesystem::temp_directory_path() / ("cc-nsm-" + std::to_string(std::random_device{}()))).string();
}

class AttestationTest : public ::testing::Test {
 protected:
  explicit AttestationTest(NsmSimulatorOptions options = {}) : nsm_(socket_path(), std::move(options)) {}

  AttestationVerifier verifier() const { return AttestationVerifier::create(nsm_.pki().root_der()).value(); }

  ByteVector good_document() const { return nsm_.document(ByteVector{1, 2, 3}, ByteVector{9, 9}, ByteVector{0x30}); }

  Entries entries() const { return nsm_.payload_entries(ByteVector{1, 2, 3}, ByteVector{9, 9}, ByteVector{0x30}); }

  // A validly signed document around an altered payload.
  ByteVector signed_with(const Entries& e) const { return nsm_.sign_payload(nsm_.encode_payload(e)); }

  static void replace(Entries& e, std::string_view key, Item value) {
    for (auto& [k, v] : e) {
      if (k.as<cbor::Text>()->value == key) {
        v = std::move(value);
        return;
      }
    }
    ADD_FAILURE() << "no field " << key;
  }

  static void remove(Entries& e, std::string_view key) {
    std::erase_if(e, [&](const auto& entry) { return entry.first.template as<cbor::Text>()->value == key; });
  }

  // The parse error for a document, or "" when it parses.
  static std::string parse_error(const ByteVector& document) {
    auto parsed = parse_attestation_document(document);
    if (parsed) return "";
    EXPECT_EQ(parsed.error().kind, Error::Kind::invalid_argument);
    return parsed.error().message;
  }

  NsmSimulator nsm_;
};

#define EXPECT_ERROR_CONTAINS(message, fragment) \
  EXPECT_NE((message).find(fragment), std::string::npos) << "error was: " << (message)

TEST_F(AttestationTest, AGoodDocumentVerifiesAndReturnsItsBindings) {
  auto verified = verifier().verify(good_document(), AttestationPolicy{});
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->user_data, (ByteVector{1, 2, 3}));
  EXPECT_EQ(verified->nonce, (ByteVector{9, 9}));
  EXPECT_EQ(verified->public_key, (ByteVector{0x30}));
  EXPECT_EQ(verified->pcrs, nsm_.pcrs());
  EXPECT_EQ(verified->module_id, "i-0123456789abcdef0-enc0123456789abcdef");
}

TEST_F(AttestationTest, AbsentOptionalFieldsAreNullOrMissing) {
  auto verified = verifier().verify(nsm_.document(std::nullopt, std::nullopt, std::nullopt), AttestationPolicy{});
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_FALSE(verified->user_data);
  EXPECT_FALSE(verified->nonce);
  EXPECT_FALSE(verified->public_key);

  Entries e = entries();
  remove(e, "nonce");
  auto parsed = parse_attestation_document(signed_with(e));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_FALSE(parsed->nonce);
}

TEST_F(AttestationTest, ExpectedPcrsAreCheckedAsASubset) {
  AttestationPolicy policy;
  policy.expected_pcrs[0] = nsm_.pcrs().at(0);
  policy.expected_pcrs[8] = nsm_.pcrs().at(8);
  EXPECT_TRUE(verifier().verify(good_document(), policy));

  policy.expected_pcrs[8] = ByteVector(48, 0xEE);
  auto mismatch = verifier().verify(good_document(), policy);
  ASSERT_FALSE(mismatch);
  EXPECT_EQ(mismatch.error().kind, Error::Kind::forbidden);
  EXPECT_ERROR_CONTAINS(mismatch.error().message, "PCR8 mismatch");

  AttestationPolicy missing;
  missing.expected_pcrs[20] = ByteVector(48, 0);
  auto absent = verifier().verify(good_document(), missing);
  ASSERT_FALSE(absent);
  EXPECT_ERROR_CONTAINS(absent.error().message, "PCR20: not in the document");

  AttestationPolicy short_value;
  short_value.expected_pcrs[0] = ByteVector(32, 0);
  auto wrong_size = verifier().verify(good_document(), short_value);
  ASSERT_FALSE(wrong_size);
  EXPECT_EQ(wrong_size.error().kind, Error::Kind::invalid_argument);

  // A PCR changed on the "device" shows up in the next document.
  nsm_.set_pcr(0, ByteVector(48, 0xAB));
  AttestationPolicy old_image;
  old_image.expected_pcrs[0] = ByteVector(48, 1);
  EXPECT_FALSE(verifier().verify(good_document(), old_image));
}

TEST_F(AttestationTest, TamperedPayloadOrSignatureIsRefused) {
  ByteVector document = good_document();
  auto doc = parse_attestation_document(document).value();
  // Change one byte of user_data inside the signed payload, keeping the CBOR valid.
  const ByteVector needle = {0x43, 1, 2, 3};
  auto at = std::search(document.begin(), document.end(), needle.begin(), needle.end());
  ASSERT_NE(at, document.end());
  *(at + 1) ^= 0xFF;
  auto tampered = verifier().verify(document, AttestationPolicy{});
  ASSERT_FALSE(tampered);
  EXPECT_EQ(tampered.error().kind, Error::Kind::forbidden);
  EXPECT_ERROR_CONTAINS(tampered.error().message, "attestation signature: does not verify");

  ByteVector wrong_signature = good_document();
  wrong_signature[wrong_signature.size() - 10] ^= 0x01;
  auto bad = verifier().verify(wrong_signature, AttestationPolicy{});
  ASSERT_FALSE(bad);
  EXPECT_ERROR_CONTAINS(bad.error().message, "attestation signature");

  // A signature from another key over the same payload.
  test::TestNitroPki other;
  doc.signature = other.sign(cose_sign1_signature_input(doc.protected_header, doc.payload));
  auto foreign = verifier().verify(doc, AttestationPolicy{});
  ASSERT_FALSE(foreign);
  EXPECT_ERROR_CONTAINS(foreign.error().message, "attestation signature");
}

TEST_F(AttestationTest, AnotherRootOrAForgedChainIsRefused) {
  test::TestNitroPki other;
  auto wrong_root = AttestationVerifier::create(other.root_der()).value().verify(good_document(), AttestationPolicy{});
  ASSERT_FALSE(wrong_root);
  EXPECT_EQ(wrong_root.error().kind, Error::Kind::forbidden);
  EXPECT_ERROR_CONTAINS(wrong_root.error().message, "cabundle[0] is not the trusted root");

  // The trusted root first in cabundle, but an intermediate that root never signed.
  Entries e = entries();
  const Item bundle[] = {cbor::bytes(nsm_.pki().root_der()), cbor::bytes(other.intermediate_der())};
  replace(e, "cabundle", cbor::array(bundle));
  auto forged = verifier().verify(signed_with(e), AttestationPolicy{});
  ASSERT_FALSE(forged);
  EXPECT_EQ(forged.error().kind, Error::Kind::forbidden);
  EXPECT_ERROR_CONTAINS(forged.error().message, "attestation chain:");

  // The intermediate left out: the document's certificate has no path to the root.
  const Item root_only[] = {cbor::bytes(nsm_.pki().root_der())};
  replace(e, "cabundle", cbor::array(root_only));
  auto broken = verifier().verify(signed_with(e), AttestationPolicy{});
  ASSERT_FALSE(broken);
  EXPECT_ERROR_CONTAINS(broken.error().message, "the document's certificate, depth 0");

  // A certificate that is not DER.
  replace(e, "certificate", cbor::bytes(ByteVector{0x30, 0x03, 0x02, 0x01, 0x01}));
  auto garbage = verifier().verify(signed_with(e), AttestationPolicy{});
  ASSERT_FALSE(garbage);
  EXPECT_ERROR_CONTAINS(garbage.error().message, "payload.certificate: not a DER X.509 certificate");
}

TEST_F(AttestationTest, CertificatesAreCheckedAtTheVerificationTime) {
  AttestationPolicy later;
  later.at = std::chrono::system_clock::now() + std::chrono::hours(4);  // the leaf is valid for 3 hours
  auto expired = verifier().verify(good_document(), later);
  ASSERT_FALSE(expired);
  EXPECT_EQ(expired.error().kind, Error::Kind::forbidden);
  EXPECT_ERROR_CONTAINS(expired.error().message, "certificate has expired (the document's certificate");

  AttestationPolicy earlier;
  earlier.at = std::chrono::system_clock::now() - std::chrono::hours(2);
  auto early = verifier().verify(good_document(), earlier);
  ASSERT_FALSE(early);
  EXPECT_ERROR_CONTAINS(early.error().message, "certificate is not yet valid");
}

TEST_F(AttestationTest, MaxAgeBoundsTheDocumentTimestamp) {
  AttestationPolicy fresh;
  fresh.max_age = std::chrono::minutes(1);
  EXPECT_TRUE(verifier().verify(good_document(), fresh));

  Entries e = entries();
  const auto old_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
      (std::chrono::system_clock::now() - std::chrono::minutes(30)).time_since_epoch());
  replace(e, "timestamp", cbor::uint(static_cast<std::uint64_t>(old_ms.count())));
  auto stale = verifier().verify(signed_with(e), fresh);
  ASSERT_FALSE(stale);
  EXPECT_ERROR_CONTAINS(stale.error().message, "attestation timestamp");
  EXPECT_TRUE(verifier().verify(signed_with(e), AttestationPolicy{}));  // no max_age: not checked
}

TEST_F(AttestationTest, EveryMandatoryFieldIsRequired) {
  for (const char* field : {"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle"}) {
    Entries e = entries();
    remove(e, field);
    EXPECT_ERROR_CONTAINS(parse_error(signed_with(e)), std::string("payload.") + field + ": missing");

    Entries with_null = entries();
    replace(with_null, field, cbor::null());
    EXPECT_ERROR_CONTAINS(parse_error(signed_with(with_null)), std::string("payload.") + field);
  }
}

TEST_F(AttestationTest, WrongTypesAndValuesAreNamed) {
  struct Case {
    const char* field;
    Item value;
    const char* expected;
  };
  const std::pair<Item, Item> text_keyed_pcr[] = {{cbor::text("0"), cbor::bytes(ByteVector(48, 0))}};
  const std::pair<Item, Item> pcr_too_high[] = {{cbor::uint(32), cbor::bytes(ByteVector(48, 0))}};
  const std::pair<Item, Item> short_pcr[] = {{cbor::uint(3), cbor::bytes(ByteVector(32, 0))}};
  const std::pair<Item, Item> text_pcr[] = {{cbor::uint(3), cbor::text("00")}};
  const Item bundle_with_text[] = {cbor::text("root")};
  const Item oversized_cert[] = {cbor::bytes(ByteVector(1025, 0x30))};
  std::vector<Case> cases;
  cases.push_back({"module_id", cbor::uint(5), "payload.module_id: expected a text string, got unsigned integer"});
  cases.push_back({"module_id", cbor::text(""), "payload.module_id: empty"});
  cases.push_back({"digest", cbor::text("SHA256"), "payload.digest: \"SHA256\" is not SHA384"});
  cases.push_back({"timestamp", cbor::integer(-5), "payload.timestamp: expected an unsigned integer"});
  cases.push_back({"timestamp", cbor::uint(0), "payload.timestamp: must be greater than 0"});
  cases.push_back({"timestamp", cbor::text("now"), "payload.timestamp: expected an unsigned integer, got text string"});
  cases.push_back({"pcrs", cbor::array({}), "payload.pcrs: expected a map, got array"});
  cases.push_back({"pcrs", cbor::map({}), "payload.pcrs: 0 entries"});
  cases.push_back({"pcrs", cbor::map(text_keyed_pcr), "payload.pcrs index: expected an unsigned integer"});
  cases.push_back({"pcrs", cbor::map(pcr_too_high), "payload.pcrs[32]: index out of range 0..31"});
  cases.push_back({"pcrs", cbor::map(short_pcr), "payload.pcrs[3]: 32 bytes, expected 48"});
  cases.push_back({"pcrs", cbor::map(text_pcr), "payload.pcrs[3]: expected a byte string, got text string"});
  cases.push_back({"certificate", cbor::text("pem"), "payload.certificate: expected a byte string"});
  cases.push_back({"certificate", cbor::bytes(ByteVector{}), "payload.certificate: 0 bytes, expected 1..1024"});
  cases.push_back({"cabundle", cbor::array({}), "payload.cabundle: 0 certificates"});
  cases.push_back({"cabundle", cbor::bytes(ByteVector{1}), "payload.cabundle: expected an array, got byte string"});
  cases.push_back({"cabundle", cbor::array(bundle_with_text), "payload.cabundle[0]: expected a byte string"});
  cases.push_back({"cabundle", cbor::array(oversized_cert), "payload.cabundle[0]: 1025 bytes"});
  cases.push_back({"public_key", cbor::bytes(ByteVector{}), "payload.public_key: 0 bytes, expected 1..1024"});
  cases.push_back({"public_key", cbor::text("key"), "payload.public_key: expected a byte string"});
  cases.push_back({"user_data", cbor::bytes(ByteVector(513, 1)), "payload.user_data: 513 bytes, expected 0..512"});
  cases.push_back({"nonce", cbor::boolean(true), "payload.nonce: expected a byte string, got boolean"});
  for (Case& c : cases) {
    Entries e = entries();
    replace(e, c.field, std::move(c.value));
    EXPECT_ERROR_CONTAINS(parse_error(signed_with(e)), c.expected);
  }

  Entries unknown = entries();
  unknown.emplace_back(cbor::text("extra"), cbor::uint(1));
  EXPECT_ERROR_CONTAINS(parse_error(signed_with(unknown)), "unknown field \"extra\"");

  Entries duplicate = entries();
  duplicate.emplace_back(cbor::text("nonce"), cbor::null());
  EXPECT_ERROR_CONTAINS(parse_error(signed_with(duplicate)), "\"nonce\" given twice");

  Entries too_many_pcrs = entries();
  Entries pcrs;
  for (std::uint32_t i = 0; i < 33; ++i) pcrs.emplace_back(cbor::uint(i), cbor::bytes(ByteVector(48, 0)));
  replace(too_many_pcrs, "pcrs", cbor::map(pcrs));
  EXPECT_ERROR_CONTAINS(parse_error(signed_with(too_many_pcrs)), "payload.pcrs: 33 entries");
}

ByteVector cose(const Item& protected_header, const Item& unprotected, const Item& payload, const Item& signature) {
  const Item parts[] = {protected_header, unprotected, payload, signature};
  return cbor::encode(cbor::array(parts));
}

TEST_F(AttestationTest, TheCoseEnvelopeIsChecked) {
  auto doc = parse_attestation_document(good_document()).value();
  const Item header = cbor::bytes(doc.protected_header);
  const Item empty = cbor::map({});
  const Item payload = cbor::bytes(doc.payload);
  const Item signature = cbor::bytes(doc.signature);
  EXPECT_EQ(parse_error(cose(header, empty, payload, signature)), "");

  const std::pair<Item, Item> es256[] = {{cbor::uint(1), cbor::integer(-7)}};
  EXPECT_ERROR_CONTAINS(parse_error(cose(cbor::bytes(cbor::encode(cbor::map(es256))), empty, payload, signature)),
                        "algorithm -7 is not ES384 (-35)");
  EXPECT_ERROR_CONTAINS(parse_error(cose(cbor::map(es256), empty, payload, signature)),
                        "attestation protected header: expected a byte string, got map");
  const std::pair<Item, Item> unprotected_alg[] = {{cbor::uint(4), cbor::bytes(ByteVector{1})}};
  EXPECT_ERROR_CONTAINS(parse_error(cose(header, cbor::map(unprotected_alg), payload, signature)),
                        "unprotected header: expected an empty map");
  EXPECT_ERROR_CONTAINS(parse_error(cose(header, empty, cbor::map({}), signature)),
                        "attestation payload: expected a byte string, got map");
  EXPECT_ERROR_CONTAINS(parse_error(cose(header, empty, payload, cbor::bytes(ByteVector(64, 1)))),
                        "attestation signature: 64 bytes, expected 96");
  EXPECT_ERROR_CONTAINS(parse_error(cose(header, empty, cbor::bytes(ByteVector{0x01}), signature)),
                        "attestation payload: expected a map, got unsigned integer");

  const Item three[] = {header, empty, payload};
  EXPECT_ERROR_CONTAINS(parse_error(cbor::encode(cbor::array(three))), "COSE_Sign1 array of 4 items, got array of 3");
  EXPECT_ERROR_CONTAINS(parse_error(cbor::encode(cbor::tag(98, cbor::array(three)))),
                        "CBOR tag 98 is not COSE_Sign1 (18)");

  ByteVector trailing = good_document();
  trailing.push_back(0);
  EXPECT_ERROR_CONTAINS(parse_error(trailing), "trailing bytes");
  ByteVector truncated = good_document();
  truncated.resize(truncated.size() / 2);
  EXPECT_ERROR_CONTAINS(parse_error(truncated), "truncated CBOR");
  EXPECT_ERROR_CONTAINS(parse_error(ByteVector(kMaxAttestationDocumentSize + 1, 0x40)), "more than the limit");
  EXPECT_ERROR_CONTAINS(
      parse_error(cose(header, empty, cbor::bytes(ByteVector(kMaxAttestationPayloadSize + 1, 0)), signature)),
      "attestation payload: 16385 bytes");
  EXPECT_NE(parse_error(ByteVector{}), "");
}

// Random corruption of a good document (flipped bytes, cut ends, inserted bytes) never crashes
// and is never accepted.
TEST_F(AttestationTest, CorruptedDocumentsAreNeverAccepted) {
  const ByteVector good = good_document();
  const AttestationVerifier trusted = verifier();
  std::mt19937 random(20240909);
  for (int i = 0; i < 1500; ++i) {
    ByteVector bad = good;
    const std::size_t at = random() % bad.size();
    switch (i % 3) {
      case 0:
        bad[at] ^= static_cast<std::uint8_t>(1u << (random() % 8));
        break;
      case 1:
        bad.resize(at);
        break;
      default:
        bad.insert(bad.begin() + static_cast<std::ptrdiff_t>(at), static_cast<std::uint8_t>(random()));
    }
    auto result = trusted.verify(bad, AttestationPolicy{});
    EXPECT_FALSE(result) << "corruption " << i << " at byte " << at << " was accepted";
  }
}

class TaggedDefiniteAttestationTest : public AttestationTest {
 protected:
  static NsmSimulatorOptions options() {
    NsmSimulatorOptions o;
    o.tagged = true;
    o.indefinite_payload_map = false;
    return o;
  }
  TaggedDefiniteAttestationTest() : AttestationTest(options()) {}
};

TEST_F(TaggedDefiniteAttestationTest, TagEighteenAndDefiniteMapsVerifyToo) {
  const ByteVector document = good_document();
  EXPECT_EQ(document[0], 0xD2);  // tag 18
  auto verified = verifier().verify(document, AttestationPolicy{});
  ASSERT_TRUE(verified) << verified.error().message;
  EXPECT_EQ(verified->nonce, (ByteVector{9, 9}));
}

TEST(AttestationVerifierRoot, RootsAreDerOrPemAndNothingElse) {
  test::TestNitroPki pki;
  EXPECT_TRUE(AttestationVerifier::create(pki.root_der()));
  // PEM, in lines of 64 characters.
  std::string wrapped;
  const std::string body = to_base64(pki.root_der());
  for (std::size_t i = 0; i < body.size(); i += 64) wrapped += body.substr(i, 64) + "\n";
  const std::string pem = "-----BEGIN CERTIFICATE-----\n" + wrapped + "-----END CERTIFICATE-----\n";
  auto from_pem = AttestationVerifier::create(std::span(reinterpret_cast<const std::uint8_t*>(pem.data()), pem.size()));
  ASSERT_TRUE(from_pem);
  EXPECT_EQ(from_pem->root_der(), pki.root_der());
  EXPECT_FALSE(AttestationVerifier::create(ByteVector{1, 2, 3}));
  auto not_aws = AttestationVerifier::for_aws_nitro_root(pki.root_der());
  ASSERT_FALSE(not_aws);
  EXPECT_ERROR_CONTAINS(not_aws.error().message, "is not the AWS Nitro Enclaves root");
}

}  // namespace
}  // namespace cc::tee
