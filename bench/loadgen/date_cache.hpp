// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include "ipp/util/iso8601.hpp"

namespace ipp::bench {

// The current ISO 8601 date for message headers, formatted at most once
// per 100 us: formatting a date per message would be a visible share of
// the load generator's time. Single-threaded.
class DateCache {
 public:
  static std::string_view now() {
    static std::string text;
    static std::chrono::steady_clock::time_point stamp;
    const auto t = std::chrono::steady_clock::now();
    if (text.empty() || t - stamp > std::chrono::microseconds(100)) {
      text = util::iso8601_now();
      stamp = t;
    }
    return text;
  }
};

}  // namespace ipp::bench
