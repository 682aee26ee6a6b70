// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/output_capture.hpp"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>
#include <utility>

#include "engine/python_bindings.hpp"
#include "ipp/engine/signals.hpp"
#include "ipp/util/error.hpp"

namespace ipp::engine {
namespace {

constexpr int kStdFd[2] = {1, 2};

// Length of the longest prefix of `s` that does not end inside a multi-byte
// UTF-8 sequence (invalid bytes count as complete: the JSON encoder replaces
// them).
std::size_t utf8_complete_prefix(std::string_view s) {
  std::size_t n = s.size();
  // Look back at most 3 bytes for a lead byte whose sequence is cut off.
  for (std::size_t back = 1; back <= 3 && back <= n; ++back) {
    auto c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // continuation byte: keep looking
    std::size_t need = (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 1;
    return need > back ? n - back : n;
  }
  return n;
}

void write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      return;  // echo is best effort (ipykernel ignores failures too)
    }
    data.remove_prefix(static_cast<std::size_t>(n));
  }
}

}  // namespace

std::string_view stream_name(StreamName stream) {
  return stream == StreamName::Stdout ? "stdout" : "stderr";
}

OutputCapture::OutputCapture(Publish publish, std::chrono::milliseconds flush_interval,
                             std::function<void()> on_pending)
    : publish_(std::move(publish)),
      flush_interval_(flush_interval),
      on_pending_(std::move(on_pending)),
      owner_pid_(::getpid()) {}

OutputCapture::~OutputCapture() { stop_fd_capture(); }

bool OutputCapture::in_owner_process() const { return ::getpid() == owner_pid_; }

void OutputCapture::append(StreamName stream, std::string_view text) {
  if (text.empty()) return;
  bool was_empty = false;
  {
    std::lock_guard lock(buffer_mutex_);
    Buffer& b = buffers_[static_cast<int>(stream)];
    was_empty = b.text.empty();
    b.text.append(text);
    if (!b.first_write) b.first_write = Clock::now();
  }
  if (was_empty && on_pending_) on_pending_();
}

void OutputCapture::write(StreamName stream, std::string_view text) {
  if (!in_owner_process()) {
    // A fork()ed child (multiprocessing, os.fork): our mutexes may have been
    // held by another thread at fork time. Write to the descriptor, which
    // is the parent's capture pipe, so the parent still publishes it.
    write_all(kStdFd[static_cast<int>(stream)], text);
    return;
  }
  append(stream, text);
}

void OutputCapture::flush(StreamName stream) {
  if (!in_owner_process()) return;
  std::lock_guard order(flush_mutex_);
  std::string text;
  {
    std::lock_guard lock(buffer_mutex_);
    Buffer& b = buffers_[static_cast<int>(stream)];
    text.swap(b.text);
    b.first_write.reset();
  }
  if (!text.empty()) publish_(stream, std::move(text));
}

void OutputCapture::flush_all() {
  if (!in_owner_process()) return;
  std::fflush(stdout);
  std::fflush(stderr);
  if (capturing_) {
    std::string echo[2];
    {
      std::lock_guard lock(pipe_mutex_);
      for (int s = 0; s < 2; ++s) {
        auto stream = static_cast<StreamName>(s);
        // Take everything that is in the pipe now.
        for (;;) {
          char buf[65536];
          ssize_t n = ::read(pipes_[s].read_fd, buf, sizeof buf);
          if (n <= 0) break;
          echo[s].append(buf, static_cast<std::size_t>(n));
        }
        std::string data = std::move(pipes_[s].partial) + echo[s];
        pipes_[s].partial.clear();
        // End of a request: emit even an incomplete tail.
        append(stream, data);
      }
    }
    for (int s = 0; s < 2; ++s) {
      if (!echo[s].empty()) write_all(pipes_[s].original_fd, echo[s]);
    }
  }
  flush(StreamName::Stdout);
  flush(StreamName::Stderr);
}

std::optional<OutputCapture::Clock::time_point> OutputCapture::next_due() const {
  std::lock_guard lock(buffer_mutex_);
  std::optional<Clock::time_point> due;
  for (const Buffer& b : buffers_) {
    if (b.first_write) {
      auto t = *b.first_write + flush_interval_;
      if (!due || t < *due) due = t;
    }
  }
  return due;
}

void OutputCapture::flush_due(Clock::time_point now) {
  for (int s = 0; s < 2; ++s) {
    bool due = false;
    {
      std::lock_guard lock(buffer_mutex_);
      const Buffer& b = buffers_[s];
      due = b.first_write && *b.first_write + flush_interval_ <= now;
    }
    if (due) flush(static_cast<StreamName>(s));
  }
}

bool OutputCapture::drain_pipe(StreamName stream) {
  Pipe& p = pipes_[static_cast<int>(stream)];
  char buf[65536];
  ssize_t n = ::read(p.read_fd, buf, sizeof buf);
  if (n == 0) return false;
  if (n < 0) return errno == EAGAIN || errno == EINTR;
  std::string data = std::move(p.partial);
  data.append(buf, static_cast<std::size_t>(n));
  std::size_t keep = utf8_complete_prefix(data);
  p.partial = data.substr(keep);
  data.resize(keep);
  append(stream, data);
  // Echoed under pipe_mutex_ (held by the caller): a slow original stdout
  // only delays this reader, as in ipykernel's _watch_pipe_fd.
  write_all(p.original_fd, std::string_view(buf, static_cast<std::size_t>(n)));
  return true;
}

void OutputCapture::reader_main() {
  bool open[2] = {true, true};
  while (open[0] || open[1]) {
    struct pollfd fds[3] = {{pipes_[0].read_fd, static_cast<short>(open[0] ? POLLIN : 0), 0},
                            {pipes_[1].read_fd, static_cast<short>(open[1] ? POLLIN : 0), 0},
                            {stop_reader_.fd(), POLLIN, 0}};
    int rc = ::poll(fds, 3, -1);
    if (rc < 0) {
      if (errno == EINTR) continue;
      return;
    }
    if (fds[2].revents & POLLIN) return;
    for (int s = 0; s < 2; ++s) {
      if (fds[s].revents & (POLLIN | POLLHUP | POLLERR)) {
        std::lock_guard lock(pipe_mutex_);
        if (!drain_pipe(static_cast<StreamName>(s))) open[s] = false;
      }
    }
  }
}

void OutputCapture::start_fd_capture() {
  if (capturing_) return;
  std::fflush(stdout);
  std::fflush(stderr);
  for (int s = 0; s < 2; ++s) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) {
      throw Error(std::string("pipe2 (output capture): ") + std::strerror(errno));
    }
    int original = ::fcntl(kStdFd[s], F_DUPFD_CLOEXEC, 3);
    if (original < 0) {
      throw Error(std::string("dup of fd ") + std::to_string(kStdFd[s]) + ": " + std::strerror(errno));
    }
    // dup2 clears FD_CLOEXEC on the target: child processes inherit the
    // pipe as their stdout/stderr, so their output is captured too.
    if (::dup2(fds[1], kStdFd[s]) < 0) {
      throw Error(std::string("dup2 onto fd ") + std::to_string(kStdFd[s]) + ": " +
                  std::strerror(errno));
    }
    ::close(fds[1]);
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    pipes_[s].read_fd = fds[0];
    pipes_[s].original_fd = original;
  }
  capturing_ = true;
  reader_ = start_thread_without_signals([this] { reader_main(); });
}

void OutputCapture::stop_fd_capture() {
  if (!capturing_ || !in_owner_process()) return;
  flush_all();
  stop_reader_.notify();
  if (reader_.joinable()) reader_.join();
  std::fflush(stdout);
  std::fflush(stderr);
  for (int s = 0; s < 2; ++s) {
    ::dup2(pipes_[s].original_fd, kStdFd[s]);
    ::close(pipes_[s].read_fd);
    pipes_[s].read_fd = -1;
  }
  capturing_ = false;
}

int OutputCapture::original_fd(StreamName stream) const {
  return pipes_[static_cast<int>(stream)].original_fd;
}

// ------------------------------------------------ Python-facing functions --

namespace py = pybind11;

namespace {

OutputCapture* g_python_capture = nullptr;

StreamName stream_of(int index) { return index == 1 ? StreamName::Stderr : StreamName::Stdout; }

}  // namespace

void set_python_output_capture(OutputCapture* capture) { g_python_capture = capture; }

void bind_output_streams(py::module_& module) {
  module.def("stream_write", [](int index, py::handle text) {
    // Like a TextIOWrapper with errors="replace" for lone surrogates, which
    // cannot travel as UTF-8 JSON.
    PyObject* encoded = PyUnicode_AsEncodedString(text.ptr(), "utf-8", "replace");
    if (encoded == nullptr) throw py::error_already_set();
    py::bytes bytes = py::reinterpret_steal<py::bytes>(encoded);
    char* data = nullptr;
    Py_ssize_t size = 0;
    PyBytes_AsStringAndSize(bytes.ptr(), &data, &size);
    if (g_python_capture != nullptr) {
      g_python_capture->write(stream_of(index),
                              std::string_view(data, static_cast<std::size_t>(size)));
    } else {
      write_all(kStdFd[index == 1 ? 1 : 0], std::string_view(data, static_cast<std::size_t>(size)));
    }
  });
  module.def("stream_flush", [](int index) {
    if (g_python_capture != nullptr) g_python_capture->flush(stream_of(index));
  });
  module.def("stream_fileno", [](int index) {
    return g_python_capture != nullptr ? g_python_capture->original_fd(stream_of(index)) : -1;
  });
}

}  // namespace ipp::engine
