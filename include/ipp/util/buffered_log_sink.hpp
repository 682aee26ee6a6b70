// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>

#include <spdlog/sinks/base_sink.h>

namespace ipp::util {

// A log sink that collects formatted records in memory and writes them to
// a file descriptor in one write(): when `interval` has passed since the
// first unwritten record (a background thread), when 64 KiB are waiting,
// for every record at WARNING or above (at once, with everything before
// it), and on flush().
//
// Why: the controller logs every task at INFO, as hub.py does, and a
// write() per line was a third of the hub thread's time under load. Lines
// reach the file at most `interval` late; a crash loses at most that much.
// Not for processes that fork without exec (a child would inherit and
// write the unwritten records again): the engine keeps the unbuffered sink.
class BufferedLogSink : public spdlog::sinks::base_sink<std::mutex> {
 public:
  // Writes to `fd` (not closed, e.g. 2 for stderr).
  BufferedLogSink(int fd, std::chrono::milliseconds interval);
  // Creates or truncates `path`. Throws ipp::Error naming the file when it
  // cannot be opened.
  BufferedLogSink(const std::filesystem::path& path, std::chrono::milliseconds interval);
  // Writes what is left and stops the background thread.
  ~BufferedLogSink() override;

  BufferedLogSink(const BufferedLogSink&) = delete;
  BufferedLogSink& operator=(const BufferedLogSink&) = delete;

 protected:
  void sink_it_(const spdlog::details::log_msg& msg) override;
  void flush_() override;

 private:
  void write_pending();  // caller holds mutex_
  void run_flusher();

  int fd_;
  bool owns_fd_;
  std::chrono::milliseconds interval_;
  std::string pending_;
  std::mutex stop_mutex_;
  std::condition_variable stop_cv_;
  bool stop_ = false;
  std::thread flusher_;
};

}  // namespace ipp::util
