#include "tee/attestation_document.hpp"

#include <utility>

#include "tee/cbor.hpp"

namespace cc::tee {
namespace {

using cbor::Item;

constexpr std::string_view kWhat = "attestation document";
constexpr std::size_t kMaxModuleIdSize = 256;
constexpr std::size_t kMaxPayloadFields = 16;

ByteVector copy(std::span<const std::uint8_t> bytes) {
  return ByteVector(bytes.begin(), bytes.end());
}

std::string payload_field(std::string_view name) {
  return "attestation payload." + std::string(name);
}

Status check_protected_header(std::span<const std::uint8_t> header) {
  auto decoded = cbor::decode(header, 64, "attestation protected header");
  if (!decoded) return decoded.error();
  auto map = cbor::map_of(*decoded, "attestation protected header");
  if (!map) return map.error();
  if (map->size() != 1) {
    return Error::invalid("attestation protected header: expected only the algorithm {1: -35}, got " +
                          std::to_string(map->size()) + " entries");
  }
  const auto& [key, value] = map->front();
  auto label = cbor::int_of(key, "attestation protected header label");
  if (!label) return label.error();
  if (*label != 1) return Error::invalid("attestation protected header: expected label 1 (alg)");
  auto algorithm = cbor::int_of(value, "attestation protected header alg");
  if (!algorithm) return algorithm.error();
  if (*algorithm != kCoseAlgorithmEs384) {
    return Error::invalid("attestation protected header: algorithm " + std::to_string(*algorithm) +
                          " is not ES384 (-35)");
  }
  return {};
}

Result<PcrMap> parse_pcrs(const Item& item) {
  const std::string name = payload_field("pcrs");
  auto entries = cbor::map_of(item, name);
  if (!entries) return entries.error();
  if (entries->size() < 1 || entries->size() > kPcrCount) {
    return Error::invalid(name + ": " + std::to_string(entries->size()) + " entries, expected 1.." +
                          std::to_string(kPcrCount));
  }
  PcrMap pcrs;
  for (const auto& [key, value] : *entries) {
    auto index = cbor::uint_of(key, name + " index");
    if (!index) return index.error();
    if (*index >= kPcrCount) {
      return Error::invalid(name + "[" + std::to_string(*index) + "]: index out of range 0.." +
                            std::to_string(kPcrCount - 1));
    }
    const std::string entry = name + "[" + std::to_string(*index) + "]";
    auto pcr = cbor::bytes_of(value, entry, kPcrSize, kPcrSize);
    if (!pcr) return pcr.error();
    if (!pcrs.emplace(static_cast<std::uint32_t>(*index), copy(*pcr)).second) {
      return Error::invalid(entry + ": given twice");
    }
  }
  return pcrs;
}

Result<std::vector<ByteVector>> parse_cabundle(const Item& item) {
  const std::string name = payload_field("cabundle");
  auto items = cbor::array_of(item, name);
  if (!items) return items.error();
  if (items->size() < 1 || items->size() > kMaxCaBundleLength) {
    return Error::invalid(name + ": " + std::to_string(items->size()) + " certificates, expected 1.." +
                          std::to_string(kMaxCaBundleLength));
  }
  std::vector<ByteVector> out;
  for (std::size_t i = 0; i < items->size(); ++i) {
    auto der = cbor::bytes_of((*items)[i], name + "[" + std::to_string(i) + "]", 1, kMaxCertificateSize);
    if (!der) return der.error();
    out.push_back(copy(*der));
  }
  return out;
}

// An optional byte field: null means absent.
Result<std::optional<ByteVector>> parse_optional(const Item& item, std::string_view name, std::size_t min_size,
                                                 std::size_t max_size) {
  if (cbor::is_null(item)) return std::optional<ByteVector>{};
  auto value = cbor::bytes_of(item, payload_field(name), min_size, max_size);
  if (!value) return value.error();
  return std::optional<ByteVector>(copy(*value));
}

Status parse_field(AttestationDocument& doc, std::string_view key, const Item& value) {
  if (key == "public_key" || key == "user_data" || key == "nonce") {
    const bool is_key = key == "public_key";
    auto parsed = parse_optional(value, key, is_key ? 1 : 0, is_key ? 1024 : 512);
    if (!parsed) return parsed.error();
    (key == "public_key" ? doc.public_key : key == "user_data" ? doc.user_data : doc.nonce) = std::move(*parsed);
    return {};
  }
  if (key == "module_id") {
    auto text = cbor::text_of(value, payload_field(key), kMaxModuleIdSize);
    if (!text) return text.error();
    if (text->empty()) return Error::invalid(payload_field(key) + ": empty");
    doc.module_id = std::string(*text);
  } else if (key == "digest") {
    auto text = cbor::text_of(value, payload_field(key), 16);
    if (!text) return text.error();
    if (*text != "SHA384")
      return Error::invalid(payload_field(key) + ": \"" + cbor::printable(*text) + "\" is not SHA384");
    doc.digest = std::string(*text);
  } else if (key == "timestamp") {
    auto ms = cbor::uint_of(value, payload_field(key));
    if (!ms) return ms.error();
    if (*ms == 0) return Error::invalid(payload_field(key) + ": must be greater than 0");
    doc.timestamp_ms = *ms;
  } else if (key == "pcrs") {
    auto pcrs = parse_pcrs(value);
    if (!pcrs) return pcrs.error();
    doc.pcrs = std::move(*pcrs);
  } else if (key == "certificate") {
    auto der = cbor::bytes_of(value, payload_field(key), 1, kMaxCertificateSize);
    if (!der) return der.error();
    doc.certificate = copy(*der);
  } else if (key == "cabundle") {
    auto bundle = parse_cabundle(value);
    if (!bundle) return bundle.error();
    doc.cabundle = std::move(*bundle);
  } else {
    return Error::invalid("attestation payload: unknown field \"" + cbor::printable(key) + "\"");
  }
  return {};
}

Status parse_payload(AttestationDocument& doc) {
  auto decoded = cbor::decode(doc.payload, kMaxAttestationPayloadSize, "attestation payload");
  if (!decoded) return decoded.error();
  auto fields = cbor::text_keyed(*decoded, "attestation payload", kMaxPayloadFields);
  if (!fields) return fields.error();
  for (const cbor::TextKeyed& f : *fields) {
    if (auto ok = parse_field(doc, f.key, *f.value); !ok) return ok;
  }
  for (std::string_view required : {"module_id", "digest", "timestamp", "pcrs", "certificate", "cabundle"}) {
    bool present = false;
    for (const cbor::TextKeyed& f : *fields) present = present || f.key == required;
    if (!present) return Error::invalid(payload_field(required) + ": missing");
  }
  return {};
}

}  // namespace

Result<AttestationDocument> parse_attestation_document(std::span<const std::uint8_t> document) {
  auto decoded = cbor::decode(document, kMaxAttestationDocumentSize, kWhat);
  if (!decoded) return decoded.error();
  const Item* root = &*decoded;
  if (const cbor::Tag* tag = root->as<cbor::Tag>()) {
    if (tag->number != kCoseSign1Tag) {
      return Error::invalid("attestation document: CBOR tag " + std::to_string(tag->number) +
                            " is not COSE_Sign1 (18)");
    }
    root = tag->content.get();
  }
  const cbor::Array* parts = root->as<cbor::Array>();
  if (!parts || parts->size() != 4) {
    return Error::invalid("attestation document: expected a COSE_Sign1 array of 4 items, got " +
                          std::string(cbor::type_name(*root)) + (parts ? " of " + std::to_string(parts->size()) : ""));
  }

  AttestationDocument doc;
  auto protected_header = cbor::bytes_of((*parts)[0], "attestation protected header", 1, 64);
  if (!protected_header) return protected_header.error();
  if (auto ok = check_protected_header(*protected_header); !ok) return ok.error();
  doc.protected_header = copy(*protected_header);

  auto unprotected = cbor::map_of((*parts)[1], "attestation unprotected header");
  if (!unprotected) return unprotected.error();
  // The NSM leaves the unprotected header empty; anything in it would be unauthenticated.
  if (!unprotected->empty()) return Error::invalid("attestation unprotected header: expected an empty map");

  auto payload = cbor::bytes_of((*parts)[2], "attestation payload", 1, kMaxAttestationPayloadSize);
  if (!payload) return payload.error();
  doc.payload = copy(*payload);

  auto signature = cbor::bytes_of((*parts)[3], "attestation signature", kEs384SignatureSize, kEs384SignatureSize);
  if (!signature) return signature.error();
  doc.signature = copy(*signature);

  if (auto ok = parse_payload(doc); !ok) return ok.error();
  return doc;
}

ByteVector cose_sign1_signature_input(std::span<const std::uint8_t> protected_header,
                                      std::span<const std::uint8_t> payload) {
  const std::uint8_t no_external_aad[1] = {0};
  const Item parts[] = {cbor::text("Signature1"), cbor::bytes(protected_header),
                        cbor::bytes(std::span<const std::uint8_t>(no_external_aad, 0)), cbor::bytes(payload)};
  return cbor::encode(cbor::array(parts));
}

}  // namespace cc::tee
