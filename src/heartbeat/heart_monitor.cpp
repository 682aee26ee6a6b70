// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/heartbeat/heart_monitor.hpp"

#include <charconv>

namespace ipp::heartbeat {

std::string HeartMonitor::format_lifetime(double seconds) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, seconds);
  std::string text(buf, end);
  // Python's str(3.0) is "3.0"; to_chars gives "3". Engines echo bytes, so
  // any format works, but keeping Python's makes captures comparable.
  if (text.find_first_of(".eE") == std::string::npos && text.find_first_of("ni") == std::string::npos) {
    text += ".0";
  }
  return text;
}

HeartMonitor::Beat HeartMonitor::beat(double lifetime_seconds) {
  Beat beat;
  for (const auto& heart : responses_) {
    if (!hearts_.count(heart)) beat.new_hearts.push_back(heart);
  }
  std::unordered_map<std::string, int> probation;
  for (const auto& heart : hearts_) {
    if (responses_.count(heart)) continue;
    int misses = 1;
    if (auto it = on_probation_.find(heart); it != on_probation_.end()) misses += it->second;
    if (misses > max_misses_) {
      beat.stopped_hearts.push_back(heart);
    } else {
      probation.emplace(heart, misses);
    }
  }
  for (const auto& heart : beat.new_hearts) hearts_.insert(heart);
  for (const auto& heart : beat.stopped_hearts) hearts_.erase(heart);
  on_probation_ = std::move(probation);
  responses_.clear();
  last_ping_ = std::move(current_ping_);
  current_ping_ = format_lifetime(lifetime_seconds);
  beat.ping = current_ping_;
  return beat;
}

bool HeartMonitor::on_pong(std::string_view heart, std::string_view payload) {
  if (payload.empty()) return false;
  if (payload == current_ping_ || payload == last_ping_) {
    responses_.emplace(heart);
    return true;
  }
  return false;
}

void HeartMonitor::forget(const std::string& heart) {
  hearts_.erase(heart);
  on_probation_.erase(heart);
  responses_.erase(heart);
}

void HeartMonitor::learn(const std::string& heart) { hearts_.insert(heart); }

}  // namespace ipp::heartbeat
