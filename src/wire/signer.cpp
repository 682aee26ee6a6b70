// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/signer.hpp"

// SHA256_Init/Update/Final are deprecated in OpenSSL 3 in favour of EVP,
// whose per-message context allocation is what the precomputed pads avoid.
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>

#include <cstring>
#include <memory>

#include "ipp/util/error.hpp"

namespace ipp::wire {

struct Signer::Sha256Pads {
  SHA256_CTX inner;  // after the key XOR ipad block
  SHA256_CTX outer;  // after the key XOR opad block

  explicit Sha256Pads(std::string_view key) {
    // RFC 2104: keys longer than the block are hashed first.
    unsigned char block[SHA256_CBLOCK] = {};
    if (key.size() > SHA256_CBLOCK) {
      SHA256(reinterpret_cast<const unsigned char*>(key.data()), key.size(), block);
    } else {
      std::memcpy(block, key.data(), key.size());
    }
    unsigned char pad[SHA256_CBLOCK];
    for (std::size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x36;
    SHA256_Init(&inner);
    SHA256_Update(&inner, pad, SHA256_CBLOCK);
    for (std::size_t i = 0; i < SHA256_CBLOCK; ++i) pad[i] = block[i] ^ 0x5c;
    SHA256_Init(&outer);
    SHA256_Update(&outer, pad, SHA256_CBLOCK);
    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));
  }

  void compute(SignedParts parts, unsigned char* out) const {
    SHA256_CTX ctx = inner;
    for (std::string_view part : parts) SHA256_Update(&ctx, part.data(), part.size());
    unsigned char inner_digest[SHA256_DIGEST_LENGTH];
    SHA256_Final(inner_digest, &ctx);
    ctx = outer;
    SHA256_Update(&ctx, inner_digest, sizeof(inner_digest));
    SHA256_Final(out, &ctx);
  }
};

namespace {

constexpr std::string_view kSchemePrefix = "hmac-";
constexpr std::size_t kMaxDigestSize = EVP_MAX_MD_SIZE;

struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MacDeleter {
  void operator()(EVP_MAC* mac) const { EVP_MAC_free(mac); }
};
using MdPtr = std::unique_ptr<EVP_MD, MdDeleter>;
using MacPtr = std::unique_ptr<EVP_MAC, MacDeleter>;

std::string openssl_error() {
  const unsigned long code = ERR_get_error();
  if (code == 0) return "unknown OpenSSL error";
  char buf[256];
  ERR_error_string_n(code, buf, sizeof(buf));
  return buf;
}

// Python resolves the name with getattr(hashlib, name); translate the
// hashlib spellings OpenSSL does not know, then try OpenSSL's own names.
MdPtr fetch_digest(std::string name) {
  if (name == "blake2b") name = "BLAKE2B-512";
  if (name == "blake2s") name = "BLAKE2S-256";
  if (MdPtr md{EVP_MD_fetch(nullptr, name.c_str(), nullptr)}) return md;
  // sha3_256 -> sha3-256, sha512_256 -> sha512-256.
  std::string dashed = name;
  for (char& c : dashed) {
    if (c == '_') c = '-';
  }
  MdPtr md{EVP_MD_fetch(nullptr, dashed.c_str(), nullptr)};
  ERR_clear_error();
  return md;
}

}  // namespace

Signer::Signer(std::string_view key, std::string_view scheme) : scheme_(scheme) {
  if (scheme.substr(0, kSchemePrefix.size()) != kSchemePrefix ||
      scheme.size() == kSchemePrefix.size()) {
    throw Error("signature_scheme must look like 'hmac-<hash>' (e.g. hmac-sha256), got '" +
                scheme_ + "'");
  }
  const std::string hash_name(scheme.substr(kSchemePrefix.size()));
  MdPtr md = fetch_digest(hash_name);
  if (!md) {
    throw Error("signature_scheme '" + scheme_ + "': unknown hash '" + hash_name +
                "' (expected a hashlib/OpenSSL digest such as sha256)");
  }
  if ((EVP_MD_get_flags(md.get()) & EVP_MD_FLAG_XOF) != 0) {
    throw Error("signature_scheme '" + scheme_ + "': '" + hash_name +
                "' is an extendable-output hash and cannot be used for HMAC");
  }
  digest_size_ = static_cast<std::size_t>(EVP_MD_get_size(md.get()));
  if (key.empty()) return;
  if (EVP_MD_is_a(md.get(), "SHA256") == 1) {
    sha256_ = std::make_unique<Sha256Pads>(key);
  }

  MacPtr mac{EVP_MAC_fetch(nullptr, "HMAC", nullptr)};
  if (!mac) throw Error("EVP_MAC_fetch(HMAC): " + openssl_error());
  ctx_ = EVP_MAC_CTX_new(mac.get());
  if (ctx_ == nullptr) throw Error("EVP_MAC_CTX_new: " + openssl_error());
  std::string digest_name = EVP_MD_get0_name(md.get());
  const OSSL_PARAM params[] = {
      OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest_name.data(), 0),
      OSSL_PARAM_construct_end()};
  if (EVP_MAC_init(ctx_, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   params) != 1) {
    const std::string reason = openssl_error();
    EVP_MAC_CTX_free(ctx_);
    ctx_ = nullptr;
    throw Error("EVP_MAC_init(HMAC, " + digest_name + ") for signature_scheme '" + scheme_ +
                "': " + reason);
  }
}

Signer::~Signer() { EVP_MAC_CTX_free(ctx_); }

Signer::Signer(const Signer& other) : scheme_(other.scheme_), digest_size_(other.digest_size_) {
  if (other.sha256_) sha256_ = std::make_unique<Sha256Pads>(*other.sha256_);
  if (other.ctx_ != nullptr) {
    ctx_ = EVP_MAC_CTX_dup(other.ctx_);
    if (ctx_ == nullptr) throw Error("EVP_MAC_CTX_dup: " + openssl_error());
  }
}

Signer& Signer::operator=(const Signer& other) {
  if (this != &other) {
    Signer copy(other);
    *this = std::move(copy);
  }
  return *this;
}

Signer::Signer(Signer&& other) noexcept
    : scheme_(std::move(other.scheme_)),
      digest_size_(other.digest_size_),
      ctx_(other.ctx_),
      sha256_(std::move(other.sha256_)) {
  other.ctx_ = nullptr;
}

Signer& Signer::operator=(Signer&& other) noexcept {
  if (this != &other) {
    EVP_MAC_CTX_free(ctx_);
    scheme_ = std::move(other.scheme_);
    digest_size_ = other.digest_size_;
    ctx_ = other.ctx_;
    other.ctx_ = nullptr;
    sha256_ = std::move(other.sha256_);
  }
  return *this;
}

bool Signer::compute(SignedParts parts, unsigned char* out) const {
  if (sha256_) {
    sha256_->compute(parts, out);
    return true;
  }
  EVP_MAC_CTX* ctx = EVP_MAC_CTX_dup(ctx_);
  if (ctx == nullptr) return false;
  bool ok = true;
  for (std::string_view part : parts) {
    ok = ok && EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(part.data()),
                              part.size()) == 1;
  }
  std::size_t written = 0;
  ok = ok && EVP_MAC_final(ctx, out, &written, kMaxDigestSize) == 1 && written == digest_size_;
  EVP_MAC_CTX_free(ctx);
  return ok;
}

std::string Signer::sign(SignedParts parts) const {
  if (!enabled()) return {};
  unsigned char digest[kMaxDigestSize];
  if (!compute(parts, digest)) throw Error("HMAC (" + scheme_ + "): " + openssl_error());
  static constexpr char kHex[] = "0123456789abcdef";
  std::string hex(2 * digest_size_, '\0');
  for (std::size_t i = 0; i < digest_size_; ++i) {
    hex[2 * i] = kHex[digest[i] >> 4];
    hex[2 * i + 1] = kHex[digest[i] & 0xf];
  }
  return hex;
}

bool Signer::verify(std::string_view signature, SignedParts parts) const {
  if (!enabled()) return true;
  // Length first: CRYPTO_memcmp compares a fixed number of bytes.
  if (signature.size() != signature_size()) return false;
  std::string expected;
  try {
    expected = sign(parts);
  } catch (const std::exception&) {
    return false;
  }
  return CRYPTO_memcmp(expected.data(), signature.data(), expected.size()) == 0;
}

}  // namespace ipp::wire
