// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include <spdlog/logger.h>
#include <zmq.hpp>

#include "ipp/engine/curve.hpp"
#include "ipp/engine/mailbox.hpp"
#include "ipp/wire/codec.hpp"

namespace ipp::engine {

// The engine's IOPub PUB socket and the thread that owns it, as ipykernel's
// IOPubThread: every other thread (main/Python, control, output readers,
// Python background threads) hands ready-signed frames to publish(), and
// this thread sends them in the order they were queued. Order matters:
// stream output must reach the client before the `status: idle` that
// follows it.
//
// The thread also runs the output flush timer (ipykernel OutStream's 0.2 s
// flush_interval) through set_flush_timer(), so buffered output leaves even
// while the Python code that wrote it keeps the GIL.
//
// Thread-safety: publish(), wake(), wait_sent() from any thread; start(),
// set_flush_timer() and stop() from the owner before/after use.
class IopubChannel {
 public:
  using Clock = std::chrono::steady_clock;

  // Connects a PUB (SNDHWM 0, identity `identity`, as engine/app.py) to
  // `url`. Throws zmq::error_t for a bad endpoint.
  IopubChannel(zmq::context_t& context, const std::string& url, const std::string& identity,
               std::shared_ptr<spdlog::logger> log, const CurveKeys& curve = {});
  ~IopubChannel();
  IopubChannel(const IopubChannel&) = delete;
  IopubChannel& operator=(const IopubChannel&) = delete;

  // `next_due` returns when `on_due` should next run (nullopt: nothing
  // pending); both are called on the IOPub thread. Call before start().
  void set_flush_timer(std::function<std::optional<Clock::time_point>()> next_due,
                       std::function<void()> on_due);
  void start();

  // Queues one message (topic frame first). Never blocks on the network.
  void publish(wire::Frames frames);
  // Makes the thread re-evaluate the flush timer (after a first write).
  void wake() { wake_.notify(); }

  // Waits until everything queued so far has been handed to ZeroMQ, as
  // ipykernel's OutStream.flush() waits for its IO thread. Returns false on
  // timeout (or when the thread is not running).
  bool wait_sent(std::chrono::milliseconds timeout);

  // Sends what is queued, stops the thread and closes the socket with
  // `linger` so messages still in ZeroMQ's queue get out. Idempotent.
  void stop(std::chrono::milliseconds linger = std::chrono::milliseconds(3000));

 private:
  void run();
  // Sends every queued message; returns false if there was nothing.
  bool drain();

  zmq::socket_t socket_;
  std::shared_ptr<spdlog::logger> log_;
  WakeFd wake_;
  std::function<std::optional<Clock::time_point>()> next_due_;
  std::function<void()> on_due_;
  std::thread thread_;

  std::mutex mutex_;
  std::condition_variable sent_cv_;
  // State below is protected by mutex_.
  std::deque<wire::Frames> queue_;
  std::uint64_t queued_ = 0;  // messages ever queued
  std::uint64_t sent_ = 0;    // messages ever handed to zmq
  bool stopping_ = false;
  bool running_ = false;
};

}  // namespace ipp::engine
