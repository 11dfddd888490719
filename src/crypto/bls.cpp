#include "crypto/bls.hpp"

#include <cstring>
#include <string_view>

#include "crypto/blst_dispatch.hpp"
#include "crypto/secure_random.hpp"

namespace cc::crypto {
namespace {

constexpr std::string_view kPopDst = "BLS_SIG_BLS12381G2_XMD:SHA-256_SSWU_RO_POP_";

const byte* dst_bytes() { return reinterpret_cast<const byte*>(kPopDst.data()); }

static_assert(sizeof(blst_scalar) == 32, "blst_scalar is expected to be 32 bytes");

// A blst_scalar on the stack that is wiped when the scope ends, so the scalar lives in
// exactly one long-lived place (SecretKey::scalar_).
class ScopedScalar {
 public:
  explicit ScopedScalar(const SecretBytes<32>& stored) { std::memcpy(&s_, stored.data(), sizeof s_); }
  ScopedScalar() = default;
  ScopedScalar(const ScopedScalar&) = delete;
  ScopedScalar& operator=(const ScopedScalar&) = delete;
  ~ScopedScalar() { secure_zero(&s_, sizeof s_); }
  blst_scalar* get() { return &s_; }

 private:
  blst_scalar s_{};
};

bool decode_public_key(const BlsPublicKey& pk, blst_p1_affine& out) {
  const BlstBackend& blst = active_blst();
  if (blst.p1_uncompress(&out, pk.data()) != BLST_SUCCESS) return false;
  return !blst.p1_affine_is_inf(&out) && blst.p1_affine_in_g1(&out);
}

}  // namespace

Result<SecretKey> SecretKey::from_bytes(std::span<const std::uint8_t> be32) {
  if (be32.size() != 32) {
    return Error::invalid("BLS secret key must be 32 bytes, got " + std::to_string(be32.size()));
  }
  const BlstBackend& blst = active_blst();
  ScopedScalar scalar;
  blst.scalar_from_bendian(scalar.get(), be32.data());
  if (!blst.sk_check(scalar.get())) {
    return Error::invalid("BLS secret key is zero or not below the curve order");
  }
  SecretKey key;
  std::memcpy(key.scalar_.data(), scalar.get(), 32);
  key.derive_public_key();
  return key;
}

SecretKey SecretKey::generate() {
  SecretBytes<32> ikm;
  fill_random(std::span<std::uint8_t>(ikm.data(), ikm.size()));
  ScopedScalar scalar;
  active_blst().keygen(scalar.get(), ikm.data(), ikm.size(), nullptr, 0);
  SecretKey key;
  std::memcpy(key.scalar_.data(), scalar.get(), 32);
  key.derive_public_key();
  return key;
}

SecretKey::SecretKey(SecretKey&& other) noexcept : scalar_(other.scalar_), public_key_(other.public_key_) {
  secure_zero(other.scalar_.data(), other.scalar_.size());
  other.public_key_ = {};
}

SecretKey& SecretKey::operator=(SecretKey&& other) noexcept {
  if (this != &other) {
    scalar_ = other.scalar_;
    public_key_ = other.public_key_;
    secure_zero(other.scalar_.data(), other.scalar_.size());
    other.public_key_ = {};
  }
  return *this;
}

SecretKey::~SecretKey() = default;  // SecretBytes wipes the scalar

void SecretKey::derive_public_key() {
  ScopedScalar scalar(scalar_);
  blst_p1 pk;
  const BlstBackend& blst = active_blst();
  blst.sk_to_pk_in_g1(&pk, scalar.get());
  blst.p1_compress(public_key_.data(), &pk);
}

BlsSignature SecretKey::sign(const Root& signing_root) const {
  const BlstBackend& blst = active_blst();
  blst_p2 hash;
  blst.hash_to_g2(&hash, signing_root.data(), signing_root.size(), dst_bytes(), kPopDst.size(), nullptr, 0);
  blst_p2 signature;
  {
    ScopedScalar scalar(scalar_);
    blst.sign_pk_in_g1(&signature, &hash, scalar.get());
  }
  BlsSignature out{};
  blst.p2_compress(out.data(), &signature);
  return out;
}

SecretBytes<32> SecretKey::export_secret() const {
  ScopedScalar scalar(scalar_);
  SecretBytes<32> out;
  active_blst().bendian_from_scalar(out.data(), scalar.get());
  return out;
}

bool verify(const BlsPublicKey& pk, std::span<const std::uint8_t> message, const BlsSignature& sig) {
  blst_p1_affine pk_point;
  if (!decode_public_key(pk, pk_point)) return false;
  const BlstBackend& blst = active_blst();
  blst_p2_affine sig_point;
  if (blst.p2_uncompress(&sig_point, sig.data()) != BLST_SUCCESS) return false;
  if (!blst.p2_affine_in_g2(&sig_point)) return false;
  return blst.core_verify_pk_in_g1(&pk_point, &sig_point, true, message.data(), message.size(), dst_bytes(),
                                   kPopDst.size(), nullptr, 0) == BLST_SUCCESS;
}

bool public_key_is_valid(const BlsPublicKey& pk) {
  blst_p1_affine point;
  return decode_public_key(pk, point);
}

}  // namespace cc::crypto
