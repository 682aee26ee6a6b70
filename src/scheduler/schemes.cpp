// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/scheduler/schemes.hpp"

#include <string>

#include "ipp/util/error.hpp"

namespace ipp::scheduler {

namespace {

constexpr std::string_view kValidNames = "leastload, lru, plainrandom, twobin, weighted";

std::size_t random_index(std::size_t n, Rng& rng) {
  return std::uniform_int_distribution<std::size_t>(0, n - 1)(rng);
}

double weight(Load load) { return 1.0 / (1e-6 + static_cast<double>(load)); }

}  // namespace

Scheme parse_scheme(std::string_view name) {
  if (name == "leastload") return Scheme::LeastLoad;
  if (name == "lru") return Scheme::Lru;
  if (name == "plainrandom") return Scheme::PlainRandom;
  if (name == "twobin") return Scheme::TwoBin;
  if (name == "weighted") return Scheme::Weighted;
  throw Error("unknown task scheduler scheme '" + std::string(name) + "': valid schemes are " +
              std::string(kValidNames) +
              " (\"pure\" and \"none\" are handled by the controller, not by the scheduler)");
}

std::string_view scheme_name(Scheme scheme) {
  switch (scheme) {
    case Scheme::LeastLoad:
      return "leastload";
    case Scheme::Lru:
      return "lru";
    case Scheme::PlainRandom:
      return "plainrandom";
    case Scheme::TwoBin:
      return "twobin";
    case Scheme::Weighted:
      return "weighted";
  }
  return "leastload";
}

std::size_t leastload(std::span<const Load> loads) {
  // loads.index(min(loads)): the first minimum.
  std::size_t best = 0;
  for (std::size_t i = 1; i < loads.size(); ++i) {
    if (loads[i] < loads[best]) best = i;
  }
  return best;
}

std::size_t lru(std::span<const Load> /*loads*/) { return 0; }

std::size_t plainrandom(std::span<const Load> loads, Rng& rng) {
  return random_index(loads.size(), rng);
}

std::size_t twobin(std::span<const Load> loads, Rng& rng) {
  const std::size_t a = random_index(loads.size(), rng);
  const std::size_t b = random_index(loads.size(), rng);
  return a < b ? a : b;
}

std::size_t weighted(std::span<const Load> loads, Rng& rng) {
  // Python: sums = weights.cumsum(); x, y = random() * sums[-1]; each index
  // is the first i with sums[i] >= x. Two passes instead of a cumsum array.
  double total = 0.0;
  for (const Load load : loads) total += weight(load);
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double x = unit(rng) * total;
  const double y = unit(rng) * total;
  const std::size_t last = loads.size() - 1;
  std::size_t idx = last;
  std::size_t idy = last;
  bool found_x = false;
  bool found_y = false;
  double sum = 0.0;
  for (std::size_t i = 0; i < loads.size() && !(found_x && found_y); ++i) {
    sum += weight(loads[i]);
    if (!found_x && sum >= x) {
      idx = i;
      found_x = true;
    }
    if (!found_y && sum >= y) {
      idy = i;
      found_y = true;
    }
  }
  return weight(loads[idy]) > weight(loads[idx]) ? idy : idx;
}

std::size_t choose(Scheme scheme, std::span<const Load> loads, Rng& rng) {
  switch (scheme) {
    case Scheme::LeastLoad:
      return leastload(loads);
    case Scheme::Lru:
      return lru(loads);
    case Scheme::PlainRandom:
      return plainrandom(loads, rng);
    case Scheme::TwoBin:
      return twobin(loads, rng);
    case Scheme::Weighted:
      return weighted(loads, rng);
  }
  return leastload(loads);
}

}  // namespace ipp::scheduler
