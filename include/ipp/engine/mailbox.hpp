// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <deque>
#include <mutex>
#include <optional>
#include <utility>

namespace ipp::engine {

// A wake-up file descriptor (Linux eventfd) that a PollLoop or zmq::poll can
// watch: any thread may notify(), the owning thread clear()s it after
// waking. Used where a C++ thread must wake a loop without owning one of its
// sockets (STYLE.md section 5: threads never share sockets), and by the
// output capture, which is written from arbitrary Python threads.
// Thread-safe. Throws ipp::Error if eventfd() fails.
class WakeFd {
 public:
  WakeFd();
  ~WakeFd();
  WakeFd(const WakeFd&) = delete;
  WakeFd& operator=(const WakeFd&) = delete;

  int fd() const { return fd_; }
  // Async-signal-safe (a single write(2)).
  void notify() const;
  void clear() const;

 private:
  int fd_ = -1;
};

// A FIFO handed between threads: producers push() from any thread, the
// owning loop polls fd() and pops until empty. Thread-safe.
template <typename T>
class Mailbox {
 public:
  void push(T item) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(item));
    }
    wake_.notify();
  }

  // The next item, or nullopt when empty (which also re-arms the fd).
  std::optional<T> pop() {
    std::lock_guard lock(mutex_);
    if (items_.empty()) {
      wake_.clear();
      return std::nullopt;
    }
    T item = std::move(items_.front());
    items_.pop_front();
    return item;
  }

  bool empty() const {
    std::lock_guard lock(mutex_);
    return items_.empty();
  }

  int fd() const { return wake_.fd(); }

 private:
  mutable std::mutex mutex_;
  // State below is protected by mutex_.
  std::deque<T> items_;
  WakeFd wake_;
};

}  // namespace ipp::engine
