// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace ipp::heartbeat {

// The controller's heart monitor as pure logic, mirroring
// ipyparallel/controller/heartmonitor.py: every period the controller
// publishes one ping (the monitor's lifetime in seconds, as text) on
// hb_ping; engines echo it from a DEALER whose identity is their uuid.
// A heart that answered the current or the previous ping is alive; a known
// heart that misses more than `max_misses` consecutive beats has stopped;
// an unknown heart that answers is new (the hub then completes its
// registration).
//
// Not thread-safe; owned by the heartbeat thread.
class HeartMonitor {
 public:
  struct Beat {
    std::string ping;                       // payload to publish now
    std::vector<std::string> new_hearts;    // answered, were not known
    std::vector<std::string> stopped_hearts;  // too many misses: now forgotten
  };

  explicit HeartMonitor(int max_misses) : max_misses_(max_misses) {}

  // One period elapsed; `lifetime_seconds` is the monotonic time since the
  // monitor started. The caller must deliver every pong already received
  // (on_pong) before calling beat, as Python flushes the pong stream first.
  Beat beat(double lifetime_seconds);

  // A pong from `heart` carrying `payload`. Payloads are compared byte for
  // byte with the current and the previous ping (a pong for the previous
  // ping still counts, as in Python). Returns false for a stale or garbled
  // payload (the caller logs it, rate-limited).
  bool on_pong(std::string_view heart, std::string_view payload);

  // The hub unregistered this engine by other means (shutdown, request):
  // stop tracking it so its silence is not reported again.
  void forget(const std::string& heart);

  // Track `heart` from now on: it is not reported as new at the next beat,
  // and if it stops answering it is reported stopped after max_misses
  // beats. Used for engines the hub registered without a first beat
  // (--restore; heartmonitor.py never learns those: an engine that does not
  // come back stays registered forever), and for a heart whose first pong
  // the controller reports at once rather than at the next beat.
  void learn(const std::string& heart);

  bool is_known(const std::string& heart) const { return hearts_.count(heart) > 0; }
  std::size_t heart_count() const { return hearts_.size(); }

  // Text of a ping payload: the shortest decimal that round-trips, like
  // Python's str(float) (e.g. "3.000912345").
  static std::string format_lifetime(double seconds);

 private:
  int max_misses_;
  std::string current_ping_;
  std::string last_ping_;
  std::unordered_set<std::string> hearts_;
  std::unordered_set<std::string> responses_;
  std::unordered_map<std::string, int> on_probation_;
};

}  // namespace ipp::heartbeat
