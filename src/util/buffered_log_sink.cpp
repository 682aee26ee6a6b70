// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/buffered_log_sink.hpp"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <functional>

#include "ipp/util/error.hpp"

namespace ipp::util {

namespace {

constexpr std::size_t kMaxPending = 64 * 1024;

// The flusher must never take a process signal: the controller blocks
// SIGINT/SIGTERM in every thread and waits for them in main
// (sigtimedwait); an unblocking thread would let the default action kill
// the process. A thread inherits its creator's mask.
std::thread start_blocking_signals(std::function<void()> body) {
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &old);
  std::thread thread(std::move(body));
  pthread_sigmask(SIG_SETMASK, &old, nullptr);
  return thread;
}

}  // namespace

BufferedLogSink::BufferedLogSink(int fd, std::chrono::milliseconds interval)
    : fd_(fd), owns_fd_(false), interval_(interval) {
  flusher_ = start_blocking_signals([this] { run_flusher(); });
}

BufferedLogSink::BufferedLogSink(const std::filesystem::path& path, std::chrono::milliseconds interval)
    : fd_(::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)),
      owns_fd_(true),
      interval_(interval) {
  if (fd_ < 0) throw Error(path.string() + ": cannot open log file: " + std::strerror(errno));
  flusher_ = start_blocking_signals([this] { run_flusher(); });
}

BufferedLogSink::~BufferedLogSink() {
  {
    std::lock_guard<std::mutex> lock(stop_mutex_);
    stop_ = true;
  }
  stop_cv_.notify_all();
  if (flusher_.joinable()) flusher_.join();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    write_pending();
  }
  if (owns_fd_) ::close(fd_);
}

void BufferedLogSink::sink_it_(const spdlog::details::log_msg& msg) {
  spdlog::memory_buf_t formatted;
  formatter_->format(msg, formatted);
  pending_.append(formatted.data(), formatted.size());
  if (msg.level >= spdlog::level::warn || pending_.size() >= kMaxPending) write_pending();
}

void BufferedLogSink::flush_() { write_pending(); }

void BufferedLogSink::write_pending() {
  std::size_t done = 0;
  while (done < pending_.size()) {
    const ssize_t n = ::write(fd_, pending_.data() + done, pending_.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;  // nowhere to report it: the log is the report
    done += static_cast<std::size_t>(n);
  }
  pending_.clear();
}

void BufferedLogSink::run_flusher() {
  std::unique_lock<std::mutex> lock(stop_mutex_);
  while (!stop_cv_.wait_for(lock, interval_, [this] { return stop_; })) {
    flush();  // base_sink::flush takes mutex_
  }
}

}  // namespace ipp::util
