#include "tee/cbor.hpp"

#include <bit>
#include <cmath>
#include <limits>
#include <optional>

namespace cc::tee::cbor {
namespace {

enum Major : unsigned {
  kUnsigned = 0,
  kNegative = 1,
  kBytes = 2,
  kText = 3,
  kArray = 4,
  kMap = 5,
  kTag = 6,
  kSimple = 7
};
constexpr unsigned kIndefinite = 31;
constexpr std::uint8_t kBreak = 0xff;

std::string named(std::string_view field, std::string_view problem) {
  std::string out(field);
  out += ": ";
  out += problem;
  return out;
}

std::string expected(std::string_view field, std::string_view wanted, const Item& item) {
  std::string problem = "expected ";
  problem += wanted;
  problem += ", got ";
  problem += type_name(item);
  return named(field, problem);
}

// RFC 3629: no overlong forms, no surrogates, nothing above U+10FFFF.
bool valid_utf8(std::span<const std::uint8_t> s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const std::uint8_t lead = s[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint32_t code = 0, smallest = 0;
    if ((lead & 0xE0) == 0xC0) {
      length = 2, code = lead & 0x1Fu, smallest = 0x80;
    } else if ((lead & 0xF0) == 0xE0) {
      length = 3, code = lead & 0x0Fu, smallest = 0x800;
    } else if ((lead & 0xF8) == 0xF0) {
      length = 4, code = lead & 0x07u, smallest = 0x10000;
    } else {
      return false;
    }
    if (length > s.size() - i) return false;
    for (std::size_t k = 1; k < length; ++k) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      code = code << 6 | (s[i + k] & 0x3Fu);
    }
    if (code < smallest || code > 0x10FFFF || (code >= 0xD800 && code <= 0xDFFF)) return false;
    i += length;
  }
  return true;
}

double half_to_double(std::uint16_t half) {
  const int exponent = (half >> 10) & 0x1f;
  const int mantissa = half & 0x3ff;
  double magnitude = 0;
  if (exponent == 0) {
    magnitude = std::ldexp(mantissa, -24);  // subnormal
  } else if (exponent != 31) {
    magnitude = std::ldexp(mantissa + 1024, exponent - 25);
  } else {
    magnitude = mantissa == 0 ? std::numeric_limits<double>::infinity() : std::numeric_limits<double>::quiet_NaN();
  }
  return (half & 0x8000) ? -magnitude : magnitude;
}

// The half-precision bits of `value` when a half holds it exactly.
std::optional<std::uint16_t> exact_half(double value) {
  const std::uint16_t sign = std::signbit(value) ? 0x8000 : 0;
  if (value == 0) return sign;
  if (std::isinf(value)) return static_cast<std::uint16_t>(sign | 0x7c00);
  const double magnitude = std::fabs(value);
  int e = 0;
  std::frexp(magnitude, &e);  // magnitude in [2^(e-1), 2^e)
  const int exponent = e - 1;
  if (exponent > 15) return std::nullopt;
  if (exponent >= -14) {
    const double mantissa = std::ldexp(magnitude, 10 - exponent) - 1024;
    if (mantissa != std::floor(mantissa)) return std::nullopt;
    return static_cast<std::uint16_t>(sign | (exponent + 15) << 10 | static_cast<int>(mantissa));
  }
  const double mantissa = std::ldexp(magnitude, 24);
  if (mantissa != std::floor(mantissa)) return std::nullopt;
  return static_cast<std::uint16_t>(sign | static_cast<int>(mantissa));
}

// Reads one item at a time from the input, checking every declared size against what is left.
class Decoder {
 public:
  Decoder(std::span<const std::uint8_t> input, std::string_view what) : in_(input), what_(what) {}

  Result<Item> item(std::size_t depth);
  std::size_t position() const { return pos_; }

 private:
  struct Head {
    std::size_t at = 0;  // offset of the initial byte
    unsigned major = 0;
    unsigned info = 0;
    std::uint64_t argument = 0;
  };

  Result<Head> head();
  Result<Item> string(const Head& h);
  Result<Item> array(const Head& h, std::size_t depth);
  Result<Item> map(const Head& h, std::size_t depth);
  Result<Item> simple_or_float(const Head& h);
  Result<ByteVector> take(const Head& h);
  bool at_break() const { return pos_ < in_.size() && in_[pos_] == kBreak; }
  std::size_t left() const { return in_.size() - pos_; }

  Error malformed(std::size_t at, const std::string& problem) const {
    return Error::invalid(std::string(what_) + ": malformed CBOR at byte " + std::to_string(at) + ": " + problem);
  }
  Error truncated(std::size_t at, std::string_view item_name = "item") const {
    return Error::invalid(std::string(what_) + ": truncated CBOR: the " + std::string(item_name) + " at byte " +
                          std::to_string(at) + " runs past the end of the input");
  }
  Error declares_too_much(const Head& h, std::string_view unit) const {
    return Error::invalid(std::string(what_) + ": truncated CBOR: the item at byte " + std::to_string(h.at) +
                          " declares " + std::to_string(h.argument) + " " + std::string(unit) + " but only " +
                          std::to_string(left()) + " bytes follow");
  }
  Status check_depth(const Head& h, std::size_t depth) const {
    if (depth >= kMaxDepth) {
      return Error::invalid(std::string(what_) + ": CBOR nested deeper than " + std::to_string(kMaxDepth) +
                            " levels at byte " + std::to_string(h.at));
    }
    return {};
  }

  std::span<const std::uint8_t> in_;
  std::string_view what_;
  std::size_t pos_ = 0;
};

Result<Decoder::Head> Decoder::head() {
  Head h;
  h.at = pos_;
  if (left() == 0) return truncated(h.at);
  const std::uint8_t initial = in_[pos_++];
  h.major = initial >> 5;
  h.info = initial & 0x1fu;
  if (h.info < 24) {
    h.argument = h.info;
  } else if (h.info <= 27) {
    const std::size_t width = std::size_t{1} << (h.info - 24);
    if (width > left()) return truncated(h.at);
    for (std::size_t i = 0; i < width; ++i) h.argument = h.argument << 8 | in_[pos_++];
  } else if (h.info < kIndefinite) {
    return malformed(h.at, "additional information " + std::to_string(h.info) + " is reserved");
  }
  return h;
}

Result<Item> Decoder::item(std::size_t depth) {
  auto h = head();
  if (!h) return h.error();
  const bool indefinite = h->info == kIndefinite;
  switch (h->major) {
    case kUnsigned:
    case kNegative:
      if (indefinite) return malformed(h->at, "an integer cannot have indefinite length");
      if (h->major == kUnsigned) return Item(h->argument);
      return Item(Negative{h->argument});
    case kBytes:
    case kText:
      return string(*h);
    case kArray:
      return array(*h, depth);
    case kMap:
      return map(*h, depth);
    case kTag: {
      if (indefinite) return malformed(h->at, "a tag cannot have indefinite length");
      if (auto ok = check_depth(*h, depth); !ok) return ok.error();
      auto content = item(depth + 1);
      if (!content) return content.error();
      return Item(Tag(h->argument, std::move(*content)));
    }
    default:
      return simple_or_float(*h);
  }
}

// The bytes of one definite-length string whose head is h.
Result<ByteVector> Decoder::take(const Head& h) {
  if (h.argument > left()) return declares_too_much(h, "bytes");
  const auto start = in_.begin() + static_cast<std::ptrdiff_t>(pos_);
  ByteVector out(start, start + static_cast<std::ptrdiff_t>(h.argument));
  pos_ += static_cast<std::size_t>(h.argument);
  if (h.major == kText && !valid_utf8(out)) return malformed(h.at, "text string is not valid UTF-8");
  return out;
}

Result<Item> Decoder::string(const Head& h) {
  const std::string_view kind = h.major == kBytes ? "byte string" : "text string";
  ByteVector value;
  const bool chunked = h.info == kIndefinite;
  if (!chunked) {
    auto whole = take(h);
    if (!whole) return whole.error();
    value = std::move(*whole);
  } else {
    // RFC 8949 section 3.2.3: definite-length chunks of the same major type, then a break.
    while (!at_break()) {
      if (left() == 0) return truncated(h.at, "indefinite-length " + std::string(kind));
      auto chunk_head = head();
      if (!chunk_head) return chunk_head.error();
      if (chunk_head->major != h.major || chunk_head->info == kIndefinite) {
        return malformed(chunk_head->at, "a chunk of an indefinite-length " + std::string(kind) +
                                             " must be a definite-length " + std::string(kind));
      }
      auto chunk = take(*chunk_head);
      if (!chunk) return chunk.error();
      value.insert(value.end(), chunk->begin(), chunk->end());
    }
    ++pos_;  // the break
  }
  if (h.major == kBytes) return Item(Bytes{std::move(value), chunked});
  return Item(Text{std::string(value.begin(), value.end()), chunked});
}

Result<Item> Decoder::array(const Head& h, std::size_t depth) {
  if (auto ok = check_depth(h, depth); !ok) return ok.error();
  Array items;
  if (h.info != kIndefinite) {
    // Every element takes at least one byte.
    if (h.argument > left()) return declares_too_much(h, "items");
    items.reserve(static_cast<std::size_t>(h.argument));
    for (std::uint64_t i = 0; i < h.argument; ++i) {
      auto element = item(depth + 1);
      if (!element) return element.error();
      items.push_back(std::move(*element));
    }
    return Item(std::move(items));
  }
  while (!at_break()) {
    if (left() == 0) return truncated(h.at, "indefinite-length array");
    auto element = item(depth + 1);
    if (!element) return element.error();
    items.push_back(std::move(*element));
  }
  ++pos_;
  return Item(std::move(items));
}

Result<Item> Decoder::map(const Head& h, std::size_t depth) {
  if (auto ok = check_depth(h, depth); !ok) return ok.error();
  Map entries;
  const bool indefinite = h.info == kIndefinite;
  if (!indefinite) {
    if (h.argument > left() / 2) return declares_too_much(h, "pairs");
    entries.reserve(static_cast<std::size_t>(h.argument));
  }
  for (std::uint64_t i = 0; indefinite || i < h.argument; ++i) {
    if (indefinite) {
      if (at_break()) break;
      if (left() == 0) return truncated(h.at, "indefinite-length map");
    }
    auto key = item(depth + 1);
    if (!key) return key.error();
    if (indefinite && at_break())
      return malformed(pos_, "the indefinite-length map ends after a key without its value");
    auto value = item(depth + 1);
    if (!value) return value.error();
    entries.emplace_back(std::move(*key), std::move(*value));
  }
  if (indefinite) ++pos_;
  return Item(std::move(entries));
}

Result<Item> Decoder::simple_or_float(const Head& h) {
  switch (h.info) {
    case 20:
    case 21:
    case 22:
    case 23:
      return Item(static_cast<Simple>(h.info));
    case 24:
      if (h.argument < 32) {
        return malformed(h.at, "simple value " + std::to_string(h.argument) + " must use the one-byte form");
      }
      return malformed(h.at, "unassigned simple value " + std::to_string(h.argument));
    case 25:
      return Item(Float{half_to_double(static_cast<std::uint16_t>(h.argument))});
    case 26:
      return Item(Float{std::bit_cast<float>(static_cast<std::uint32_t>(h.argument))});
    case 27:
      return Item(Float{std::bit_cast<double>(h.argument)});
    case kIndefinite:
      return malformed(h.at, "a break (0xff) outside an indefinite-length item");
    default:
      return malformed(h.at, "unassigned simple value " + std::to_string(h.info));
  }
}

void put_head(ByteVector& out, unsigned major, std::uint64_t argument) {
  const auto initial = static_cast<std::uint8_t>(major << 5);
  if (argument < 24) {
    out.push_back(static_cast<std::uint8_t>(initial | argument));
    return;
  }
  const unsigned info = argument <= 0xff ? 24 : argument <= 0xffff ? 25 : argument <= 0xffffffff ? 26 : 27;
  out.push_back(static_cast<std::uint8_t>(initial | info));
  for (int shift = (8 << (info - 24)) - 8; shift >= 0; shift -= 8) {
    out.push_back(static_cast<std::uint8_t>(argument >> shift));
  }
}

void put_float(ByteVector& out, double value) {
  if (std::isnan(value)) {
    out.insert(out.end(), {0xf9, 0x7e, 0x00});  // the canonical NaN (RFC 8949 section 4.2.2)
    return;
  }
  if (auto half = exact_half(value)) {
    out.insert(out.end(), {0xf9, static_cast<std::uint8_t>(*half >> 8), static_cast<std::uint8_t>(*half)});
    return;
  }
  if (std::fabs(value) <= std::numeric_limits<float>::max()) {
    const auto single = static_cast<float>(value);
    if (static_cast<double>(single) == value) {
      const auto bits = std::bit_cast<std::uint32_t>(single);
      out.push_back(0xfa);
      for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(bits >> shift));
      return;
    }
  }
  const auto bits = std::bit_cast<std::uint64_t>(value);
  out.push_back(0xfb);
  for (int shift = 56; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(bits >> shift));
}

void put_item(ByteVector& out, const Item& item) {
  struct Writer {
    ByteVector& out;
    void operator()(std::uint64_t value) const { put_head(out, kUnsigned, value); }
    void operator()(const Negative& value) const { put_head(out, kNegative, value.n); }
    void operator()(const Bytes& value) const {
      put_head(out, kBytes, value.value.size());
      out.insert(out.end(), value.value.begin(), value.value.end());
    }
    void operator()(const Text& value) const {
      put_head(out, kText, value.value.size());
      out.insert(out.end(), value.value.begin(), value.value.end());
    }
    void operator()(const Array& value) const {
      put_head(out, kArray, value.size());
      for (const Item& element : value) put_item(out, element);
    }
    void operator()(const Map& value) const {
      put_head(out, kMap, value.size());
      for (const auto& [key, element] : value) {
        put_item(out, key);
        put_item(out, element);
      }
    }
    void operator()(const Tag& value) const {
      put_head(out, kTag, value.number);
      put_item(out, *value.content);
    }
    void operator()(Simple value) const { put_head(out, kSimple, static_cast<std::uint8_t>(value)); }
    void operator()(const Float& value) const { put_float(out, value.value); }
  };
  std::visit(Writer{out}, item.value());
}

}  // namespace

Tag::Tag(std::uint64_t tag_number, Item tag_content)
    : number(tag_number), content(std::make_unique<Item>(std::move(tag_content))) {}
Tag::Tag(const Tag& other) : number(other.number), content(std::make_unique<Item>(*other.content)) {}
Tag& Tag::operator=(const Tag& other) {
  if (this != &other) {
    number = other.number;
    content = std::make_unique<Item>(*other.content);
  }
  return *this;
}
Tag::~Tag() = default;

// The CBOR data model: chunking is how a string was sent, not what it is; NaN equals NaN.
bool operator==(const Item& a, const Item& b) {
  if (a.value_.index() != b.value_.index()) return false;
  if (auto x = a.as<std::uint64_t>()) return *x == *b.as<std::uint64_t>();
  if (auto x = a.as<Negative>()) return x->n == b.as<Negative>()->n;
  if (auto x = a.as<Bytes>()) return x->value == b.as<Bytes>()->value;
  if (auto x = a.as<Text>()) return x->value == b.as<Text>()->value;
  if (auto x = a.as<Array>()) return *x == *b.as<Array>();
  if (auto x = a.as<Map>()) return *x == *b.as<Map>();
  if (auto x = a.as<Tag>()) return x->number == b.as<Tag>()->number && *x->content == *b.as<Tag>()->content;
  if (auto x = a.as<Simple>()) return *x == *b.as<Simple>();
  const double x = a.as<Float>()->value, y = b.as<Float>()->value;
  return x == y ? std::signbit(x) == std::signbit(y) : std::isnan(x) && std::isnan(y);
}

Result<Item> decode(std::span<const std::uint8_t> input, std::size_t max_size, std::string_view what) {
  if (input.empty()) return Error::invalid(std::string(what) + ": empty");
  if (input.size() > max_size) {
    return Error::invalid(std::string(what) + ": " + std::to_string(input.size()) + " bytes, more than the limit of " +
                          std::to_string(max_size));
  }
  Decoder decoder(input, what);
  auto item = decoder.item(0);
  if (!item) return item.error();
  if (decoder.position() != input.size()) {
    return Error::invalid(std::string(what) + ": " + std::to_string(input.size() - decoder.position()) +
                          " trailing bytes after the CBOR item");
  }
  return item;
}

ByteVector encode(const Item& item) {
  ByteVector out;
  put_item(out, item);
  return out;
}

Item text(std::string_view value) {
  return Item(Text{std::string(value)});
}

Item bytes(std::span<const std::uint8_t> value) {
  return Item(Bytes{ByteVector(value.begin(), value.end())});
}

Item uint(std::uint64_t value) {
  return Item(value);
}

Item integer(std::int64_t value) {
  if (value >= 0) return uint(static_cast<std::uint64_t>(value));
  return Item(Negative{static_cast<std::uint64_t>(-(value + 1))});  // major type 1 stores -1 - n
}

Item null() {
  return Item(Simple::null);
}

Item boolean(bool value) {
  return Item(value ? Simple::true_value : Simple::false_value);
}

Item array(std::span<const Item> items) {
  return Item(Array(items.begin(), items.end()));
}

Item map(std::span<const std::pair<Item, Item>> entries) {
  return Item(Map(entries.begin(), entries.end()));
}

Item tag(std::uint64_t tag_number, const Item& content) {
  return Item(Tag(tag_number, content));
}

std::string_view type_name(const Item& item) {
  struct Namer {
    std::string_view operator()(std::uint64_t) const { return "unsigned integer"; }
    std::string_view operator()(const Negative&) const { return "negative integer"; }
    std::string_view operator()(const Bytes&) const { return "byte string"; }
    std::string_view operator()(const Text&) const { return "text string"; }
    std::string_view operator()(const Array&) const { return "array"; }
    std::string_view operator()(const Map&) const { return "map"; }
    std::string_view operator()(const Tag&) const { return "tagged item"; }
    std::string_view operator()(Simple value) const {
      return value == Simple::null ? "null" : value == Simple::undefined ? "undefined" : "boolean";
    }
    std::string_view operator()(const Float&) const { return "float"; }
  };
  return std::visit(Namer{}, item.value());
}

bool is_null(const Item& item) {
  const Simple* simple = item.as<Simple>();
  return simple && *simple == Simple::null;
}

bool is_bool(const Item& item) {
  const Simple* simple = item.as<Simple>();
  return simple && (*simple == Simple::false_value || *simple == Simple::true_value);
}

Result<std::span<const std::uint8_t>> bytes_of(const Item& item, std::string_view field, std::size_t min_size,
                                               std::size_t max_size) {
  const Bytes* b = item.as<Bytes>();
  if (!b) return Error::invalid(expected(field, "a byte string", item));
  if (b->chunked) return Error::invalid(named(field, "indefinite-length byte strings are not accepted"));
  const std::size_t size = b->value.size();
  if (size < min_size || size > max_size) {
    std::string range =
        min_size == max_size ? std::to_string(min_size) : std::to_string(min_size) + ".." + std::to_string(max_size);
    return Error::invalid(named(field, std::to_string(size) + " bytes, expected " + range));
  }
  return std::span<const std::uint8_t>(b->value);
}

Result<std::string_view> text_of(const Item& item, std::string_view field, std::size_t max_size) {
  const Text* t = item.as<Text>();
  if (!t) return Error::invalid(expected(field, "a text string", item));
  if (t->chunked) return Error::invalid(named(field, "indefinite-length text strings are not accepted"));
  if (t->value.size() > max_size) {
    return Error::invalid(
        named(field, std::to_string(t->value.size()) + " bytes of text, more than " + std::to_string(max_size)));
  }
  return std::string_view(t->value);
}

Result<std::uint64_t> uint_of(const Item& item, std::string_view field) {
  const std::uint64_t* value = item.as<std::uint64_t>();
  if (!value) return Error::invalid(expected(field, "an unsigned integer", item));
  return *value;
}

Result<std::int64_t> int_of(const Item& item, std::string_view field) {
  constexpr auto kMax = static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max());
  if (const std::uint64_t* value = item.as<std::uint64_t>()) {
    if (*value > kMax) return Error::invalid(named(field, "integer out of range"));
    return static_cast<std::int64_t>(*value);
  }
  if (const Negative* negative = item.as<Negative>()) {
    if (negative->n > kMax) return Error::invalid(named(field, "integer out of range"));
    return -1 - static_cast<std::int64_t>(negative->n);
  }
  return Error::invalid(expected(field, "an integer", item));
}

Result<bool> bool_of(const Item& item, std::string_view field) {
  if (!is_bool(item)) return Error::invalid(expected(field, "a boolean", item));
  return *item.as<Simple>() == Simple::true_value;
}

Result<std::span<const Item>> array_of(const Item& item, std::string_view field) {
  const Array* a = item.as<Array>();
  if (!a) return Error::invalid(expected(field, "an array", item));
  return std::span<const Item>(*a);
}

Result<std::span<const std::pair<Item, Item>>> map_of(const Item& item, std::string_view field) {
  const Map* m = item.as<Map>();
  if (!m) return Error::invalid(expected(field, "a map", item));
  return std::span<const std::pair<Item, Item>>(*m);
}

std::string printable(std::string_view untrusted) {
  std::string out;
  for (char c : untrusted.substr(0, 32)) out += c >= 0x20 && c < 0x7F ? c : '?';
  if (untrusted.size() > 32) out += "...";
  return out;
}

Result<std::vector<TextKeyed>> text_keyed(const Item& item, std::string_view field, std::size_t max_entries) {
  auto entries = map_of(item, field);
  if (!entries) return entries.error();
  if (entries->size() > max_entries) {
    return Error::invalid(
        named(field, std::to_string(entries->size()) + " entries, more than " + std::to_string(max_entries)));
  }
  std::vector<TextKeyed> out;
  out.reserve(entries->size());
  for (const auto& [key_item, value] : *entries) {
    auto key = text_of(key_item, std::string(field) + " key", 64);
    if (!key) return key.error();
    for (const TextKeyed& seen : out) {
      if (seen.key == *key) return Error::invalid(named(field, "key \"" + printable(*key) + "\" given twice"));
    }
    out.push_back({*key, &value});
  }
  return out;
}

}  // namespace cc::tee::cbor
