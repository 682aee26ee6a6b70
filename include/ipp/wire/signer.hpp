// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

struct evp_mac_ctx_st;  // OpenSSL's EVP_MAC_CTX; kept out of this header.

namespace ipp::wire {

// The four signed frames, in order: header, parent_header, metadata,
// content, as the exact bytes sent or received.
using SignedParts = std::span<const std::string_view, 4>;

// HMAC signing of Jupyter messages, as jupyter_client.session.Session.sign:
// HMAC(key) over the exact bytes of the four dict frames, concatenated with
// nothing in between, as a lowercase hex digest. Buffers and routing frames
// are not signed.
//
// Thread-safety: an instance must not be used from two threads at once.
// Copying is cheap (duplicates the keyed OpenSSL context); give each thread
// its own copy.
class Signer {
 public:
  // `key` is used as raw bytes (the connection file's "key" string as UTF-8,
  // never hex-decoded). An empty key disables signing, as Python's
  // `auth = None`: sign() returns "" and verify() accepts anything.
  // `scheme` is "hmac-<hash>" with a hashlib name (sha256, sha1, sha512,
  // md5, sha3_256, blake2b, ...) or any OpenSSL digest name. It is checked
  // even when the key is empty (Python's trait validator does too).
  // Throws ipp::Error naming the scheme when it is malformed, unknown or an
  // extendable-output hash (shake_*: hashlib cannot HMAC those either).
  explicit Signer(std::string_view key = {}, std::string_view scheme = "hmac-sha256");
  ~Signer();
  Signer(const Signer& other);
  Signer& operator=(const Signer& other);
  Signer(Signer&& other) noexcept;
  Signer& operator=(Signer&& other) noexcept;

  // False when the key is empty.
  bool enabled() const { return ctx_ != nullptr; }
  const std::string& scheme() const { return scheme_; }
  // Length of a valid signature in hex characters (64 for sha256); 0 when
  // signing is disabled.
  std::size_t signature_size() const { return enabled() ? 2 * digest_size_ : 0; }

  // Lowercase hex HMAC of `parts`, or "" when disabled. Throws ipp::Error
  // only if OpenSSL itself fails (out of memory).
  std::string sign(SignedParts parts) const;

  // True when `signature` is the HMAC of `parts` (always true when
  // disabled). Checks the length first, then compares in constant time
  // (CRYPTO_memcmp), like Python's hmac.compare_digest. Never throws.
  bool verify(std::string_view signature, SignedParts parts) const;

 private:
  // Writes the raw digest (digest_size_ bytes) into `out`; false on an
  // OpenSSL failure.
  bool compute(SignedParts parts, unsigned char* out) const;

  // hmac-sha256 (every connection file Python writes) keyed once: the
  // SHA-256 states after the inner and outer key blocks. Each message
  // copies them (a plain struct copy), where EVP_MAC_CTX_dup allocates and
  // goes through OpenSSL's provider dispatch: that was over half the cost
  // of signing a typical 500-byte message.
  struct Sha256Pads;

  std::string scheme_;
  std::size_t digest_size_ = 0;
  // Keyed once at construction; each message works on an EVP_MAC_CTX_dup of
  // it, which skips re-hashing the key (Python's `self.auth.copy()`).
  evp_mac_ctx_st* ctx_ = nullptr;
  // Set for hmac-sha256 with a key; then compute() does not use ctx_.
  std::unique_ptr<Sha256Pads> sha256_;
};

}  // namespace ipp::wire
