// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "ipp/engine/curve.hpp"

namespace ipp::engine {

// The engine side of the heartbeat (engine.md section 9): a SUB connected to
// the controller's hb_ping (subscribed to everything) and a DEALER with
// identity = engine uuid connected to hb_pong; every ping frame is sent back
// unchanged, byte for byte, as the Python engine's libzmq forwarder device
// does (controller/heartmonitor.py Heart).
//
// The echo runs on its own C++ thread that never touches Python or the GIL,
// so pings are answered while user code holds the GIL for minutes; a crash
// or os._exit of the process stops the echo, which is how the controller
// sees engine death. The thread also records when the last ping arrived, for
// the engine's own "controller gone" check (IPEngine.max_heartbeat_misses).
//
// Thread-safety: last_ping()/pings() from any thread; start()/stop() from
// the owner.
class Heart {
 public:
  using Clock = std::chrono::steady_clock;

  // Creates and connects both sockets (throws zmq::error_t for a bad URL).
  Heart(zmq::context_t& context, const std::string& ping_url, const std::string& pong_url,
        const std::string& identity, std::shared_ptr<spdlog::logger> log,
        const CurveKeys& curve = {});
  ~Heart();
  Heart(const Heart&) = delete;
  Heart& operator=(const Heart&) = delete;

  void start();
  // Stops and joins the thread, closes the sockets. Idempotent.
  void stop();

  // Arrival time of the newest ping; the construction time before any.
  Clock::time_point last_ping() const;
  std::uint64_t pings() const { return pings_.load(std::memory_order_relaxed); }

 private:
  void run();

  zmq::socket_t ping_;
  zmq::socket_t pong_;
  // inproc PAIR pair: stop() writes, the thread polls (xeus-zmq xheartbeat).
  zmq::socket_t stop_send_;
  zmq::socket_t stop_recv_;
  std::shared_ptr<spdlog::logger> log_;
  std::thread thread_;
  std::atomic<Clock::rep> last_ping_;
  std::atomic<std::uint64_t> pings_{0};
};

}  // namespace ipp::engine
