// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <unistd.h>

#include <cerrno>
#include <mutex>

#include <spdlog/sinks/base_sink.h>

namespace ipp::engine::detail {

// Writes log records to a raw file descriptor: the copy of the original
// stderr once descriptor 2 is captured for IOPub (engine/app.py re-points
// its log handler to sys.stderr._original_stdstream_copy for the same
// reason: the engine's own log must not become `stream` output).
class FdLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  explicit FdLogSink(int fd) : fd_(fd) {}

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override {
    spdlog::memory_buf_t formatted;
    formatter_->format(msg, formatted);
    const char* p = formatted.data();
    std::size_t left = formatted.size();
    while (left > 0) {
      ssize_t n = ::write(fd_, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        return;
      }
      p += n;
      left -= static_cast<std::size_t>(n);
    }
  }
  void flush_() override {}

 private:
  int fd_;
};

}  // namespace ipp::engine::detail
