#pragma once
// Our own small, strict CBOR codec (RFC 8949) for the two dialects the enclave speaks: the Nitro
// Secure Module's request/response messages and COSE_Sign1 attestation documents.
//
// Why our own: the release binary is linked statically and Debian ships libcbor as a shared
// library only; the subset we need is small enough to own and to test against RFC 8949 Appendix A.
//
// cbor::Item is an owned tree with value semantics (copying copies the tree): unsigned and
// negative integers (all 64-bit magnitudes), byte and text strings, arrays, maps (entries in
// encoding order, duplicates kept so the readers can refuse them), tags, the simple values
// false/true/null/undefined, and half/single/double floats (held as a double).
//
// decode() accepts exactly one well-formed item filling the whole input and refuses, with an
// error naming `what`, the byte offset and the problem: input above a caller-given size (checked
// before anything is allocated); a declared string length or element count larger than the bytes
// that follow (checked before reserving, so a few bytes cannot ask for gigabytes); nesting deeper
// than kMaxDepth; reserved additional information (28..30); a break outside an indefinite-length
// item; indefinite-length integers, tags or simple values; chunks of the wrong type; text that is
// not UTF-8; two-byte simple values below 32 and unassigned simple values; trailing bytes.
// Indefinite-length arrays and maps decode like definite ones. Indefinite-length (chunked)
// strings decode with their chunks joined and remember it: bytes_of and text_of refuse them, since
// neither the NSM nor COSE ever sends one.
//
// encode() writes preferred serialization (RFC 8949 section 4.1): definite lengths, integers and
// lengths in their shortest form, floats in the shortest width that keeps the value. That is what
// serde_cbor (the NSM library) and COSE's deterministic encoding produce, byte for byte.
//
// The readers (bytes_of, text_of, uint_of, map_of, text_keyed, ...) check the CBOR type and the
// size bounds and name the field in their error, so a parser built on them says precisely what was
// malformed. Items are plain values: one item may be read from many threads, not written.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::tee::cbor {

class Item;

// Major type 1: the integer -1 - n (so every value down to -2^64 fits).
struct Negative {
  std::uint64_t n = 0;
};
struct Bytes {
  ByteVector value;
  bool chunked = false;  // decoded from an indefinite-length string
};
struct Text {
  std::string value;  // valid UTF-8
  bool chunked = false;
};
using Array = std::vector<Item>;
using Map = std::vector<std::pair<Item, Item>>;
// Major type 6: a tag number over exactly one item.
struct Tag {
  Tag(std::uint64_t tag_number, Item tag_content);
  Tag(const Tag& other);
  Tag& operator=(const Tag& other);
  Tag(Tag&&) noexcept = default;
  Tag& operator=(Tag&&) noexcept = default;
  ~Tag();

  std::uint64_t number = 0;
  std::unique_ptr<Item> content;  // never null
};
enum class Simple : std::uint8_t { false_value = 20, true_value = 21, null = 22, undefined = 23 };
struct Float {
  double value = 0;
};

class Item {
 public:
  using Value = std::variant<std::uint64_t, Negative, Bytes, Text, Array, Map, Tag, Simple, Float>;

  Item() : value_(Simple::null) {}  // null
  explicit Item(Value value) : value_(std::move(value)) {}

  const Value& value() const { return value_; }
  // The alternative T, or nullptr when the item is another type.
  template <class T>
  const T* as() const {
    return std::get_if<T>(&value_);
  }

  friend bool operator==(const Item&, const Item&);

 private:
  Value value_;
};

// Tags and containers deeper than this are refused by decode() (the NSM's deepest is 3).
inline constexpr std::size_t kMaxDepth = 16;

// One complete CBOR item of at most max_size bytes; `what` names the input in errors
// ("NSM response", "attestation document").
Result<Item> decode(std::span<const std::uint8_t> bytes, std::size_t max_size, std::string_view what);
// The preferred serialization of an item (chunked strings are written with a definite length).
ByteVector encode(const Item& item);

// Builders.
Item text(std::string_view value);
Item bytes(std::span<const std::uint8_t> value);
Item uint(std::uint64_t value);
Item integer(std::int64_t value);
Item null();
Item boolean(bool value);
Item array(std::span<const Item> items);
Item map(std::span<const std::pair<Item, Item>> entries);
Item tag(std::uint64_t tag_number, const Item& content);

// "unsigned integer", "byte string", "map", "null", ... for error messages.
std::string_view type_name(const Item& item);
bool is_null(const Item& item);
bool is_bool(const Item& item);

// Readers: the value when the item has the right type and size, else an invalid_argument error
// naming `field` ("payload.pcrs[3]"). Strings must have definite length. The spans point into
// the item.
Result<std::span<const std::uint8_t>> bytes_of(const Item& item, std::string_view field, std::size_t min_size,
                                               std::size_t max_size);
Result<std::string_view> text_of(const Item& item, std::string_view field, std::size_t max_size);
Result<std::uint64_t> uint_of(const Item& item, std::string_view field);
// A signed integer (major type 0 or 1) in int64 range.
Result<std::int64_t> int_of(const Item& item, std::string_view field);
Result<bool> bool_of(const Item& item, std::string_view field);
Result<std::span<const Item>> array_of(const Item& item, std::string_view field);
Result<std::span<const std::pair<Item, Item>>> map_of(const Item& item, std::string_view field);

// Untrusted text as it may appear in an error message: at most 32 characters, anything but
// printable ASCII shown as '?', so a peer cannot write control characters into our logs.
std::string printable(std::string_view untrusted);

// The entries of a map whose keys are all text strings, in encoding order; a non-text key or a
// key given twice is an error naming `field`.
struct TextKeyed {
  std::string_view key;
  const Item* value = nullptr;  // points into the map
};
Result<std::vector<TextKeyed>> text_keyed(const Item& item, std::string_view field, std::size_t max_entries);

}  // namespace cc::tee::cbor
