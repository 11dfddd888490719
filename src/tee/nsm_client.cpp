#include "tee/nsm_client.hpp"

#include <array>
#include <utility>

#include "tee/cbor.hpp"

namespace cc::tee {
namespace {

using cbor::Item;

struct ErrorCodeInfo {
  std::string_view name;
  std::string_view meaning;
  Error::Kind kind;
};

// aws-nitro-enclaves-nsm-api src/api/mod.rs, enum ErrorCode.
constexpr std::array<ErrorCodeInfo, 9> kErrorCodes{{
    {"Success", "no error, yet no result", Error::Kind::internal},
    {"InvalidArgument", "invalid input argument", Error::Kind::invalid_argument},
    {"InvalidIndex", "PCR index out of bounds", Error::Kind::invalid_argument},
    {"InvalidResponse", "response does not match the request", Error::Kind::unavailable},
    {"ReadOnlyIndex", "PCR is locked", Error::Kind::invalid_argument},
    {"InvalidOperation", "operation not allowed", Error::Kind::forbidden},
    {"BufferTooSmall", "response buffer too small", Error::Kind::unavailable},
    {"InputTooLarge", "input too large", Error::Kind::invalid_argument},
    {"InternalError", "internal NSM error", Error::Kind::unavailable},
}};

Error nsm_error(std::string_view operation, const Item& code_item) {
  auto code = cbor::text_of(code_item, "NSM error code", 64);
  if (!code) return Error::invalid(std::string(operation) + " response: " + code.error().message);
  for (const ErrorCodeInfo& info : kErrorCodes) {
    if (info.name == *code) {
      return Error{info.kind, "NSM refused " + std::string(operation) + ": " + std::string(info.name) + " (" +
                                  std::string(info.meaning) + ")"};
    }
  }
  return Error::invalid(std::string(operation) + " response: unknown NSM error code");
}

// The fields of the expected struct variant: the response must be a one-entry map
// {operation: {fields}} or the error variant {"Error": code}.
Result<std::vector<cbor::TextKeyed>> variant_fields(const Item& root, std::string_view operation,
                                                    std::size_t field_count) {
  const std::string what = std::string(operation) + " response";
  auto outer = cbor::text_keyed(root, what, 1);
  if (!outer) return outer.error();
  if (outer->size() != 1) return Error::invalid(what + ": expected a map with one variant");
  const cbor::TextKeyed& variant = outer->front();
  if (variant.key == "Error") return nsm_error(operation, *variant.value);
  if (variant.key != operation) {
    return Error::invalid(what + ": the NSM answered with another operation (" + cbor::printable(variant.key) + ")");
  }
  auto fields = cbor::text_keyed(*variant.value, what + " fields", field_count);
  if (!fields) return fields.error();
  if (fields->size() != field_count) {
    return Error::invalid(what + ": expected " + std::to_string(field_count) + " fields, got " +
                          std::to_string(fields->size()));
  }
  return fields;
}

const Item* field(const std::vector<cbor::TextKeyed>& fields, std::string_view name) {
  for (const cbor::TextKeyed& f : fields) {
    if (f.key == name) return f.value;
  }
  return nullptr;
}

Result<ByteVector> bytes_field(const std::vector<cbor::TextKeyed>& fields, std::string_view operation,
                               std::string_view name, std::size_t min_size, std::size_t max_size) {
  const std::string path = std::string(operation) + " response field " + std::string(name);
  const Item* value = field(fields, name);
  if (!value) return Error::invalid(path + ": missing");
  auto bytes = cbor::bytes_of(*value, path, min_size, max_size);
  if (!bytes) return bytes.error();
  return ByteVector(bytes->begin(), bytes->end());
}

Item optional_bytes(const std::optional<ByteVector>& value) {
  return value ? cbor::bytes(*value) : cbor::null();
}

ByteVector encode_variant(std::string_view name, std::span<const std::pair<Item, Item>> fields) {
  const std::pair<Item, Item> outer[] = {{cbor::text(name), cbor::map(fields)}};
  return cbor::encode(cbor::map(outer));
}

Status check_bound(const std::optional<ByteVector>& value, std::string_view name, std::size_t min_size,
                   std::size_t max_size) {
  if (value && (value->size() < min_size || value->size() > max_size)) {
    return Error::invalid("attestation " + std::string(name) + " of " + std::to_string(value->size()) +
                          " bytes, expected " + std::to_string(min_size) + ".." + std::to_string(max_size));
  }
  return {};
}

}  // namespace

Result<ByteVector> encode_attestation_request(const AttestationRequest& request) {
  if (auto ok = check_bound(request.user_data, "user_data", 0, kMaxUserDataSize); !ok) return ok.error();
  if (auto ok = check_bound(request.nonce, "nonce", 0, kMaxNonceSize); !ok) return ok.error();
  if (auto ok = check_bound(request.public_key, "public_key", 1, kMaxPublicKeySize); !ok) return ok.error();
  // Field order is the declaration order of Request::Attestation, as serde writes it.
  const std::pair<Item, Item> fields[] = {
      {cbor::text("user_data"), optional_bytes(request.user_data)},
      {cbor::text("nonce"), optional_bytes(request.nonce)},
      {cbor::text("public_key"), optional_bytes(request.public_key)},
  };
  return encode_variant("Attestation", fields);
}

ByteVector encode_describe_pcr_request(std::uint16_t index) {
  const std::pair<Item, Item> fields[] = {{cbor::text("index"), cbor::uint(index)}};
  return encode_variant("DescribePCR", fields);
}

ByteVector encode_get_random_request() {
  return cbor::encode(cbor::text("GetRandom"));
}

Result<ByteVector> decode_attestation_response(std::span<const std::uint8_t> response) {
  auto root = cbor::decode(response, kNsmResponseMaxSize, "Attestation response");
  if (!root) return root.error();
  auto fields = variant_fields(*root, "Attestation", 1);
  if (!fields) return fields.error();
  return bytes_field(*fields, "Attestation", "document", 1, kNsmResponseMaxSize);
}

Result<PcrDescription> decode_describe_pcr_response(std::span<const std::uint8_t> response) {
  auto root = cbor::decode(response, kNsmResponseMaxSize, "DescribePCR response");
  if (!root) return root.error();
  auto fields = variant_fields(*root, "DescribePCR", 2);
  if (!fields) return fields.error();
  const Item* lock = field(*fields, "lock");
  if (!lock) return Error::invalid("DescribePCR response field lock: missing");
  auto locked = cbor::bool_of(*lock, "DescribePCR response field lock");
  if (!locked) return locked.error();
  auto data = bytes_field(*fields, "DescribePCR", "data", 32, 64);
  if (!data) return data.error();
  return PcrDescription{*locked, std::move(*data)};
}

Result<ByteVector> decode_get_random_response(std::span<const std::uint8_t> response) {
  auto root = cbor::decode(response, kNsmResponseMaxSize, "GetRandom response");
  if (!root) return root.error();
  auto fields = variant_fields(*root, "GetRandom", 1);
  if (!fields) return fields.error();
  return bytes_field(*fields, "GetRandom", "random", 1, kNsmResponseMaxSize);
}

NsmClient::NsmClient(std::unique_ptr<NsmTransport> transport) : transport_(std::move(transport)) {}

Result<NsmClient> NsmClient::open(const std::string& path) {
  auto transport = open_nsm_transport(path);
  if (!transport) return transport.error();
  return NsmClient(std::move(*transport));
}

Result<ByteVector> NsmClient::attestation(const AttestationRequest& request) {
  auto encoded = encode_attestation_request(request);
  if (!encoded) return encoded.error();
  auto response = transport_->exchange(*encoded);
  if (!response) return response.error();
  return decode_attestation_response(*response);
}

Result<PcrDescription> NsmClient::describe_pcr(std::uint16_t index) {
  auto response = transport_->exchange(encode_describe_pcr_request(index));
  if (!response) return response.error();
  return decode_describe_pcr_response(*response);
}

Result<ByteVector> NsmClient::get_random() {
  auto response = transport_->exchange(encode_get_random_request());
  if (!response) return response.error();
  return decode_get_random_response(*response);
}

}  // namespace cc::tee
