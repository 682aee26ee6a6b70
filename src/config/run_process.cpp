// SPDX-License-Identifier: BSD-3-Clause
#include "config/run_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "ipp/util/error.hpp"

extern char** environ;

namespace ipp::config::detail {
namespace {

[[noreturn]] void fail(const char* call, int err) {
  throw Error(std::string("running the config evaluator: ") + call + ": " + std::strerror(err));
}

// Owns a file descriptor.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  Fd(Fd&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) {
      reset();
      fd_ = other.fd_;
      other.fd_ = -1;
    }
    return *this;
  }
  ~Fd() { reset(); }
  int get() const { return fd_; }
  void reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

struct Pipe {
  Fd read, write;
};

Pipe make_pipe() {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2", errno);
  Pipe p;
  p.read = Fd(fds[0]);
  p.write = Fd(fds[1]);
  return p;
}

// Owns posix_spawn_file_actions_t.
class FileActions {
 public:
  FileActions() {
    if (int err = ::posix_spawn_file_actions_init(&actions_); err != 0) {
      fail("posix_spawn_file_actions_init", err);
    }
  }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

 private:
  posix_spawn_file_actions_t actions_;
};

// Reads what is available; returns false at EOF.
bool drain(int fd, std::string& into) {
  char buf[65536];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n > 0) {
      into.append(buf, static_cast<size_t>(n));
      if (static_cast<size_t>(n) < sizeof buf) return true;
      continue;
    }
    if (n == 0) return false;
    if (errno == EINTR) continue;
    if (errno == EAGAIN) return true;
    fail("read", errno);
  }
}

}  // namespace

ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  Pipe result = make_pipe();
  Pipe output = make_pipe();

  FileActions actions;
  auto check = [](const char* call, int err) {
    if (err != 0) fail(call, err);
  };
  check("posix_spawn_file_actions_addopen",
        ::posix_spawn_file_actions_addopen(actions.get(), 0, "/dev/null", O_RDONLY, 0));
  // dup2 clears FD_CLOEXEC on the target, so only fds 1, 2 and 3 survive exec.
  check("posix_spawn_file_actions_adddup2",
        ::posix_spawn_file_actions_adddup2(actions.get(), output.write.get(), 1));
  check("posix_spawn_file_actions_adddup2",
        ::posix_spawn_file_actions_adddup2(actions.get(), output.write.get(), 2));
  check("posix_spawn_file_actions_adddup2",
        ::posix_spawn_file_actions_adddup2(actions.get(), result.write.get(), 3));

  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);

  pid_t pid = -1;
  if (int err = ::posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), environ);
      err != 0) {
    throw Error("cannot run the config evaluator '" + argv[0] + "': posix_spawnp: " +
                std::strerror(err) + " (set IPP_CONFIG_PYTHON to a Python 3 interpreter)");
  }
  result.write.reset();
  output.write.reset();
  for (int fd : {result.read.get(), output.read.get()}) {
    if (::fcntl(fd, F_SETFL, O_NONBLOCK) != 0) fail("fcntl", errno);
  }

  ProcessResult r;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  bool result_open = true;
  bool output_open = true;
  bool reaped = false;
  int status = 0;
  while (!reaped || result_open) {
    if (!reaped) {
      pid_t w = ::waitpid(pid, &status, WNOHANG);
      if (w == pid) {
        reaped = true;
      } else if (w < 0 && errno != EINTR) {
        fail("waitpid", errno);
      }
    }
    if (reaped && !result_open) break;
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      if (!reaped) {
        ::kill(pid, SIGKILL);
        while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
        }
        reaped = true;
      }
      r.timed_out = true;
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (result_open) fds[n++] = {result.read.get(), POLLIN, 0};
    if (output_open) fds[n++] = {output.read.get(), POLLIN, 0};
    // Wake up periodically to notice the child's exit even when a grandchild
    // keeps the output pipe open.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int wait_ms = static_cast<int>(std::min<long long>(left, 50));
    int ready = n > 0 ? ::poll(fds, n, wait_ms) : (::usleep(static_cast<useconds_t>(wait_ms) * 1000), 0);
    if (ready < 0) {
      if (errno == EINTR) continue;
      fail("poll", errno);
    }
    for (nfds_t i = 0; i < n; ++i) {
      if (fds[i].revents == 0) continue;
      if (fds[i].fd == result.read.get()) {
        result_open = drain(fds[i].fd, r.result);
      } else {
        output_open = drain(fds[i].fd, r.output);
      }
    }
  }
  if (output_open) drain(output.read.get(), r.output);
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  return r;
}

}  // namespace ipp::config::detail
