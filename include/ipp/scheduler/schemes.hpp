// SPDX-License-Identifier: BSD-3-Clause
//
// The task scheduler's load-balancing schemes, as the chooser functions of
// ipyparallel/controller/task_scheduler.py. Each takes the loads (number of
// outstanding tasks) of the candidate engines in LRU order (index 0 = least
// recently given a task) and returns the index of the chosen one.
#pragma once

#include <cstddef>
#include <cstdint>
#include <random>
#include <span>
#include <string_view>

namespace ipp::scheduler {

using Load = std::uint32_t;
// Random source of the random schemes; one per scheduler (not thread-safe).
using Rng = std::mt19937_64;

// TaskScheduler.scheme_name values handled by the task scheduler. "pure"
// (a plain DEALER relay) and "none" (no task scheduler) are controller
// configurations, not schemes, and are handled before a TaskScheduler is
// built.
enum class Scheme { LeastLoad, Lru, PlainRandom, TwoBin, Weighted };

// "leastload" (the default), "lru", "plainrandom", "twobin", "weighted".
// Throws ipp::Error naming the value and listing the valid names for
// anything else (including "pure" and "none", which the caller must have
// handled).
Scheme parse_scheme(std::string_view name);
std::string_view scheme_name(Scheme scheme);

// All choosers: precondition `loads` is not empty; the result is an index
// into `loads`.

// First index of the minimum: least loaded, ties -> least recently used.
std::size_t leastload(std::span<const Load> loads);
// Always 0 (the front of the LRU line); the loads are ignored.
std::size_t lru(std::span<const Load> loads);
// Uniform random index.
std::size_t plainrandom(std::span<const Load> loads, Rng& rng);
// Two uniform random indices, the smaller (older in LRU order) wins.
std::size_t twobin(std::span<const Load> loads, Rng& rng);
// Two draws with probability proportional to 1 / (1e-6 + load); the one
// with the larger weight wins (ties -> the first draw), as Python's numpy
// version. Allocation-free.
std::size_t weighted(std::span<const Load> loads, Rng& rng);

// Dispatches to the chooser of `scheme`.
std::size_t choose(Scheme scheme, std::span<const Load> loads, Rng& rng);

}  // namespace ipp::scheduler
