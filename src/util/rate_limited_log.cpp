// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/rate_limited_log.hpp"

#include <algorithm>

namespace ipp::util {

RateLimitedLog::RateLimitedLog(std::shared_ptr<spdlog::logger> logger,
                               std::size_t max_per_interval, Clock::duration interval)
    : logger_(std::move(logger)), max_per_interval_(max_per_interval), interval_(interval) {}

spdlog::logger* RateLimitedLog::logger() const {
  return logger_ ? logger_.get() : spdlog::default_logger_raw();
}

void RateLimitedLog::write_summary(const std::string& key, Window& window) {
  if (window.suppressed == 0) return;
  logger()->log(window.level, "{}: suppressed {} similar messages", key, window.suppressed);
  window.suppressed = 0;
}

bool RateLimitedLog::admit(spdlog::level::level_enum level, std::string_view key,
                           Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto it = windows_.find(key);
  if (it == windows_.end()) {
    it = windows_.emplace(std::string(key), Window{now, 0, 0, level}).first;
  } else if (now - it->second.start >= interval_) {
    write_summary(it->first, it->second);
    it->second.start = now;
    it->second.logged = 0;
  }
  Window& window = it->second;
  if (window.logged < max_per_interval_) {
    ++window.logged;
    return true;
  }
  ++window.suppressed;
  window.level = std::max(window.level, level);
  return false;
}

void RateLimitedLog::flush(Clock::time_point now) {
  std::lock_guard<std::mutex> lock(mutex_);
  for (auto& [key, window] : windows_) {
    if (now - window.start >= interval_) write_summary(key, window);
  }
}

}  // namespace ipp::util
