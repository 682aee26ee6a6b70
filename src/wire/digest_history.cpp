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
  const auto [it, inserted] = seen_.emplace(signature);
  if (!inserted) return;
  entries_.push_back(&*it);
  if (seen_.size() > max_size_) cull();
}

void DigestHistory::cull() {
  // As Session._cull_digest_history: n = max(current // 10, current - max).
  const std::size_t current = seen_.size();
  const std::size_t n_to_cull = std::max(current / 10, current - max_size_);
  if (n_to_cull >= current) {
    seen_.clear();
    entries_.clear();
    return;
  }
  // A random sample of n_to_cull entries: partial Fisher-Yates from the
  // back of entries_, whose last n_to_cull slots then hold the sample.
  for (std::size_t i = 0; i < n_to_cull; ++i) {
    const std::size_t last = current - 1 - i;
    std::uniform_int_distribution<std::size_t> pick(0, last);
    std::swap(entries_[pick(rng_)], entries_[last]);
    seen_.erase(seen_.find(*entries_[last]));
  }
  entries_.resize(current - n_to_cull);
}

}  // namespace ipp::wire
