// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace ipp::wire {

// Signatures already accepted by one receiver, to reject replayed messages
// ("Duplicate Signature"), as jupyter_client Session.digest_history.
// Holds at most `max_size` entries (Session.digest_history_size, 65536 by
// default); max_size 0 disables the history (nothing is recorded, as
// Python).
//
// Deliberate deviation, invisible on the wire: when full, the OLDEST entry
// makes room for the new one. Python discards a random 10% at once, so a
// message replayed right after a cull may get through; here the newest
// max_size signatures are always known.
//
// Kept as 128-bit keys (the first 32 hex digits of the HMAC, or two
// independent hashes of a signature that is not hex) in a flat
// open-addressing table plus a ring in insertion order: one cache line per
// look-up on every message, and no allocation per message. The table grows
// with the history, so an idle receiver costs a few hundred bytes.
//
// Not thread-safe: one instance per receiving Session/loop.
class DigestHistory {
 public:
  static constexpr std::size_t kDefaultMaxSize = 65536;

  explicit DigestHistory(std::size_t max_size = kDefaultMaxSize);

  bool contains(std::string_view signature) const;
  // Records `signature`; empty signatures (unsigned messages) are ignored.
  void add(std::string_view signature);

  std::size_t size() const { return count_; }
  std::size_t max_size() const { return max_size_; }

 private:
  struct Key {
    std::uint64_t hi = 0;
    std::uint64_t lo = 0;  // also the table position: random for an HMAC
    bool empty() const { return hi == 0 && lo == 0; }
    bool operator==(const Key&) const = default;
  };
  static Key key_of(std::string_view signature);
  // The slot holding `key`, or the empty slot where it would go.
  std::size_t slot_of(const Key& key) const;
  void insert(const Key& key);
  void erase(const Key& key);
  void grow();

  std::size_t max_size_;
  std::size_t count_ = 0;
  std::vector<Key> ring_;  // insertion order; once full, oldest at head_
  std::size_t head_ = 0;
  std::vector<Key> table_;  // power-of-two size, at most half full
};

}  // namespace ipp::wire
