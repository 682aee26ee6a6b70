// SPDX-License-Identifier: BSD-3-Clause
#include <iterator>

#include <spdlog/spdlog.h>

#include "app/controller_loops.hpp"
#include "ipp/heartbeat/heart_monitor.hpp"
#include "ipp/util/rate_limited_log.hpp"

namespace ipp::app {
namespace {

// The heart monitor's thread (Python runs it as its own process). Pongs are
// drained before every beat, as heartmonitor.py flushes its pong stream, so
// a pong that arrived in time is never counted as a miss.
class HeartLoop : public Loop {
 public:
  HeartLoop(HeartSockets sockets, int period_ms, int max_misses)
      : s_(std::move(sockets)), period_ms_(period_ms), monitor_(max_misses) {}

  void run() override {
    start_ = std::chrono::steady_clock::now();
    loop_.add(s_.pong, [this] { drain_pongs(); });
    loop_.add(s_.events, [this] { on_engine_event(); });
    loop_.every(std::chrono::milliseconds(period_ms_), [this] { beat(); });
    loop_.run();
  }

 private:
  void drain_pongs() {
    for (;;) {
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(s_.pong, std::back_inserter(frames), zmq::recv_flags::dontwait)) return;
      if (frames.size() != 2 || !monitor_.on_pong(frames[0].to_string_view(), frames[1].to_string_view())) {
        log_.warn("bad_pong", "heartbeat: ignoring a bad or stale pong ({} frames)", frames.size());
      }
    }
  }

  void on_engine_event() {
    std::vector<zmq::message_t> frames;
    while (zmq::recv_multipart(s_.events, std::back_inserter(frames), zmq::recv_flags::dontwait)) {
      if (frames.size() >= 2 && frames[0].to_string_view() == kEngineUnregistered) {
        monitor_.forget(frames[1].to_string());
      } else if (frames.size() >= 2 && frames[0].to_string_view() == kEngineRegistered) {
        monitor_.learn(frames[1].to_string());  // a no-op unless restored
      }
      frames.clear();
    }
  }

  void beat() {
    drain_pongs();
    double lifetime = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    auto beat = monitor_.beat(lifetime);
    report("new_heart", beat.new_hearts);
    report("stopped_heart", beat.stopped_hearts);
    s_.ping.send(zmq::buffer(beat.ping), zmq::send_flags::none);
  }

  // To the hub: ["heartmonitor", kind, uuid...].
  void report(std::string_view kind, const std::vector<std::string>& hearts) {
    if (hearts.empty()) return;
    for (const auto& heart : hearts) {
      spdlog::debug("heartbeat: {} {}", kind, heart);
    }
    s_.monitor.send(zmq::buffer(std::string_view("heartmonitor")), zmq::send_flags::sndmore);
    s_.monitor.send(zmq::buffer(kind), zmq::send_flags::sndmore);
    for (std::size_t i = 0; i < hearts.size(); ++i) {
      s_.monitor.send(zmq::buffer(hearts[i]),
                      i + 1 < hearts.size() ? zmq::send_flags::sndmore : zmq::send_flags::none);
    }
  }

  HeartSockets s_;
  int period_ms_;
  heartbeat::HeartMonitor monitor_;
  util::PollLoop loop_;
  util::RateLimitedLog log_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

std::unique_ptr<Loop> make_heart_loop(HeartSockets sockets, int period_ms, int max_misses) {
  return std::make_unique<HeartLoop>(std::move(sockets), period_ms, max_misses);
}

}  // namespace ipp::app
