#include "api/keystore_import.hpp"

#include <algorithm>
#include <utility>

#include "crypto/keystore.hpp"

namespace cc::api {

namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

Result<boost::json::object> parse_object(const std::string& body) {
  boost::system::error_code ec;
  auto value = boost::json::parse(body, ec);
  if (ec || !value.is_object()) {
    return Error::invalid("request body is not a JSON object" + (ec ? ": " + ec.message() : std::string()));
  }
  return std::move(value.as_object());
}

Result<std::vector<std::string>> string_array(const boost::json::object& body, const char* field) {
  std::vector<std::string> out;
  const auto* value = body.if_contains(field);
  const Error wrong = Error::invalid(std::string("'") + field + "' must be an array of strings");
  if (value == nullptr || !value->is_array()) return wrong;
  for (const auto& item : value->as_array()) {
    if (!item.is_string()) return wrong;
    out.emplace_back(item.as_string());
  }
  return out;
}

}  // namespace

ConcurrencySlot::ConcurrencySlot(std::atomic<std::uint32_t>& in_use, std::uint32_t limit) {
  if (in_use.fetch_add(1) < limit) {
    in_use_ = &in_use;
  } else {
    in_use.fetch_sub(1);
  }
}

ConcurrencySlot::ConcurrencySlot(ConcurrencySlot&& other) noexcept : in_use_(std::exchange(other.in_use_, nullptr)) {}

ConcurrencySlot::~ConcurrencySlot() {
  release();
}

void ConcurrencySlot::release() {
  if (in_use_ != nullptr) std::exchange(in_use_, nullptr)->fetch_sub(1);
}

void wipe(std::string& s) {
  std::fill(s.begin(), s.end(), '\0');
  s.clear();
}

Result<KeystoreImportRequest> decode_keystore_import(std::string& body, std::uint32_t max_items,
                                                     std::string_view limit_key) {
  auto request = parse_object(body);
  wipe(body);  // it holds the passwords
  if (!request) return request.error();
  auto keystores = string_array(*request, "keystores");
  if (!keystores) return keystores.error();
  auto passwords = string_array(*request, "passwords");
  if (!passwords) return passwords.error();
  if (keystores->size() != passwords->size()) {
    return Error::invalid("'keystores' has " + std::to_string(keystores->size()) + " items but 'passwords' has " +
                          std::to_string(passwords->size()) + ": give one password per keystore");
  }
  if (keystores->size() > max_items) {
    return Error::invalid(std::to_string(keystores->size()) + " keystores in one request; at most " +
                          std::to_string(max_items) + " (" + std::string(limit_key) + ")");
  }
  KeystoreImportRequest out;
  if (const auto* sp = request->if_contains("slashing_protection"); sp != nullptr && !sp->is_null()) {
    out.slashing_protection = sp->is_string() ? std::string(sp->as_string()) : boost::json::serialize(*sp);
  }
  for (auto& p : *request) {
    if (p.value().is_array()) p.value().as_array().clear();  // drop the parsed passwords early
  }
  out.items.resize(keystores->size());
  for (std::size_t i = 0; i < keystores->size(); ++i) {
    out.items[i].keystore = std::move((*keystores)[i]);
    out.items[i].password = std::move((*passwords)[i]);
  }
  out.body = std::move(*request);
  return out;
}

Result<std::vector<std::string>> decode_pubkeys(const std::string& body, std::uint32_t max_items,
                                                std::string_view limit_key, boost::json::object* other) {
  auto request = parse_object(body);
  if (!request) return request.error();
  auto pubkeys = string_array(*request, "pubkeys");
  if (!pubkeys) return pubkeys.error();
  if (pubkeys->size() > max_items) {
    return Error::invalid(std::to_string(pubkeys->size()) + " pubkeys in one request; at most " +
                          std::to_string(max_items) + " (" + std::string(limit_key) + ")");
  }
  if (other != nullptr) *other = std::move(*request);
  return pubkeys;
}

void decrypt_import_item(KeystoreImportItem& item, const std::function<bool(const BlsPublicKey&)>& loaded,
                         std::chrono::steady_clock::time_point deadline, std::string_view timeout_key,
                         std::chrono::seconds timeout) {
  auto keystore = crypto::parse_keystore(item.keystore);
  if (!keystore) {
    item.status = "error";
    item.message = "invalid keystore: " + keystore.error().message;
  } else if (keystore->pubkey && loaded(*keystore->pubkey)) {
    item.status = "duplicate";  // no need to spend a KDF run on it
    item.message = "key already loaded";
  } else if (std::chrono::steady_clock::now() > deadline) {
    item.status = "error";
    item.message = "not decrypted within " + std::string(timeout_key) + " (" + std::to_string(timeout.count()) + " s)";
  } else if (auto key = crypto::decrypt_keystore(*keystore, item.password); !key) {
    item.status = "error";
    item.message = key.error().message;
  } else {
    item.key = std::make_shared<const crypto::SecretKey>(std::move(*key));
    item.derivation_path = keystore->path;
  }
  wipe(item.password);
  item.keystore.clear();
}

std::string interchange_for_keys(const std::string& interchange, const std::set<std::string>& keys) {
  boost::system::error_code ec;
  auto doc = boost::json::parse(interchange, ec);
  if (ec || !doc.is_object()) return interchange;
  auto* data = doc.as_object().if_contains("data");
  if (data == nullptr || !data->is_array()) return interchange;
  boost::json::array kept;
  for (auto& entry : data->as_array()) {
    const auto* pubkey = entry.is_object() ? entry.as_object().if_contains("pubkey") : nullptr;
    if (pubkey == nullptr || !pubkey->is_string()) return interchange;
    auto hex = lower(std::string(pubkey->as_string()));
    if (hex.rfind("0x", 0) != 0) hex = "0x" + hex;
    if (keys.count(hex) != 0) kept.push_back(std::move(entry));
  }
  *data = std::move(kept);
  return boost::json::serialize(doc);
}

std::set<std::string> keys_in_interchange(const std::string& interchange) {
  std::set<std::string> out;
  boost::system::error_code ec;
  auto doc = boost::json::parse(interchange, ec);
  if (ec || !doc.is_object()) return out;
  const auto* data = doc.as_object().if_contains("data");
  if (data == nullptr || !data->is_array()) return out;
  for (const auto& entry : data->as_array()) {
    const auto* pubkey = entry.is_object() ? entry.as_object().if_contains("pubkey") : nullptr;
    if (pubkey != nullptr && pubkey->is_string()) out.insert(lower(std::string(pubkey->as_string())));
  }
  return out;
}

}  // namespace cc::api
