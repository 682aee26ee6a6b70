// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>

#include <spdlog/spdlog.h>

namespace ipp::util {

// Logging for bad input from the network (bad signatures, malformed frames,
// unknown msg_types). Python peers log every bad message; a misbehaving or
// hostile peer can then fill the disk, so our daemons rate-limit instead:
// per `key` (a category such as "invalid_message"), at most
// `max_per_interval` lines are written per `interval`; the rest are counted,
// and the next line written for that key after the interval (or flush())
// first says "<key>: suppressed K similar messages".
//
// Keys must come from a small fixed set chosen by the code (never a peer's
// identity or other untrusted text), since one window is kept per key.
//
// Thread-safe (a mutex guards the windows), though each loop normally owns
// its own instance.
class RateLimitedLog {
 public:
  using Clock = std::chrono::steady_clock;

  // `logger` null means spdlog's default logger at the time of each call.
  explicit RateLimitedLog(std::shared_ptr<spdlog::logger> logger = nullptr,
                          std::size_t max_per_interval = 10,
                          Clock::duration interval = std::chrono::seconds(1));

  template <typename... Args>
  void log(spdlog::level::level_enum level, std::string_view key,
           spdlog::format_string_t<Args...> fmt, Args&&... args) {
    if (admit(level, key, Clock::now())) logger()->log(level, fmt, std::forward<Args>(args)...);
  }

  template <typename... Args>
  void warn(std::string_view key, spdlog::format_string_t<Args...> fmt, Args&&... args) {
    log(spdlog::level::warn, key, fmt, std::forward<Args>(args)...);
  }

  template <typename... Args>
  void error(std::string_view key, spdlog::format_string_t<Args...> fmt, Args&&... args) {
    log(spdlog::level::err, key, fmt, std::forward<Args>(args)...);
  }

  // True when one more line for `key` may be written at `now`; otherwise
  // the line is counted as suppressed. When a new interval starts for a key
  // that had suppressed lines, writes the summary line first. Exposed (with
  // an explicit clock) so tests need not sleep.
  bool admit(spdlog::level::level_enum level, std::string_view key, Clock::time_point now);

  // Writes the summary of every key whose interval has ended with lines
  // suppressed (call from a loop timer so a burst's count is not held back
  // until the next bad message).
  void flush(Clock::time_point now = Clock::now());

 private:
  struct Window {
    Clock::time_point start;
    std::size_t logged = 0;
    std::size_t suppressed = 0;
    spdlog::level::level_enum level = spdlog::level::warn;
  };

  spdlog::logger* logger() const;
  void write_summary(const std::string& key, Window& window);

  const std::shared_ptr<spdlog::logger> logger_;
  const std::size_t max_per_interval_;
  const Clock::duration interval_;

  std::mutex mutex_;
  // State below is protected by mutex_.
  std::map<std::string, Window, std::less<>> windows_;
};

}  // namespace ipp::util
