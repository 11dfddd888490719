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

std::uint64_t as_u64(const boost::json::value& v, const std::string& path);
std::string_view as_string(const boost::json::value& v, const std::string& path);
ByteVector as_hex(const boost::json::value& v, const std::string& path);
template <std::size_t N>
Bytes<N> as_bytes(const boost::json::value& v, const std::string& path) {
  auto r = from_hex_fixed<N>(as_string(v, path));
  if (!r) throw InputError(path + ": " + r.error().message);
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
  // These build the field's path (a string) only to name it in an error: reading a valid
  // request allocates nothing for it.
  std::uint64_t u64(std::string_view key) const;
  std::string_view string(std::string_view key) const;
  ByteVector hex(std::string_view key) const;
  template <std::size_t N>
  Bytes<N> bytes(std::string_view key) const {
    const auto& v = at(key);
    if (v.is_string()) {
      if (auto r = from_hex_fixed<N>(v.get_string())) return *r;
    }
    return as_bytes<N>(v, field(key));  // throws, naming the field
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
