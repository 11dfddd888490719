#include "core/json.hpp"

namespace cc::json {

boost::json::value parse(std::string_view text, boost::json::storage_ptr storage) {
  boost::system::error_code ec;
  boost::json::parse_options opts;
  opts.max_depth = 64;
  auto v = boost::json::parse(text, ec, std::move(storage), opts);
  if (ec) throw InputError("invalid JSON: " + ec.message());
  return v;
}

std::string FieldPath::str() const {
  if (!child_) return std::string(base_);
  if (base_.empty()) return std::string(key_);
  std::string out(base_);
  out += '.';
  out += key_;
  return out;
}

std::uint64_t as_u64(const boost::json::value& v, const FieldPath& path) {
  if (v.is_string()) {
    auto r = parse_uint64(v.get_string());
    if (!r) throw InputError(path.str() + ": " + r.error().message);
    return *r;
  }
  // Consensus JSON uses strings; plain non-negative integers are accepted for leniency.
  if (v.is_uint64()) return v.get_uint64();
  if (v.is_int64() && v.get_int64() >= 0) return static_cast<std::uint64_t>(v.get_int64());
  throw InputError(path.str() + ": expected an unsigned integer as a decimal string");
}

std::string_view as_string(const boost::json::value& v, const FieldPath& path) {
  if (!v.is_string()) throw InputError(path.str() + ": expected a string");
  return v.get_string();
}

ByteVector as_hex(const boost::json::value& v, const FieldPath& path) {
  auto r = from_hex(as_string(v, path));
  if (!r) throw InputError(path.str() + ": " + r.error().message);
  return std::move(r).value();
}

Object::Object(const boost::json::value& v, std::string path) : path_(std::move(path)) {
  if (!v.is_object()) throw InputError((path_.empty() ? std::string("body") : path_) + ": expected a JSON object");
  obj_ = &v.get_object();
}

bool Object::has(std::string_view key) const {
  auto it = obj_->find(key);
  return it != obj_->end() && !it->value().is_null();
}

const boost::json::value& Object::at(std::string_view key) const {
  auto it = obj_->find(key);
  if (it == obj_->end() || it->value().is_null()) throw InputError(field(key) + ": missing field");
  return it->value();
}

Object Object::object(std::string_view key) const { return Object(at(key), field(key)); }

const boost::json::array& Object::array(std::string_view key) const {
  const auto& v = at(key);
  if (!v.is_array()) throw InputError(field(key) + ": expected an array");
  return v.get_array();
}

bool Object::boolean(std::string_view key) const {
  const auto& v = at(key);
  if (!v.is_bool()) throw InputError(field(key) + ": expected true or false");
  return v.get_bool();
}

std::string Object::field(std::string_view key) const { return FieldPath(path_, key).str(); }

std::string index_path(const std::string& path, std::size_t i) { return path + "[" + std::to_string(i) + "]"; }

}  // namespace cc::json
