// SPDX-License-Identifier: BSD-3-Clause
#include "event_loop.hpp"

#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <string>

namespace ipp::bench {

namespace {
constexpr auto kSweepPeriod = std::chrono::milliseconds(50);
constexpr int kMaxEvents = 256;
}  // namespace

EventLoop::EventLoop() : epoll_fd_(::epoll_create1(EPOLL_CLOEXEC)), last_sweep_(Clock::now()) {
  if (epoll_fd_ < 0) throw std::runtime_error(std::string("epoll_create1: ") + std::strerror(errno));
}

EventLoop::~EventLoop() { ::close(epoll_fd_); }

void EventLoop::add(zmq::socket_t& socket, Handler drain) {
  const int fd = socket.get(zmq::sockopt::fd);
  epoll_event ev{};
  ev.events = EPOLLIN;
  ev.data.u64 = handlers_.size();
  if (::epoll_ctl(epoll_fd_, EPOLL_CTL_ADD, fd, &ev) != 0) {
    throw std::runtime_error(std::string("epoll_ctl: ") + std::strerror(errno));
  }
  handlers_.push_back(std::move(drain));
}

void EventLoop::sweep() {
  for (auto& handler : handlers_) handler();
  last_sweep_ = Clock::now();
}

bool EventLoop::run_until(const std::function<bool()>& done, Clock::time_point deadline,
                          const Handler& on_tick, std::chrono::milliseconds tick_every) {
  epoll_event events[kMaxEvents];
  auto last_tick = Clock::now();
  while (!done()) {
    const auto now = Clock::now();
    if (now >= deadline) return done();
    if (now - last_sweep_ >= kSweepPeriod) sweep();
    if (on_tick && now - last_tick >= tick_every) {
      last_tick = now;
      on_tick();
      continue;
    }
    const int n = ::epoll_wait(epoll_fd_, events, kMaxEvents, static_cast<int>(tick_every.count()));
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::runtime_error(std::string("epoll_wait: ") + std::strerror(errno));
    }
    for (int i = 0; i < n; ++i) handlers_[events[i].data.u64]();
    if (on_tick && n > 0 && Clock::now() - last_tick >= tick_every) {
      last_tick = Clock::now();
      on_tick();
    }
  }
  return true;
}

}  // namespace ipp::bench
