// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/captured_process.hpp"

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
#include "ipp/util/fd.hpp"

extern char** environ;

namespace ipp::util {
namespace {

struct Pipe {
  Fd read, write;
};

// Owns posix_spawn_file_actions_t.
class FileActions {
 public:
  explicit FileActions(const std::string& what) : what_(what) {
    if (int err = ::posix_spawn_file_actions_init(&actions_); err != 0) {
      fail("posix_spawn_file_actions_init", err);
    }
  }
  ~FileActions() { ::posix_spawn_file_actions_destroy(&actions_); }
  FileActions(const FileActions&) = delete;
  FileActions& operator=(const FileActions&) = delete;
  posix_spawn_file_actions_t* get() { return &actions_; }

  void open(int fd, const std::string& path, int flags) {
    check("posix_spawn_file_actions_addopen",
          ::posix_spawn_file_actions_addopen(&actions_, fd, path.c_str(), flags, 0));
  }
  void chdir(const std::string& dir) {
    check("posix_spawn_file_actions_addchdir_np", ::posix_spawn_file_actions_addchdir_np(&actions_, dir.c_str()));
  }
  void dup2(int from, int to) {
    check("posix_spawn_file_actions_adddup2", ::posix_spawn_file_actions_adddup2(&actions_, from, to));
  }

 private:
  [[noreturn]] void fail(const char* call, int err) const {
    throw Error("running " + what_ + ": " + call + ": " + std::strerror(err));
  }
  void check(const char* call, int err) const {
    if (err != 0) fail(call, err);
  }

  posix_spawn_file_actions_t actions_;
  std::string what_;
};

// environ with `extra` set on top (replacing variables of the same name).
std::vector<std::string> child_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    std::string name(entry.substr(0, entry.find('=')));
    if (extra.count(name) == 0) env.emplace_back(entry);
  }
  for (const auto& [name, value] : extra) env.push_back(name + "=" + value);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& strings) {
  std::vector<char*> out;
  out.reserve(strings.size() + 1);
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

}  // namespace

ProcessResult run_captured(const std::vector<std::string>& argv, const CapturedProcessOptions& options) {
  const std::string& what = options.what;
  auto fail = [&](const char* call, int err) {
    throw Error("running " + what + ": " + call + ": " + std::strerror(err));
  };
  if (argv.empty() || argv[0].empty()) throw Error("running " + what + ": no command given");
  if (options.result_fd != 1 && options.result_fd != 3) throw Error("run_captured: result_fd must be 1 or 3");

  auto make_pipe = [&] {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) fail("pipe2", errno);
    Pipe p;
    p.read = Fd(fds[0]);
    p.write = Fd(fds[1]);
    return p;
  };
  Pipe result = make_pipe();
  Pipe output = make_pipe();

  // dup2 clears FD_CLOEXEC on the target, so only fds 0-3 survive exec.
  FileActions actions(what);
  actions.open(0, options.stdin_path, O_RDONLY);
  if (!options.cwd.empty()) actions.chdir(options.cwd);
  if (options.result_fd == 1) {
    actions.dup2(result.write.get(), 1);
    actions.dup2(output.write.get(), 2);
  } else {
    actions.dup2(output.write.get(), 1);
    actions.dup2(output.write.get(), 2);
    actions.dup2(result.write.get(), 3);
  }

  std::vector<std::string> arg_strings = argv;
  std::vector<char*> args = c_strings(arg_strings);
  std::vector<std::string> env_strings = child_environment(options.environment);
  std::vector<char*> env = c_strings(env_strings);

  pid_t pid = -1;
  if (int err = ::posix_spawnp(&pid, args[0], actions.get(), nullptr, args.data(), env.data()); err != 0) {
    throw Error("cannot run " + what + " '" + argv[0] + "': " + std::strerror(err));
  }
  result.write.reset();
  output.write.reset();
  for (int fd : {result.read.get(), output.read.get()}) {
    if (::fcntl(fd, F_SETFL, O_NONBLOCK) != 0) fail("fcntl", errno);
  }

  // Reads what is available; returns false at EOF.
  auto drain = [&](int fd, std::string& into) {
    char buf[65536];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n > 0) {
        into.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0) return false;
      if (errno == EINTR) continue;
      if (errno == EAGAIN) return true;
      fail("read", errno);
    }
  };

  ProcessResult r;
  const auto deadline = std::chrono::steady_clock::now() + options.timeout;
  bool result_open = true;
  bool output_open = true;
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) break;
    if (w < 0 && errno != EINTR) fail("waitpid", errno);
    const auto now = std::chrono::steady_clock::now();
    if (now >= deadline) {
      ::kill(pid, SIGKILL);
      while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
      }
      r.timed_out = true;
      break;
    }
    pollfd fds[2];
    nfds_t n = 0;
    if (result_open) fds[n++] = {result.read.get(), POLLIN, 0};
    if (output_open) fds[n++] = {output.read.get(), POLLIN, 0};
    // Wake up periodically to notice the child's exit even when a grandchild
    // keeps a pipe open.
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - now).count();
    int wait_ms = static_cast<int>(std::min<long long>(left, 20));
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
  // The child is gone: everything it wrote is in the pipes now. Whatever a
  // grandchild writes later is not ours to wait for.
  if (result_open) drain(result.read.get(), r.result);
  if (output_open) drain(output.read.get(), r.output);
  if (WIFEXITED(status)) {
    r.exit_code = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    r.signal = WTERMSIG(status);
  }
  return r;
}

}  // namespace ipp::util
