// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/wire/digest_history.hpp"

#include <algorithm>
#include <vector>

namespace ipp::wire {

DigestHistory::DigestHistory(std::size_t max_size)
    : max_size_(max_size), rng_(std::random_device{}()) {}

bool DigestHistory::contains(std::string_view signature) const {
  return seen_.find(signature) != seen_.end();
}

void DigestHistory::add(std::string_view signature) {
  if (max_size_ == 0 || signature.empty()) return;
  seen_.emplace(signature);
  if (seen_.size() > max_size_) cull();
}

void DigestHistory::cull() {
  // As Session._cull_digest_history: n = max(current // 10, current - max).
  const std::size_t current = seen_.size();
  const std::size_t n_to_cull = std::max(current / 10, current - max_size_);
  if (n_to_cull >= current) {
    seen_.clear();
    return;
  }
  // A random sample of n_to_cull entries: partial Fisher-Yates over
  // iterators. O(size) once per ~max_size/10 inserts.
  std::vector<decltype(seen_)::const_iterator> entries;
  entries.reserve(current);
  for (auto it = seen_.cbegin(); it != seen_.cend(); ++it) entries.push_back(it);
  for (std::size_t i = 0; i < n_to_cull; ++i) {
    std::uniform_int_distribution<std::size_t> pick(i, current - 1);
    std::swap(entries[i], entries[pick(rng_)]);
    seen_.erase(entries[i]);
  }
}

}  // namespace ipp::wire
