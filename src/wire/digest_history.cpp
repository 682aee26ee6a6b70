// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/digest_history.hpp"

#include <functional>

namespace ipp::wire {
namespace {

constexpr std::size_t kInitialSlots = 16;

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// 16 hex digits as a number; false if one is not a hex digit.
bool parse_hex64(std::string_view digits, std::uint64_t* out) {
  std::uint64_t value = 0;
  for (char c : digits) {
    const int v = hex_value(c);
    if (v < 0) return false;
    value = (value << 4) | static_cast<std::uint64_t>(v);
  }
  *out = value;
  return true;
}

std::uint64_t fnv1a(std::string_view s) {
  std::uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  return h;
}

}  // namespace

DigestHistory::DigestHistory(std::size_t max_size) : max_size_(max_size) {}

DigestHistory::Key DigestHistory::key_of(std::string_view signature) {
  Key key;
  // An HMAC in hex (every digestmod jupyter_client allows has >= 128 bits):
  // its first 128 bits are as unique as the whole, and as random.
  const bool hex = signature.size() >= 32 && parse_hex64(signature.substr(0, 16), &key.hi) &&
                   parse_hex64(signature.substr(16, 16), &key.lo);
  if (!hex || signature.size() != 64) {
    // Anything else (other lengths, non-hex text): two independent
    // hashes of the whole signature, mixed with what was parsed.
    key.hi ^= std::hash<std::string_view>{}(signature);
    key.lo ^= fnv1a(signature) ^ signature.size();
  }
  if (key.empty()) key.lo = 1;  // the empty key marks a free slot
  return key;
}

std::size_t DigestHistory::slot_of(const Key& key) const {
  const std::size_t mask = table_.size() - 1;
  std::size_t i = static_cast<std::size_t>(key.lo) & mask;
  while (!table_[i].empty() && !(table_[i] == key)) i = (i + 1) & mask;
  return i;
}

bool DigestHistory::contains(std::string_view signature) const {
  if (count_ == 0 || signature.empty()) return false;
  return !table_[slot_of(key_of(signature))].empty();
}

void DigestHistory::add(std::string_view signature) {
  if (max_size_ == 0 || signature.empty()) return;
  const Key key = key_of(signature);
  if (!table_.empty() && !table_[slot_of(key)].empty()) return;  // already known
  if (count_ == max_size_) {
    // Full: the oldest goes, the new one takes its place in the ring.
    erase(ring_[head_]);
    ring_[head_] = key;
    head_ = (head_ + 1) % max_size_;
  } else {
    ring_.push_back(key);
    ++count_;
  }
  if (count_ * 2 > table_.size()) grow();
  insert(key);
}

void DigestHistory::insert(const Key& key) { table_[slot_of(key)] = key; }

void DigestHistory::erase(const Key& key) {
  // Linear probing without tombstones: shift back the entries of the run
  // after the hole that may not stay behind it.
  const std::size_t mask = table_.size() - 1;
  std::size_t hole = slot_of(key);
  if (table_[hole].empty()) return;
  std::size_t j = hole;
  while (true) {
    j = (j + 1) & mask;
    if (table_[j].empty()) break;
    const std::size_t home = static_cast<std::size_t>(table_[j].lo) & mask;
    // The entry at j may move to the hole unless its home lies cyclically
    // in (hole, j].
    const bool stays = hole <= j ? (hole < home && home <= j) : (hole < home || home <= j);
    if (stays) continue;
    table_[hole] = table_[j];
    hole = j;
  }
  table_[hole] = Key{};
}

void DigestHistory::grow() {
  std::vector<Key> old = std::move(table_);
  table_.assign(old.empty() ? kInitialSlots : old.size() * 2, Key{});
  for (const Key& key : old) {
    if (!key.empty()) insert(key);
  }
}

}  // namespace ipp::wire
