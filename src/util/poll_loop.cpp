// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/poll_loop.hpp"

#include <algorithm>
#include <cerrno>

namespace ipp::util {

void PollLoop::add(zmq::socket_t& socket, Handler on_readable) {
  items_.push_back(zmq::pollitem_t{socket.handle(), 0, ZMQ_POLLIN, 0});
  handlers_.push_back(std::move(on_readable));
}

void PollLoop::add_fd(int fd, Handler on_readable) {
  items_.push_back(zmq::pollitem_t{nullptr, fd, ZMQ_POLLIN, 0});
  handlers_.push_back(std::move(on_readable));
}

void PollLoop::remove_fd(int fd) {
  for (std::size_t i = 0; i < items_.size(); ++i) {
    if (items_[i].socket == nullptr && items_[i].fd == fd) {
      items_.erase(items_.begin() + static_cast<std::ptrdiff_t>(i));
      handlers_.erase(handlers_.begin() + static_cast<std::ptrdiff_t>(i));
      return;
    }
  }
}

PollLoop::TimerId PollLoop::after(std::chrono::milliseconds delay, Handler fn) {
  TimerId id = next_timer_++;
  timers_.emplace(id, Timer{Clock::now() + delay, std::chrono::milliseconds(0), std::move(fn)});
  return id;
}

PollLoop::TimerId PollLoop::every(std::chrono::milliseconds period, Handler fn) {
  TimerId id = next_timer_++;
  timers_.emplace(id, Timer{Clock::now() + period, period, std::move(fn)});
  return id;
}

void PollLoop::cancel(TimerId id) { timers_.erase(id); }

std::chrono::milliseconds PollLoop::next_timeout() const {
  if (timers_.empty()) return std::chrono::milliseconds(-1);
  auto due = std::min_element(timers_.begin(), timers_.end(), [](const auto& a, const auto& b) {
               return a.second.due < b.second.due;
             })->second.due;
  auto now = Clock::now();
  if (due <= now) return std::chrono::milliseconds(0);
  // Round up so we never wake a hair early and spin.
  return std::chrono::duration_cast<std::chrono::milliseconds>(due - now) + std::chrono::milliseconds(1);
}

void PollLoop::run_due_timers() {
  auto now = Clock::now();
  std::vector<TimerId> due;
  for (const auto& [id, timer] : timers_) {
    if (timer.due <= now) due.push_back(id);
  }
  for (TimerId id : due) {
    auto it = timers_.find(id);
    if (it == timers_.end()) continue;  // cancelled by an earlier timer
    Handler fn = it->second.fn;  // copy: the handler may cancel itself
    if (it->second.period.count() > 0) {
      it->second.due += it->second.period;
      if (it->second.due < now) it->second.due = now + it->second.period;
    } else {
      timers_.erase(it);
    }
    fn();
    if (!running_) return;
  }
}

void PollLoop::run() {
  running_ = true;
  while (running_) {
    try {
      zmq::poll(items_.data(), items_.size(), next_timeout());
    } catch (const zmq::error_t& e) {
      if (e.num() == EINTR) continue;  // a signal: the self-pipe tells us which
      if (e.num() == ETERM) return;    // context shut down under us
      throw;
    }
    // Handlers may add items (e.g. a new child pipe); iterate by index over
    // the size seen by poll.
    std::size_t n = items_.size();
    for (std::size_t i = 0; i < n && running_ && i < items_.size(); ++i) {
      if (items_[i].revents & ZMQ_POLLIN) handlers_[i]();
    }
    if (running_) run_due_timers();
    for (const Handler& fn : round_end_) fn();
  }
}

}  // namespace ipp::util
