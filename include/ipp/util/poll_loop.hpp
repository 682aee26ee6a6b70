// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <vector>

#include <zmq.hpp>

namespace ipp::util {

// One thread's event loop: zmq::poll over the sockets (and plain fds) it
// owns, plus one-shot and periodic timers. The poll timeout is the next
// timer deadline, so an idle loop sleeps in the kernel.
//
// Not thread-safe: a PollLoop, its sockets and its callbacks belong to the
// thread that calls run(). Other threads stop it through an inproc socket
// they own (see `stop_endpoint`), never by touching the loop.
class PollLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using Handler = std::function<void()>;
  using TimerId = std::uint64_t;

  PollLoop() = default;
  PollLoop(const PollLoop&) = delete;
  PollLoop& operator=(const PollLoop&) = delete;

  // Calls `on_readable` whenever `socket` has a message. The handler should
  // drain a bounded batch (see `kMaxBatch`) so one busy socket cannot starve
  // the others. `socket` must outlive the loop.
  void add(zmq::socket_t& socket, Handler on_readable);
  // Same for a plain file descriptor (signal self-pipe, child pipes).
  void add_fd(int fd, Handler on_readable);
  void remove_fd(int fd);

  // Timers run on this loop's thread. `every` repeats with a fixed period
  // measured from the previous deadline (no drift).
  TimerId after(std::chrono::milliseconds delay, Handler fn);
  TimerId every(std::chrono::milliseconds period, Handler fn);
  void cancel(TimerId id);

  // Runs `fn` once per poll round, after the socket handlers and timers:
  // where a loop flushes what it batched during the round (MonitorFeed).
  void after_each_round(Handler fn) { round_end_.push_back(std::move(fn)); }

  // Runs until stop() is called from inside a handler.
  void run();
  void stop() { running_ = false; }
  bool running() const { return running_; }

  // Messages a handler should take from one socket before yielding.
  static constexpr int kMaxBatch = 256;

 private:
  struct Timer {
    Clock::time_point due;
    std::chrono::milliseconds period{0};  // 0 = one shot
    Handler fn;
  };
  void run_due_timers();
  std::chrono::milliseconds next_timeout() const;

  std::vector<zmq::pollitem_t> items_;
  std::vector<Handler> handlers_;
  std::map<TimerId, Timer> timers_;
  std::vector<Handler> round_end_;
  TimerId next_timer_ = 1;
  bool running_ = false;
};

}  // namespace ipp::util
