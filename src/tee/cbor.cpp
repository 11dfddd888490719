#include "tee/cbor.hpp"

#include <cstdlib>
#include <limits>
#include <memory>
#include <new>

namespace cc::tee::cbor {
namespace {

std::string named(std::string_view field, std::string_view problem) {
  std::string out(field);
  out += ": ";
  out += problem;
  return out;
}

std::string expected(std::string_view field, std::string_view wanted, const cbor_item_t* item) {
  std::string problem = "expected ";
  problem += wanted;
  problem += ", got ";
  problem += type_name(item);
  return named(field, problem);
}

Item checked(cbor_item_t* raw) {
  // libcbor returns NULL only when an allocation fails; nothing sensible can continue.
  if (!raw) throw std::bad_alloc();
  return Item(raw);
}

// libcbor allocates a definite-length array or map for its declared size before it reads a single
// element, so a few bytes declaring 2^32 items would ask for gigabytes (found by fuzzing). Every
// element takes at least one byte: no declared count (nor string length) may exceed the bytes
// left after its header. A flat walk over the headers checks that without allocating; whether
// the rest is well formed is libcbor's to say.
Status check_declared_sizes(std::span<const std::uint8_t> input, std::string_view what) {
  std::size_t p = 0;
  const std::size_t n = input.size();
  while (p < n) {
    const std::size_t at = p;
    const std::uint8_t initial = input[p++];
    const unsigned major = initial >> 5, info = initial & 0x1f;
    std::uint64_t value = info;
    if (info >= 24 && info <= 27) {
      const std::size_t width = std::size_t{1} << (info - 24);
      if (width > n - p) return {};  // truncated: libcbor says so
      value = 0;
      for (std::size_t i = 0; i < width; ++i) value = value << 8 | input[p++];
    } else if (info >= 28 && info <= 30) {
      return {};  // malformed: libcbor says so
    }
    if (info == 31) continue;  // indefinite length or break: its items follow as headers
    const std::uint64_t left = n - p;
    const bool too_big = (major == 2 || major == 3 || major == 4) ? value > left : major == 5 && value > left / 2;
    if (too_big) {
      return Error::invalid(std::string(what) + ": truncated CBOR: the item at byte " + std::to_string(at) +
                            " declares " + std::to_string(value) +
                            (major == 5 ? " pairs" : major == 4 ? " items" : " bytes") + " but only " +
                            std::to_string(left) + " bytes follow");
    }
    if (major == 2 || major == 3) p += static_cast<std::size_t>(value);
  }
  return {};
}

}  // namespace

Result<Item> decode(std::span<const std::uint8_t> input, std::size_t max_size, std::string_view what) {
  if (input.empty()) return Error::invalid(std::string(what) + ": empty");
  if (input.size() > max_size) {
    return Error::invalid(std::string(what) + ": " + std::to_string(input.size()) + " bytes, more than the limit of " +
                          std::to_string(max_size));
  }
  if (auto sizes = check_declared_sizes(input, what); !sizes) return sizes.error();
  cbor_load_result result{};
  Item item(cbor_load(input.data(), input.size(), &result));
  if (result.error.code != CBOR_ERR_NONE || !item) {
    std::string why;
    switch (result.error.code) {
      case CBOR_ERR_NOTENOUGHDATA:
        why = "truncated CBOR";
        break;
      case CBOR_ERR_NODATA:
        why = "no CBOR data";
        break;
      case CBOR_ERR_MEMERROR:
        why = "out of memory decoding CBOR";
        break;
      default:
        why = "malformed CBOR";
    }
    return Error::invalid(std::string(what) + ": " + why + " at byte " + std::to_string(result.error.position));
  }
  if (result.read != input.size()) {
    return Error::invalid(std::string(what) + ": " + std::to_string(input.size() - result.read) +
                          " trailing bytes after the CBOR item");
  }
  return item;
}

Result<ByteVector> encode(const Item& item) {
  unsigned char* buffer = nullptr;
  std::size_t capacity = 0;
  const std::size_t length = cbor_serialize_alloc(item.get(), &buffer, &capacity);
  std::unique_ptr<unsigned char, decltype(&std::free)> owned(buffer, &std::free);
  if (length == 0) return Error::internal("CBOR encoding failed (out of memory)");
  return ByteVector(buffer, buffer + length);
}

Item text(std::string_view value) {
  return checked(cbor_build_stringn(value.data(), value.size()));
}

Item bytes(std::span<const std::uint8_t> value) {
  return checked(cbor_build_bytestring(value.data(), value.size()));
}

Item uint(std::uint64_t value) {
  if (value <= std::numeric_limits<std::uint8_t>::max()) {
    return checked(cbor_build_uint8(static_cast<std::uint8_t>(value)));
  }
  if (value <= std::numeric_limits<std::uint16_t>::max()) {
    return checked(cbor_build_uint16(static_cast<std::uint16_t>(value)));
  }
  if (value <= std::numeric_limits<std::uint32_t>::max()) {
    return checked(cbor_build_uint32(static_cast<std::uint32_t>(value)));
  }
  return checked(cbor_build_uint64(value));
}

Item integer(std::int64_t value) {
  if (value >= 0) return uint(static_cast<std::uint64_t>(value));
  // Major type 1 stores -1 - n.
  const std::uint64_t n = static_cast<std::uint64_t>(-(value + 1));
  if (n <= std::numeric_limits<std::uint8_t>::max()) return checked(cbor_build_negint8(static_cast<std::uint8_t>(n)));
  if (n <= std::numeric_limits<std::uint16_t>::max()) {
    return checked(cbor_build_negint16(static_cast<std::uint16_t>(n)));
  }
  if (n <= std::numeric_limits<std::uint32_t>::max()) {
    return checked(cbor_build_negint32(static_cast<std::uint32_t>(n)));
  }
  return checked(cbor_build_negint64(n));
}

Item null() {
  return checked(cbor_new_null());
}

Item boolean(bool value) {
  return checked(cbor_build_bool(value));
}

Item array(std::span<const Item> items) {
  Item out = checked(cbor_new_definite_array(items.size()));
  for (const Item& part : items) {
    if (!cbor_array_push(out.get(), part.get())) throw std::bad_alloc();
  }
  return out;
}

Item map(std::span<const std::pair<Item, Item>> entries) {
  Item out = checked(cbor_new_definite_map(entries.size()));
  for (const auto& [key, value] : entries) {
    if (!cbor_map_add(out.get(), cbor_pair{key.get(), value.get()})) throw std::bad_alloc();
  }
  return out;
}

Item tag(std::uint64_t tag_value, const Item& content) {
  return checked(cbor_build_tag(tag_value, content.get()));
}

std::string_view type_name(const cbor_item_t* item) {
  if (!item) return "nothing";
  switch (cbor_typeof(item)) {
    case CBOR_TYPE_UINT:
      return "unsigned integer";
    case CBOR_TYPE_NEGINT:
      return "negative integer";
    case CBOR_TYPE_BYTESTRING:
      return "byte string";
    case CBOR_TYPE_STRING:
      return "text string";
    case CBOR_TYPE_ARRAY:
      return "array";
    case CBOR_TYPE_MAP:
      return "map";
    case CBOR_TYPE_TAG:
      return "tagged item";
    case CBOR_TYPE_FLOAT_CTRL:
      if (cbor_float_get_width(item) != CBOR_FLOAT_0) return "float";
      if (cbor_is_null(item)) return "null";
      if (cbor_is_bool(item)) return "boolean";
      if (cbor_is_undef(item)) return "undefined";
      return "simple value";
  }
  return "unknown item";
}

Result<std::span<const std::uint8_t>> bytes_of(const cbor_item_t* item, std::string_view field, std::size_t min_size,
                                               std::size_t max_size) {
  if (!item || !cbor_isa_bytestring(item)) return Error::invalid(expected(field, "a byte string", item));
  if (!cbor_bytestring_is_definite(item)) {
    return Error::invalid(named(field, "indefinite-length byte strings are not accepted"));
  }
  const std::size_t size = cbor_bytestring_length(item);
  if (size < min_size || size > max_size) {
    std::string range =
        min_size == max_size ? std::to_string(min_size) : std::to_string(min_size) + ".." + std::to_string(max_size);
    return Error::invalid(named(field, std::to_string(size) + " bytes, expected " + range));
  }
  return std::span<const std::uint8_t>(cbor_bytestring_handle(item), size);
}

Result<std::string_view> text_of(const cbor_item_t* item, std::string_view field, std::size_t max_size) {
  if (!item || !cbor_isa_string(item)) return Error::invalid(expected(field, "a text string", item));
  if (!cbor_string_is_definite(item)) {
    return Error::invalid(named(field, "indefinite-length text strings are not accepted"));
  }
  const std::size_t size = cbor_string_length(item);
  if (size > max_size) {
    return Error::invalid(named(field, std::to_string(size) + " bytes of text, more than " + std::to_string(max_size)));
  }
  return std::string_view(reinterpret_cast<const char*>(cbor_string_handle(item)), size);
}

Result<std::uint64_t> uint_of(const cbor_item_t* item, std::string_view field) {
  if (!item || !cbor_isa_uint(item)) return Error::invalid(expected(field, "an unsigned integer", item));
  return cbor_get_int(item);
}

Result<std::int64_t> int_of(const cbor_item_t* item, std::string_view field) {
  if (!item || !cbor_is_int(item)) return Error::invalid(expected(field, "an integer", item));
  const std::uint64_t n = cbor_get_int(item);
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (n > kMax) return Error::invalid(named(field, "integer out of range"));
  return cbor_isa_uint(item) ? static_cast<std::int64_t>(n) : -1 - static_cast<std::int64_t>(n);
}

// Found by fuzzing: libcbor's predicates assert on floats, so check the width first.
bool is_null(const cbor_item_t* item) {
  return item && cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0 && cbor_is_null(item);
}

bool is_bool(const cbor_item_t* item) {
  return item && cbor_isa_float_ctrl(item) && cbor_float_get_width(item) == CBOR_FLOAT_0 && cbor_is_bool(item);
}

Result<bool> bool_of(const cbor_item_t* item, std::string_view field) {
  if (!is_bool(item)) return Error::invalid(expected(field, "a boolean", item));
  return cbor_get_bool(item);
}

std::string printable(std::string_view untrusted) {
  std::string out;
  for (char c : untrusted.substr(0, 32)) out += c >= 0x20 && c < 0x7F ? c : '?';
  if (untrusted.size() > 32) out += "...";
  return out;
}

Result<std::vector<TextKeyed>> text_keyed(const cbor_item_t* item, std::string_view field, std::size_t max_entries) {
  if (!item || !cbor_isa_map(item)) return Error::invalid(expected(field, "a map", item));
  const std::size_t size = cbor_map_size(item);
  if (size > max_entries) {
    return Error::invalid(named(field, std::to_string(size) + " entries, more than " + std::to_string(max_entries)));
  }
  std::vector<TextKeyed> out;
  out.reserve(size);
  const cbor_pair* pairs = cbor_map_handle(item);
  for (std::size_t i = 0; i < size; ++i) {
    auto key = text_of(pairs[i].key, std::string(field) + " key", 64);
    if (!key) return key.error();
    for (const TextKeyed& seen : out) {
      if (seen.key == *key) return Error::invalid(named(field, "key \"" + printable(*key) + "\" given twice"));
    }
    out.push_back({*key, pairs[i].value});
  }
  return out;
}

}  // namespace cc::tee::cbor
