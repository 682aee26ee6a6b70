// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <functional>
#include <vector>

#include <zmq.hpp>

namespace ipp::bench {

// A single-threaded loop over many zmq sockets through epoll on their
// ZMQ_FD. zmq::poll walks every item on every call, which costs O(sockets)
// per wake-up; with 1,024 fake engines that would be the load generator's
// own bottleneck, so readiness comes from the kernel instead.
//
// ZMQ_FD is a level-triggered signal that "something may have changed":
// a handler must drain its socket until EAGAIN, which also consumes the
// signal. A send on a socket outside its own handler can swallow a
// signal, so every `sweep` period all handlers run once anyway.
//
// Not thread-safe; sockets must outlive the loop.
class EventLoop {
 public:
  using Clock = std::chrono::steady_clock;
  using Handler = std::function<void()>;

  EventLoop();
  ~EventLoop();
  EventLoop(const EventLoop&) = delete;
  EventLoop& operator=(const EventLoop&) = delete;

  // `drain` must receive from `socket` until it would block.
  void add(zmq::socket_t& socket, Handler drain);
  // Runs handlers and `on_tick` (after every wake-up, at most `tick_every`
  // apart) until `done()` is true or `deadline` passes. Returns done().
  bool run_until(const std::function<bool()>& done, Clock::time_point deadline,
                 const Handler& on_tick = {},
                 std::chrono::milliseconds tick_every = std::chrono::milliseconds(20));
  // Runs every handler once.
  void sweep();

 private:
  int epoll_fd_;
  std::vector<Handler> handlers_;
  Clock::time_point last_sweep_;
};

}  // namespace ipp::bench
