// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <cstddef>
#include <random>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

namespace ipp::wire {

// Signatures already accepted by one receiver, to reject replayed messages
// ("Duplicate Signature"), as jupyter_client Session.digest_history.
// Holds at most `max_size` entries (Session.digest_history_size, 65536 by
// default); when an insert makes it grow past that, a random 10% (at least
// the excess) is discarded, as Session._cull_digest_history. max_size 0
// disables the history (nothing is recorded, as Python).
//
// Culling picks its random sample from a vector of the entries, so it costs
// O(entries culled), not a walk over the whole set (which was a quarter of
// the MUX relay's time: 65,536 scattered nodes every 6,554 messages).
//
// Not thread-safe: one instance per receiving Session/loop.
class DigestHistory {
 public:
  static constexpr std::size_t kDefaultMaxSize = 65536;

  explicit DigestHistory(std::size_t max_size = kDefaultMaxSize);

  bool contains(std::string_view signature) const;
  // Records `signature`; empty signatures (unsigned messages) are ignored.
  void add(std::string_view signature);

  std::size_t size() const { return seen_.size(); }
  std::size_t max_size() const { return max_size_; }

 private:
  void cull();

  // Transparent hash so lookups by string_view do not allocate.
  struct Hash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  std::size_t max_size_;
  std::unordered_set<std::string, Hash, std::equal_to<>> seen_;
  // Every element of seen_, in no order: the population culls sample from.
  // Node-based set: pointers to its elements survive rehashing.
  std::vector<const std::string*> entries_;
  std::minstd_rand rng_;
};

}  // namespace ipp::wire
