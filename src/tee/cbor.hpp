#pragma once
// A thin, strict layer over libcbor for the two CBOR dialects the enclave speaks: the Nitro
// Secure Module's request/response messages and COSE_Sign1 attestation documents.
//
// cbor::Item owns one libcbor reference (copy = another reference, destruction = release), so
// no caller ever calls cbor_decref. decode() accepts exactly one well-formed item filling the
// whole input (trailing bytes are an error) and refuses inputs above a caller-given size before
// libcbor allocates anything. The readers (bytes_of, text_of, uint_of, text_keyed) check the
// CBOR type and the size bounds and name the field in their error, so a parser built on them
// says precisely what was malformed. Builders encode integers in their shortest form, which is
// what serde_cbor (the NSM library) and COSE's deterministic encoding produce.
//
// Not thread-safe per item (libcbor reference counts are plain integers); distinct items may be
// used from distinct threads.
#include <cbor.h>

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/bytes.hpp"
#include "core/result.hpp"

namespace cc::tee::cbor {

class Item {
 public:
  Item() = default;
  // Takes ownership of one reference (what libcbor's cbor_build_* and cbor_load return).
  explicit Item(cbor_item_t* owned) : item_(owned) {}
  // Shares an item someone else owns (adds a reference).
  static Item share(cbor_item_t* borrowed) { return Item(borrowed ? cbor_incref(borrowed) : nullptr); }
  ~Item() { reset(); }
  Item(const Item& other) : item_(other.item_ ? cbor_incref(other.item_) : nullptr) {}
  Item& operator=(const Item& other) {
    if (this != &other) {
      reset();
      item_ = other.item_ ? cbor_incref(other.item_) : nullptr;
    }
    return *this;
  }
  Item(Item&& other) noexcept : item_(std::exchange(other.item_, nullptr)) {}
  Item& operator=(Item&& other) noexcept {
    if (this != &other) {
      reset();
      item_ = std::exchange(other.item_, nullptr);
    }
    return *this;
  }

  cbor_item_t* get() const { return item_; }
  explicit operator bool() const { return item_ != nullptr; }

 private:
  void reset() {
    if (item_) cbor_decref(&item_);
    item_ = nullptr;
  }
  cbor_item_t* item_ = nullptr;
};

// One complete CBOR item of at most max_size bytes; `what` names the input in errors
// ("NSM response", "attestation document").
Result<Item> decode(std::span<const std::uint8_t> bytes, std::size_t max_size, std::string_view what);
// The encoding of an item (definite lengths as built). Fails only when out of memory.
Result<ByteVector> encode(const Item& item);

// Builders. All return owned items; containers take their own references to the parts.
Item text(std::string_view value);
Item bytes(std::span<const std::uint8_t> value);
Item uint(std::uint64_t value);
Item integer(std::int64_t value);
Item null();
Item boolean(bool value);
Item array(std::span<const Item> items);
Item map(std::span<const std::pair<Item, Item>> entries);
Item tag(std::uint64_t tag_value, const Item& content);

// "unsigned integer", "byte string", "map", "null", ... for error messages.
std::string_view type_name(const cbor_item_t* item);
// null / a boolean. Unlike libcbor's cbor_is_null and cbor_is_bool, which assert (and abort the
// process) when given a float, these answer false for any item that is not a simple value.
bool is_null(const cbor_item_t* item);
bool is_bool(const cbor_item_t* item);

// Readers: the value when the item has the right type and size, else an invalid_argument error
// naming `field` ("payload.pcrs[3]"). Strings must have definite length.
Result<std::span<const std::uint8_t>> bytes_of(const cbor_item_t* item, std::string_view field, std::size_t min_size,
                                               std::size_t max_size);
Result<std::string_view> text_of(const cbor_item_t* item, std::string_view field, std::size_t max_size);
Result<std::uint64_t> uint_of(const cbor_item_t* item, std::string_view field);
// A signed integer (major type 0 or 1) in int64 range.
Result<std::int64_t> int_of(const cbor_item_t* item, std::string_view field);
Result<bool> bool_of(const cbor_item_t* item, std::string_view field);

// Untrusted text as it may appear in an error message: at most 32 characters, anything but
// printable ASCII shown as '?', so a peer cannot write control characters into our logs.
std::string printable(std::string_view untrusted);

// The entries of a map whose keys are all text strings, in encoding order; a non-text key or a
// key given twice is an error naming `field`.
struct TextKeyed {
  std::string_view key;
  cbor_item_t* value = nullptr;  // borrowed from the map
};
Result<std::vector<TextKeyed>> text_keyed(const cbor_item_t* item, std::string_view field, std::size_t max_entries);

}  // namespace cc::tee::cbor
