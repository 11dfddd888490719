#include "tee/attestation_document.hpp"

#include <new>
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
  const cbor_item_t* map = decoded->get();
  if (!cbor_isa_map(map)) {
    return Error::invalid("attestation protected header: expected a map, got " + std::string(cbor::type_name(map)));
  }
  if (cbor_map_size(map) != 1) {
    return Error::invalid("attestation protected header: expected only the algorithm {1: -35}, got " +
                          std::to_string(cbor_map_size(map)) + " entries");
  }
  const cbor_pair& entry = cbor_map_handle(map)[0];
  auto label = cbor::int_of(entry.key, "attestation protected header label");
  if (!label) return label.error();
  if (*label != 1) return Error::invalid("attestation protected header: expected label 1 (alg)");
  auto algorithm = cbor::int_of(entry.value, "attestation protected header alg");
  if (!algorithm) return algorithm.error();
  if (*algorithm != kCoseAlgorithmEs384) {
    return Error::invalid("attestation protected header: algorithm " + std::to_string(*algorithm) +
                          " is not ES384 (-35)");
  }
  return {};
}

Result<PcrMap> parse_pcrs(const cbor_item_t* item) {
  const std::string name = payload_field("pcrs");
  if (!cbor_isa_map(item)) return Error::invalid(name + ": expected a map, got " + std::string(cbor::type_name(item)));
  const std::size_t size = cbor_map_size(item);
  if (size < 1 || size > kPcrCount) {
    return Error::invalid(name + ": " + std::to_string(size) + " entries, expected 1.." + std::to_string(kPcrCount));
  }
  PcrMap pcrs;
  const cbor_pair* pairs = cbor_map_handle(item);
  for (std::size_t i = 0; i < size; ++i) {
    auto index = cbor::uint_of(pairs[i].key, name + " index");
    if (!index) return index.error();
    if (*index >= kPcrCount) {
      return Error::invalid(name + "[" + std::to_string(*index) + "]: index out of range 0.." +
                            std::to_string(kPcrCount - 1));
    }
    const std::string entry = name + "[" + std::to_string(*index) + "]";
    auto value = cbor::bytes_of(pairs[i].value, entry, kPcrSize, kPcrSize);
    if (!value) return value.error();
    if (!pcrs.emplace(static_cast<std::uint32_t>(*index), copy(*value)).second) {
      return Error::invalid(entry + ": given twice");
    }
  }
  return pcrs;
}

Result<std::vector<ByteVector>> parse_cabundle(const cbor_item_t* item) {
  const std::string name = payload_field("cabundle");
  if (!cbor_isa_array(item))
    return Error::invalid(name + ": expected an array, got " + std::string(cbor::type_name(item)));
  const std::size_t size = cbor_array_size(item);
  if (size < 1 || size > kMaxCaBundleLength) {
    return Error::invalid(name + ": " + std::to_string(size) + " certificates, expected 1.." +
                          std::to_string(kMaxCaBundleLength));
  }
  std::vector<ByteVector> out;
  cbor_item_t** items = cbor_array_handle(item);
  for (std::size_t i = 0; i < size; ++i) {
    auto der = cbor::bytes_of(items[i], name + "[" + std::to_string(i) + "]", 1, kMaxCertificateSize);
    if (!der) return der.error();
    out.push_back(copy(*der));
  }
  return out;
}

// An optional byte field: null means absent.
Result<std::optional<ByteVector>> parse_optional(const cbor_item_t* item, std::string_view name, std::size_t min_size,
                                                 std::size_t max_size) {
  if (cbor::is_null(item)) return std::optional<ByteVector>{};
  auto value = cbor::bytes_of(item, payload_field(name), min_size, max_size);
  if (!value) return value.error();
  return std::optional<ByteVector>(copy(*value));
}

Status parse_field(AttestationDocument& doc, std::string_view key, const cbor_item_t* value) {
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
  auto fields = cbor::text_keyed(decoded->get(), "attestation payload", kMaxPayloadFields);
  if (!fields) return fields.error();
  for (const cbor::TextKeyed& f : *fields) {
    if (auto ok = parse_field(doc, f.key, f.value); !ok) return ok;
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
  // Tag 18 in its one-byte form (0xD2). libcbor 0.8 refuses tags 6..20 as "unassigned", so the
  // tag is taken off here and the array under it decoded alone; other tag forms reach the check
  // below.
  constexpr std::uint8_t kTag18 = 0xC0 | kCoseSign1Tag;
  const bool tagged18 = !document.empty() && document.front() == kTag18;
  auto decoded = cbor::decode(tagged18 ? document.subspan(1) : document, kMaxAttestationDocumentSize, kWhat);
  if (!decoded) return decoded.error();
  Item root = std::move(*decoded);
  if (!tagged18 && cbor_isa_tag(root.get())) {
    if (cbor_tag_value(root.get()) != kCoseSign1Tag) {
      return Error::invalid("attestation document: CBOR tag " + std::to_string(cbor_tag_value(root.get())) +
                            " is not COSE_Sign1 (18)");
    }
    root = Item(cbor_tag_item(root.get()));  // cbor_tag_item returns a new reference
  }
  if (!cbor_isa_array(root.get()) || cbor_array_size(root.get()) != 4) {
    return Error::invalid("attestation document: expected a COSE_Sign1 array of 4 items, got " +
                          std::string(cbor::type_name(root.get())) +
                          (cbor_isa_array(root.get()) ? " of " + std::to_string(cbor_array_size(root.get())) : ""));
  }
  cbor_item_t** parts = cbor_array_handle(root.get());

  AttestationDocument doc;
  auto protected_header = cbor::bytes_of(parts[0], "attestation protected header", 1, 64);
  if (!protected_header) return protected_header.error();
  if (auto ok = check_protected_header(*protected_header); !ok) return ok.error();
  doc.protected_header = copy(*protected_header);

  if (!cbor_isa_map(parts[1])) {
    return Error::invalid("attestation unprotected header: expected a map, got " +
                          std::string(cbor::type_name(parts[1])));
  }
  // The NSM leaves the unprotected header empty; anything in it would be unauthenticated.
  if (cbor_map_size(parts[1]) != 0) return Error::invalid("attestation unprotected header: expected an empty map");

  auto payload = cbor::bytes_of(parts[2], "attestation payload", 1, kMaxAttestationPayloadSize);
  if (!payload) return payload.error();
  doc.payload = copy(*payload);

  auto signature = cbor::bytes_of(parts[3], "attestation signature", kEs384SignatureSize, kEs384SignatureSize);
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
  auto encoded = cbor::encode(cbor::array(parts));
  if (!encoded) throw std::bad_alloc();
  return std::move(*encoded);
}

}  // namespace cc::tee
