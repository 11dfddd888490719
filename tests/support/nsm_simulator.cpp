#include "nsm_simulator.hpp"

#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <mutex>
#include <stdexcept>
#include <thread>

namespace cc::tee::test {
namespace {

using cbor::Item;
using Entries = std::vector<std::pair<Item, Item>>;

[[noreturn]] void fail(const std::string& what) {
  throw std::runtime_error("NsmSimulator: " + what);
}

struct KeyFree {
  void operator()(EVP_PKEY* k) const { EVP_PKEY_free(k); }
};
struct CertFree {
  void operator()(X509* c) const { X509_free(c); }
};
using Key = std::unique_ptr<EVP_PKEY, KeyFree>;
using Cert = std::unique_ptr<X509, CertFree>;

Key p384_key() {
  Key key(EVP_EC_gen("P-384"));
  if (!key) fail("P-384 key generation failed");
  return key;
}

void add_extension(X509* cert, X509* issuer, int nid, const char* value) {
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, issuer, cert, nullptr, nullptr, 0);
  X509_EXTENSION* ext = X509V3_EXT_conf_nid(nullptr, &ctx, nid, value);
  if (!ext || X509_add_ext(cert, ext, -1) != 1) fail("certificate extension failed");
  X509_EXTENSION_free(ext);
}

// A certificate for `key` named `cn`, issued by (issuer, issuer_key) or self-signed.
Cert make_certificate(const char* cn, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key, bool ca,
                      std::chrono::system_clock::time_point not_before,
                      std::chrono::system_clock::time_point not_after) {
  Cert cert(X509_new());
  if (!cert) fail("X509_new");
  X509_set_version(cert.get(), 2);
  static std::atomic<long> serial{1};
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "C", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("US"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("Test"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>(cn), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  ASN1_TIME_set(X509_getm_notBefore(cert.get()), std::chrono::system_clock::to_time_t(not_before));
  ASN1_TIME_set(X509_getm_notAfter(cert.get()), std::chrono::system_clock::to_time_t(not_after));
  X509_set_pubkey(cert.get(), key);
  X509* signer = issuer ? issuer : cert.get();
  add_extension(cert.get(), signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE");
  add_extension(cert.get(), signer, NID_key_usage, ca ? "critical,keyCertSign,cRLSign" : "critical,digitalSignature");
  add_extension(cert.get(), signer, NID_subject_key_identifier, "hash");
  if (issuer) add_extension(cert.get(), signer, NID_authority_key_identifier, "keyid:always");
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha384()) == 0) fail("X509_sign");
  return cert;
}

ByteVector der_of(X509* cert) {
  unsigned char* out = nullptr;
  const int length = i2d_X509(cert, &out);
  if (length <= 0) fail("i2d_X509");
  ByteVector der(out, out + length);
  OPENSSL_free(out);
  return der;
}

Item optional_bytes(const std::optional<ByteVector>& value) {
  return value ? cbor::bytes(*value) : cbor::null();
}

Item error_response(const char* code) {
  const std::pair<Item, Item> entry[] = {{cbor::text("Error"), cbor::text(code)}};
  return cbor::map(entry);
}

Item variant_response(const char* name, Entries fields) {
  const std::pair<Item, Item> entry[] = {{cbor::text(name), cbor::map(fields)}};
  return cbor::map(entry);
}

// The value of `key` in a map whose keys are text, or nullptr.
const Item* lookup(const Item& map, std::string_view key) {
  const cbor::Map* entries = map.as<cbor::Map>();
  if (!entries) return nullptr;
  for (const auto& [k, v] : *entries) {
    const cbor::Text* text = k.as<cbor::Text>();
    if (text && text->value == key) return &v;
  }
  return nullptr;
}

// null -> absent; a byte string up to max -> value; anything else -> error.
bool optional_field(const Item* item, std::size_t max, std::optional<ByteVector>& out) {
  if (!item) return false;
  if (cbor::is_null(*item)) return true;
  const cbor::Bytes* bytes = item->as<cbor::Bytes>();
  if (!bytes || bytes->chunked || bytes->value.size() > max) return false;
  out = bytes->value;
  return true;
}

}  // namespace

// ---- TestNitroPki ----

struct TestNitroPki::Impl {
  Key root_key, intermediate_key, leaf_key;
  Cert root, intermediate, leaf;
  ByteVector root_der, intermediate_der, leaf_der;
};

TestNitroPki::TestNitroPki(TestPkiOptions options) : impl_(std::make_unique<Impl>()) {
  const auto now = std::chrono::system_clock::now();
  const auto years = std::chrono::hours(24 * 365 * 5);
  Impl& p = *impl_;
  p.root_key = p384_key();
  p.intermediate_key = p384_key();
  p.leaf_key = p384_key();
  p.root = make_certificate("test.nitro-enclaves", p.root_key.get(), nullptr, nullptr, true, now - years, now + years);
  p.intermediate = make_certificate("zonal.test.nitro-enclaves", p.intermediate_key.get(), p.root.get(),
                                    p.root_key.get(), true, now - years, now + years);
  p.leaf = make_certificate("i-0123456789abcdef0-enc0123456789abcdef.test", p.leaf_key.get(), p.intermediate.get(),
                            p.intermediate_key.get(), false, options.leaf_not_before, options.leaf_not_after);
  p.root_der = der_of(p.root.get());
  p.intermediate_der = der_of(p.intermediate.get());
  p.leaf_der = der_of(p.leaf.get());
}

TestNitroPki::~TestNitroPki() = default;
const ByteVector& TestNitroPki::root_der() const {
  return impl_->root_der;
}
const ByteVector& TestNitroPki::intermediate_der() const {
  return impl_->intermediate_der;
}
const ByteVector& TestNitroPki::leaf_der() const {
  return impl_->leaf_der;
}

ByteVector TestNitroPki::sign(std::span<const std::uint8_t> message) const {
  std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> md(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
  std::size_t der_length = 0;
  if (!md || EVP_DigestSignInit(md.get(), nullptr, EVP_sha384(), nullptr, impl_->leaf_key.get()) != 1 ||
      EVP_DigestSign(md.get(), nullptr, &der_length, message.data(), message.size()) != 1) {
    fail("EVP_DigestSign setup");
  }
  ByteVector der(der_length);
  if (EVP_DigestSign(md.get(), der.data(), &der_length, message.data(), message.size()) != 1) fail("EVP_DigestSign");
  const unsigned char* p = der.data();
  std::unique_ptr<ECDSA_SIG, decltype(&ECDSA_SIG_free)> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der_length)),
                                                            &ECDSA_SIG_free);
  if (!sig) fail("d2i_ECDSA_SIG");
  ByteVector raw(96);
  if (BN_bn2binpad(ECDSA_SIG_get0_r(sig.get()), raw.data(), 48) != 48 ||
      BN_bn2binpad(ECDSA_SIG_get0_s(sig.get()), raw.data() + 48, 48) != 48) {
    fail("BN_bn2binpad");
  }
  return raw;
}

// ---- NsmSimulator ----

struct NsmSimulator::Impl {
  std::string path;
  NsmSimulatorOptions options;
  TestNitroPki pki;
  mutable std::mutex mutex;
  PcrMap pcrs;
  std::optional<ByteVector> next_raw;
  ByteVector last_request;
  std::size_t served = 0;
  int listener = -1;
  int stop_pipe[2] = {-1, -1};
  std::thread thread;

  explicit Impl(std::string p, NsmSimulatorOptions o) : path(std::move(p)), options(std::move(o)), pki(options.pki) {}
};

NsmSimulator::NsmSimulator(std::string socket_path, NsmSimulatorOptions options)
    : impl_(std::make_unique<Impl>(std::move(socket_path), std::move(options))) {
  Impl& s = *impl_;
  s.pcrs = s.options.pcrs;
  if (s.pcrs.empty()) {
    for (std::uint32_t i = 0; i < 16; ++i) {
      s.pcrs[i] = ByteVector(kPcrSize, i < 5 || i == 8 ? static_cast<std::uint8_t>(i + 1) : 0);
    }
  }
  s.listener = ::socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (s.path.size() >= sizeof address.sun_path) fail("socket path too long");
  std::memcpy(address.sun_path, s.path.c_str(), s.path.size() + 1);
  ::unlink(s.path.c_str());
  if (s.listener < 0 || ::bind(s.listener, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0 ||
      ::listen(s.listener, 16) != 0 || ::pipe2(s.stop_pipe, O_CLOEXEC) != 0) {
    fail(std::string("cannot listen at ") + s.path + ": " + std::strerror(errno));
  }
  s.thread = std::thread([this] {
    Impl& self = *impl_;
    for (;;) {
      pollfd fds[2] = {{self.listener, POLLIN, 0}, {self.stop_pipe[0], POLLIN, 0}};
      if (::poll(fds, 2, -1) < 0) continue;
      if (fds[1].revents) return;
      const int connection = ::accept4(self.listener, nullptr, nullptr, SOCK_CLOEXEC);
      if (connection < 0) continue;
      timeval timeout{5, 0};
      ::setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
      ByteVector request(0x1000 + 1);
      for (;;) {
        const ssize_t got = ::recv(connection, request.data(), request.size(), MSG_TRUNC);
        if (got <= 0) break;
        ByteVector reply = answer(
            std::span<const std::uint8_t>(request.data(), std::min(static_cast<std::size_t>(got), request.size())),
            static_cast<std::size_t>(got));
        ::send(connection, reply.data(), reply.size(), MSG_NOSIGNAL);
      }
      ::close(connection);
    }
  });
}

NsmSimulator::~NsmSimulator() {
  Impl& s = *impl_;
  if (s.stop_pipe[1] >= 0) {
    const char byte = 0;
    [[maybe_unused]] const ssize_t ignored = ::write(s.stop_pipe[1], &byte, 1);
  }
  if (s.thread.joinable()) s.thread.join();
  for (int fd : {s.listener, s.stop_pipe[0], s.stop_pipe[1]}) {
    if (fd >= 0) ::close(fd);
  }
  ::unlink(s.path.c_str());
}

const std::string& NsmSimulator::socket_path() const {
  return impl_->path;
}
const TestNitroPki& NsmSimulator::pki() const {
  return impl_->pki;
}
const PcrMap& NsmSimulator::pcrs() const {
  return impl_->pcrs;
}

void NsmSimulator::set_pcr(std::uint32_t index, ByteVector value) {
  std::lock_guard lock(impl_->mutex);
  impl_->pcrs[index] = std::move(value);
}

void NsmSimulator::answer_next_with(ByteVector raw) {
  std::lock_guard lock(impl_->mutex);
  impl_->next_raw = std::move(raw);
}

std::size_t NsmSimulator::requests_served() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->served;
}

ByteVector NsmSimulator::last_request() const {
  std::lock_guard lock(impl_->mutex);
  return impl_->last_request;
}

std::vector<std::pair<Item, Item>> NsmSimulator::payload_entries(const std::optional<ByteVector>& user_data,
                                                                 const std::optional<ByteVector>& nonce,
                                                                 const std::optional<ByteVector>& public_key) const {
  PcrMap pcrs;
  {
    std::lock_guard lock(impl_->mutex);
    pcrs = impl_->pcrs;
  }
  Entries pcr_entries;
  for (const auto& [index, value] : pcrs) pcr_entries.emplace_back(cbor::uint(index), cbor::bytes(value));
  const Item bundle[] = {cbor::bytes(impl_->pki.root_der()), cbor::bytes(impl_->pki.intermediate_der())};
  const auto now =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch());
  Entries entries;
  entries.emplace_back(cbor::text("module_id"), cbor::text(impl_->options.module_id));
  entries.emplace_back(cbor::text("digest"), cbor::text("SHA384"));
  entries.emplace_back(cbor::text("timestamp"), cbor::uint(static_cast<std::uint64_t>(now.count())));
  entries.emplace_back(cbor::text("pcrs"), cbor::map(pcr_entries));
  entries.emplace_back(cbor::text("certificate"), cbor::bytes(impl_->pki.leaf_der()));
  entries.emplace_back(cbor::text("cabundle"), cbor::array(bundle));
  entries.emplace_back(cbor::text("public_key"), optional_bytes(public_key));
  entries.emplace_back(cbor::text("user_data"), optional_bytes(user_data));
  entries.emplace_back(cbor::text("nonce"), optional_bytes(nonce));
  return entries;
}

ByteVector NsmSimulator::encode_payload(const std::vector<std::pair<Item, Item>>& entries) const {
  if (!impl_->options.indefinite_payload_map) return cbor::encode(cbor::map(entries));
  // RFC 8949 section 3.2.2: 0xbf, the keys and values, then the break 0xff.
  ByteVector out{0xbf};
  for (const auto& [key, value] : entries) {
    for (const Item* part : {&key, &value}) {
      const ByteVector encoded = cbor::encode(*part);
      out.insert(out.end(), encoded.begin(), encoded.end());
    }
  }
  out.push_back(0xff);
  return out;
}

ByteVector NsmSimulator::sign_payload(std::span<const std::uint8_t> payload) const {
  const std::pair<Item, Item> alg[] = {{cbor::uint(1), cbor::integer(-35)}};
  const ByteVector protected_header = cbor::encode(cbor::map(alg));
  // The Sig_structure, written out here rather than taken from the product.
  const Item to_sign[] = {cbor::text("Signature1"), cbor::bytes(protected_header), cbor::bytes(ByteVector{}),
                          cbor::bytes(payload)};
  const ByteVector sig_structure = cbor::encode(cbor::array(to_sign));
  const Item parts[] = {cbor::bytes(protected_header), cbor::map(std::span<const std::pair<Item, Item>>{}),
                        cbor::bytes(payload), cbor::bytes(impl_->pki.sign(sig_structure))};
  Item cose = cbor::array(parts);
  if (impl_->options.tagged) cose = cbor::tag(18, cose);
  return cbor::encode(cose);
}

ByteVector NsmSimulator::document(const std::optional<ByteVector>& user_data, const std::optional<ByteVector>& nonce,
                                  const std::optional<ByteVector>& public_key) const {
  return sign_payload(encode_payload(payload_entries(user_data, nonce, public_key)));
}

ByteVector NsmSimulator::answer(std::span<const std::uint8_t> request, std::size_t real_size) {
  {
    std::lock_guard lock(impl_->mutex);
    ++impl_->served;
    impl_->last_request.assign(request.begin(), request.end());
    if (impl_->next_raw) {
      ByteVector raw = std::move(*impl_->next_raw);
      impl_->next_raw.reset();
      return raw;
    }
  }
  Item reply = [&]() -> Item {
    if (real_size > 0x1000) return error_response("InputTooLarge");
    auto parsed = cbor::decode(request, 0x1000, "NSM request");
    if (!parsed) return error_response("InvalidArgument");
    const Item& root = *parsed;
    if (const cbor::Text* name = root.as<cbor::Text>()) {
      if (name->value != "GetRandom") return error_response("InvalidOperation");
      ByteVector random(256);
      RAND_bytes(random.data(), static_cast<int>(random.size()));
      Entries fields;
      fields.emplace_back(cbor::text("random"), cbor::bytes(random));
      return variant_response("GetRandom", std::move(fields));
    }
    const cbor::Map* request_map = root.as<cbor::Map>();
    if (!request_map || request_map->size() != 1) return error_response("InvalidArgument");
    if (const Item* describe = lookup(root, "DescribePCR")) {
      const Item* index_item = lookup(*describe, "index");
      const std::uint64_t* index = index_item ? index_item->as<std::uint64_t>() : nullptr;
      if (!index || describe->as<cbor::Map>()->size() != 1) return error_response("InvalidArgument");
      std::lock_guard lock(impl_->mutex);
      auto found = impl_->pcrs.find(static_cast<std::uint32_t>(*index));
      if (*index > 0xFFFF || found == impl_->pcrs.end()) return error_response("InvalidIndex");
      Entries fields;
      fields.emplace_back(cbor::text("lock"), cbor::boolean(true));
      fields.emplace_back(cbor::text("data"), cbor::bytes(found->second));
      return variant_response("DescribePCR", std::move(fields));
    }
    if (const Item* attestation = lookup(root, "Attestation")) {
      std::optional<ByteVector> user_data, nonce, public_key;
      const cbor::Map* arguments = attestation->as<cbor::Map>();
      if (!arguments || arguments->size() != 3 || !optional_field(lookup(*attestation, "user_data"), 512, user_data) ||
          !optional_field(lookup(*attestation, "nonce"), 512, nonce) ||
          !optional_field(lookup(*attestation, "public_key"), 1024, public_key)) {
        return error_response("InvalidArgument");
      }
      Entries fields;
      fields.emplace_back(cbor::text("document"), cbor::bytes(document(user_data, nonce, public_key)));
      return variant_response("Attestation", std::move(fields));
    }
    return error_response("InvalidOperation");
  }();
  return cbor::encode(reply);
}

}  // namespace cc::tee::test
