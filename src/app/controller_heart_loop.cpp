// SPDX-License-Identifier: BSD-3-Clause
#include <iterator>

#include <spdlog/spdlog.h>

#include "app/controller_loops.hpp"
#include "ipp/heartbeat/heart_monitor.hpp"
#include "ipp/scheduler/monitor_feed.hpp"
#include "ipp/util/rate_limited_log.hpp"

namespace ipp::app {
namespace {

// Pings sent because hearts connected, at most one per this interval (a
// thousand engines starting together must not cause a thousand pings to
// all of them).
constexpr auto kConnectPingInterval = std::chrono::milliseconds(50);

// The heart monitor's thread (Python runs it as its own process). Pongs are
// drained before every beat, as heartmonitor.py flushes its pong stream, so
// a pong that arrived in time is never counted as a miss.
//
// Deliberate deviation, faster and compatible: Python learns of a new heart
// at the first beat after its first pong, which itself answers the first
// beat after the engine connected, so an engine is registered 1-2 periods
// (3-6 s by default) after it asked. Here a heart connecting (a
// subscription on the XPUB) is pinged at once with the current payload, and
// its first pong is reported to the hub at once.
class HeartLoop : public Loop {
 public:
  HeartLoop(HeartSockets sockets, int period_ms, int max_misses)
      : s_(std::move(sockets)), period_ms_(period_ms), monitor_(max_misses) {}

  void run() override {
    start_ = std::chrono::steady_clock::now();
    loop_.add(s_.pong, [this] { drain_pongs(); });
    loop_.add(s_.ping, [this] { on_subscription(); });
    loop_.add(s_.events, [this] { on_engine_event(); });
    loop_.every(std::chrono::milliseconds(period_ms_), [this] { beat(); });
    beat();  // a current payload for hearts that connect before the first period
    loop_.run();
  }

 private:
  void drain_pongs() {
    std::vector<std::string> new_hearts;
    for (;;) {
      std::vector<zmq::message_t> frames;
      if (!zmq::recv_multipart(s_.pong, std::back_inserter(frames), zmq::recv_flags::dontwait)) break;
      if (frames.size() != 2 || !monitor_.on_pong(frames[0].to_string_view(), frames[1].to_string_view())) {
        log_.warn("bad_pong", "heartbeat: ignoring a bad or stale pong ({} frames)", frames.size());
        continue;
      }
      std::string heart = frames[0].to_string();
      if (!monitor_.is_known(heart)) {
        monitor_.learn(heart);
        new_hearts.push_back(std::move(heart));
      }
    }
    report("new_heart", new_hearts);
  }

  // XPUB subscription messages: "\x01<topic>" when a heart's SUB connects.
  void on_subscription() {
    bool connected = false;
    zmq::message_t msg;
    while (s_.ping.recv(msg, zmq::recv_flags::dontwait)) {
      if (msg.size() > 0 && static_cast<const char*>(msg.data())[0] == 1) connected = true;
    }
    if (!connected || connect_ping_armed_) return;
    connect_ping_armed_ = true;
    const auto since = std::chrono::steady_clock::now() - last_connect_ping_;
    const auto wait = since >= kConnectPingInterval
                          ? std::chrono::milliseconds(0)
                          : std::chrono::ceil<std::chrono::milliseconds>(kConnectPingInterval - since);
    loop_.after(wait, [this] {
      connect_ping_armed_ = false;
      last_connect_ping_ = std::chrono::steady_clock::now();
      // The current payload again: hearts already known answer it as a
      // beat they had answered, which changes nothing.
      if (!current_ping_.empty()) s_.ping.send(zmq::buffer(current_ping_), zmq::send_flags::none);
    });
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
    current_ping_ = beat.ping;
    s_.ping.send(zmq::buffer(beat.ping), zmq::send_flags::none);
  }

  // To the hub: ["heartmonitor", kind, uuid...].
  void report(std::string_view kind, const std::vector<std::string>& hearts) {
    if (hearts.empty()) return;
    for (const auto& heart : hearts) {
      spdlog::debug("heartbeat: {} {}", kind, heart);
    }
    wire::Frames message;
    message.reserve(hearts.size() + 2);
    message.emplace_back(std::string_view("heartmonitor"));
    message.emplace_back(kind);
    for (const auto& heart : hearts) message.emplace_back(std::string_view(heart));
    monitor_feed_.post(std::move(message));
    monitor_feed_.flush();
  }

  HeartSockets s_;
  int period_ms_;
  heartbeat::HeartMonitor monitor_;
  scheduler::MonitorFeed monitor_feed_{s_.monitor};
  util::PollLoop loop_;
  util::RateLimitedLog log_;
  std::chrono::steady_clock::time_point start_;
  std::string current_ping_;
  bool connect_ping_armed_ = false;
  std::chrono::steady_clock::time_point last_connect_ping_;
};

}  // namespace

std::unique_ptr<Loop> make_heart_loop(HeartSockets sockets, int period_ms, int max_misses) {
  return std::make_unique<HeartLoop>(std::move(sockets), period_ms, max_misses);
}

}  // namespace ipp::app
