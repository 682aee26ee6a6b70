// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

#include <array>
#include <chrono>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>

#include "ipp/engine/mailbox.hpp"

namespace ipp::engine {

enum class StreamName { Stdout = 0, Stderr = 1 };

// "stdout" / "stderr", the `name` of a stream message.
std::string_view stream_name(StreamName stream);

// The engine's stdout/stderr, as ipykernel.iostream.OutStream (engine.md
// section 7): text written by Python (sys.stdout/sys.stderr are replaced by
// objects that call write()) and, once start_fd_capture() ran, by anything
// writing to file descriptors 1 and 2 (C extensions, subprocesses) is
// buffered per stream and handed to `publish` as one `stream` message:
//  * flush_interval (0.2 s) after the first write into an empty buffer
//    (due()/flush_due(), driven by the IOPub thread),
//  * on flush() (sys.stdout.flush(), display, errors),
//  * at the end of each request (flush_all(), which first drains the
//    descriptor pipes so C-level output written before the reply is
//    included; ipykernel's reader thread can lose that race).
// Descriptor output is also echoed to the original descriptors, as ipykernel
// does, so it still reaches the engine's log file or terminal.
//
// Text is passed through as bytes; publish() receives whole UTF-8
// sequences (a multi-byte character split across pipe reads is held back).
//
// Thread-safety: every method may be called from any thread. `publish` runs
// under an internal lock that keeps two concurrent flushes from reordering
// their messages, so it must not call back into this object (it only
// signs and queues a message).
class OutputCapture {
 public:
  using Clock = std::chrono::steady_clock;
  using Publish = std::function<void(StreamName, std::string text)>;

  // `on_pending` runs (on the writing thread) when a buffer goes from empty
  // to non-empty, to wake whoever calls flush_due().
  explicit OutputCapture(Publish publish,
                         std::chrono::milliseconds flush_interval = std::chrono::milliseconds(200),
                         std::function<void()> on_pending = {});
  ~OutputCapture();
  OutputCapture(const OutputCapture&) = delete;
  OutputCapture& operator=(const OutputCapture&) = delete;

  void write(StreamName stream, std::string_view text);
  void flush(StreamName stream);
  // Drains the descriptor pipes (after fflush of C stdio), then flushes both.
  void flush_all();

  // When the oldest unflushed write becomes due, or nullopt.
  std::optional<Clock::time_point> next_due() const;
  // Flushes every stream whose first unflushed write is older than the
  // interval.
  void flush_due(Clock::time_point now = Clock::now());

  // Replaces descriptors 1 and 2 by pipes read by a thread (ipykernel's
  // _setup_stream_redirects). Returns the copies of the original
  // descriptors' targets through original_fd(). Throws ipp::Error if
  // pipe/dup fails. Call once.
  void start_fd_capture();
  // Restores descriptors 1 and 2 and stops the reader (flushing first).
  void stop_fd_capture();
  // A descriptor on the original stdout/stderr (for echo, the engine log and
  // OutStream.fileno()), or -1 before start_fd_capture().
  int original_fd(StreamName stream) const;

  // False in a child forked by user code: there the buffers, threads and
  // publisher are not ours, and write() goes straight to the descriptor.
  bool in_owner_process() const;

 private:
  struct Buffer {
    std::string text;
    std::optional<Clock::time_point> first_write;
  };
  struct Pipe {
    int read_fd = -1;
    int original_fd = -1;  // dup of the descriptor before redirection
    std::string partial;   // incomplete UTF-8 tail from the last read
  };

  void append(StreamName stream, std::string_view text);
  // Reads what is available from one pipe (non-blocking), echoes it and
  // appends it. Returns false at EOF/error. Requires pipe_mutex_.
  bool drain_pipe(StreamName stream);
  void reader_main();

  const Publish publish_;
  const std::chrono::milliseconds flush_interval_;
  const std::function<void()> on_pending_;
  const pid_t owner_pid_;

  // Serialises flushes end to end (take-buffer + publish), so messages leave
  // in the order their text was written. Never held while calling Python.
  std::mutex flush_mutex_;

  mutable std::mutex buffer_mutex_;
  // State below is protected by buffer_mutex_.
  std::array<Buffer, 2> buffers_;

  // Protects the pipe read ends and partial tails: the reader thread and
  // flush_all() both read, and each read + append happens under it so text
  // keeps its order.
  std::mutex pipe_mutex_;
  std::array<Pipe, 2> pipes_;
  bool capturing_ = false;
  WakeFd stop_reader_;
  std::thread reader_;
};

}  // namespace ipp::engine
