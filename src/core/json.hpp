#pragma once
// Strict readers over Boost.JSON values for consensus-style JSON (decimal-string uint64,
// 0x-hex bytes). Every failure throws InputError whose message names the full field path
// ("attestation.source.epoch: number out of uint64 range"), so decoders stay linear and the
// API edge turns the message into a 400 body. Unknown fields are ignored.
#include <boost/json.hpp>
#include <stdexcept>
#include <string>
#include <string_view>

#include "core/bytes.hpp"

namespace cc::json {

// Bad client or file input. Caught at the edge (HTTP 400, or a start-up error naming the file).
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// Parses text; throws InputError with the parser's reason. `storage` holds the parsed values:
// the default heap, or e.g. a monotonic_resource over a stack buffer so that a request parsed
// on the hot path costs no heap allocation (the value must not outlive it).
boost::json::value parse(std::string_view text, boost::json::storage_ptr storage = {});

// Where a value sits, for an error message: a whole path ("attestation.source.epoch"), or a
// parent's path and a key, joined only when an error names them, so reading valid input builds
// no path string. Holds views: use it within the call it is made for.
class FieldPath {
 public:
  FieldPath(const std::string& path) : base_(path) {}  // NOLINT(google-explicit-constructor)
  FieldPath(const char* path) : base_(path) {}         // NOLINT(google-explicit-constructor)
  FieldPath(std::string_view parent, std::string_view key) : base_(parent), key_(key), child_(true) {}
  // "parent.key", "key" under an empty parent, or the whole path.
  std::string str() const;

 private:
  std::string_view base_;
  std::string_view key_;
  bool child_ = false;
};

std::uint64_t as_u64(const boost::json::value& v, const FieldPath& path);
std::string_view as_string(const boost::json::value& v, const FieldPath& path);
ByteVector as_hex(const boost::json::value& v, const FieldPath& path);
template <std::size_t N>
Bytes<N> as_bytes(const boost::json::value& v, const FieldPath& path) {
  auto r = from_hex_fixed<N>(as_string(v, path));
  if (!r) throw InputError(path.str() + ": " + r.error().message);
  return *r;
}

// A view of one JSON object with the path that led to it.
class Object {
 public:
  Object(const boost::json::value& v, std::string path);

  bool has(std::string_view key) const;
  const boost::json::value& at(std::string_view key) const;  // throws "missing field"
  Object object(std::string_view key) const;
  const boost::json::array& array(std::string_view key) const;
  std::uint64_t u64(std::string_view key) const { return as_u64(at(key), {path_, key}); }
  std::string_view string(std::string_view key) const { return as_string(at(key), {path_, key}); }
  ByteVector hex(std::string_view key) const { return as_hex(at(key), {path_, key}); }
  template <std::size_t N>
  Bytes<N> bytes(std::string_view key) const {
    return as_bytes<N>(at(key), {path_, key});
  }
  bool boolean(std::string_view key) const;

  // "parent.key", or "key" at the top.
  std::string field(std::string_view key) const;
  const std::string& path() const { return path_; }
  const boost::json::object& raw() const { return *obj_; }

 private:
  const boost::json::object* obj_;
  std::string path_;
};

// "path[i]"
std::string index_path(const std::string& path, std::size_t i);

}  // namespace cc::json
