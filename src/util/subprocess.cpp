// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/util/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "ipp/util/error.hpp"
#include "ipp/util/fd.hpp"

extern char** environ;

namespace ipp::util {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

// Statuses of children reaped while checking liveness (waitpid can report a
// status only once).
std::mutex g_reaped_mutex;
std::map<pid_t, ExitStatus> g_reaped;

ExitStatus from_wait_status(int status) {
  ExitStatus s;
  if (WIFEXITED(status)) s.code = WEXITSTATUS(status);
  if (WIFSIGNALED(status)) s.signal = WTERMSIG(status);
  return s;
}

void remember(pid_t pid, int status) {
  std::lock_guard<std::mutex> lock(g_reaped_mutex);
  g_reaped[pid] = from_wait_status(status);
}

// Reaps `pid` if it is our child and has ended. Returns true if it was our
// child (ended or not); `ended` says whether it has ended.
bool reap_child(pid_t pid, bool* ended) {
  int status = 0;
  for (;;) {
    pid_t w = ::waitpid(pid, &status, WNOHANG);
    if (w == pid) {
      remember(pid, status);
      *ended = true;
      return true;
    }
    if (w == 0) {
      *ended = false;
      return true;
    }
    if (errno == EINTR) continue;
    return false;  // ECHILD: not ours (or already reaped)
  }
}

// A zombie whose parent has not reaped it yet has ended for our purposes.
bool is_zombie(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  size_t paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

[[noreturn]] void fail(const std::string& what, const char* call, int err) {
  throw Error(what + ": " + call + ": " + std::strerror(err));
}

// Owns the posix_spawn attribute objects.
struct SpawnSetup {
  posix_spawn_file_actions_t actions;
  posix_spawnattr_t attr;
  SpawnSetup() {
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawnattr_init(&attr);
  }
  ~SpawnSetup() {
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attr);
  }
  SpawnSetup(const SpawnSetup&) = delete;
  SpawnSetup& operator=(const SpawnSetup&) = delete;
};

std::vector<std::string> merged_environment(const std::map<std::string, std::string>& extra) {
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string entry(*e);
    std::string name = entry.substr(0, entry.find('='));
    if (extra.count(name) == 0) env.push_back(std::move(entry));
  }
  for (const auto& [k, v] : extra) env.push_back(k + "=" + v);
  return env;
}

std::vector<char*> c_strings(std::vector<std::string>& words) {
  std::vector<char*> out;
  out.reserve(words.size() + 1);
  for (auto& w : words) out.push_back(w.data());
  out.push_back(nullptr);
  return out;
}

// posix_spawnp with the child's signal state reset: ipcluster blocks and
// handles signals for its own loop; a launched process must start with the
// defaults or it would ignore SIGTERM.
pid_t spawn(SpawnSetup& s, std::vector<std::string> argv, const std::map<std::string, std::string>& environment,
            bool new_session) {
  sigset_t none, all;
  sigemptyset(&none);
  sigfillset(&all);
  ::posix_spawnattr_setsigmask(&s.attr, &none);
  ::posix_spawnattr_setsigdefault(&s.attr, &all);
  short flags = POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF;
  if (new_session) flags |= POSIX_SPAWN_SETSID;
  ::posix_spawnattr_setflags(&s.attr, flags);
  std::vector<std::string> env = merged_environment(environment);
  std::vector<char*> c_argv = c_strings(argv);
  std::vector<char*> c_env = c_strings(env);
  pid_t pid = -1;
  int err = ::posix_spawnp(&pid, c_argv[0], &s.actions, &s.attr, c_argv.data(), c_env.data());
  if (err != 0) {
    std::string why = std::strerror(err);
    if (err == ENOENT) why = argv[0].find('/') == std::string::npos ? "command not found in PATH" : "no such file";
    throw Error(argv[0] + ": cannot start: " + why);
  }
  return pid;
}

}  // namespace

std::string ExitStatus::describe() const {
  if (signal != 0) {
    const char* name = ::strsignal(signal);
    return "killed by signal " + std::to_string(signal) + (name != nullptr ? std::string(" (") + name + ")" : "");
  }
  if (code >= 0) return "exited with status " + std::to_string(code);
  return "ended";
}

pid_t spawn_process(const SpawnOptions& options) {
  if (options.argv.empty() || options.argv[0].empty()) throw Error("cannot start a process: empty command");
  SpawnSetup s;
  ::posix_spawn_file_actions_addopen(&s.actions, 0, "/dev/null", O_RDONLY, 0);
  Fd out;
  if (options.output_file.empty()) {
    out = Fd(::open("/dev/null", O_WRONLY | O_CLOEXEC));
  } else {
    out = Fd(::open(options.output_file.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644));
    if (out.get() < 0) fail(options.argv[0] + ": cannot open its log " + options.output_file.string(), "open", errno);
  }
  ::posix_spawn_file_actions_adddup2(&s.actions, out.get(), 1);
  ::posix_spawn_file_actions_adddup2(&s.actions, out.get(), 2);
  if (!options.cwd.empty()) ::posix_spawn_file_actions_addchdir_np(&s.actions, options.cwd.c_str());
  return spawn(s, options.argv, options.environment, options.new_session);
}

bool process_alive(pid_t pid) {
  if (pid <= 0) return false;
  bool ended = false;
  if (reap_child(pid, &ended)) return !ended;
  if (::kill(pid, 0) != 0 && errno == ESRCH) return false;
  return !is_zombie(pid);
}

std::optional<ExitStatus> child_status(pid_t pid) {
  std::lock_guard<std::mutex> lock(g_reaped_mutex);
  auto it = g_reaped.find(pid);
  if (it == g_reaped.end()) return std::nullopt;
  return it->second;
}

bool send_signal(pid_t pid, int sig) {
  if (pid <= 0) return false;
  return ::kill(pid, sig) == 0 || errno == EPERM;
}

namespace {

// Waits until none of `pids` is alive or `limit` passes; returns those left.
std::vector<pid_t> wait_gone(std::vector<pid_t> pids, milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  auto pause = milliseconds(5);
  for (;;) {
    pids.erase(std::remove_if(pids.begin(), pids.end(), [](pid_t p) { return !process_alive(p); }), pids.end());
    if (pids.empty() || Clock::now() >= deadline) return pids;
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, milliseconds(100));
  }
}

}  // namespace

std::vector<pid_t> stop_processes(const std::vector<pid_t>& pids, milliseconds term_wait, milliseconds kill_wait) {
  std::vector<pid_t> alive;
  std::vector<pid_t> leaders;
  for (pid_t pid : pids) {
    if (!process_alive(pid)) continue;
    alive.push_back(pid);
    // The group is read before the leader dies (afterwards getpgid fails).
    if (::getpgid(pid) == pid) leaders.push_back(pid);
    send_signal(pid, SIGTERM);
  }
  std::vector<pid_t> left = wait_gone(alive, term_wait);
  for (pid_t pid : left) send_signal(pid, SIGKILL);
  // Children left in their groups (an engine's multiprocessing workers)
  // must not outlive the cluster.
  for (pid_t pid : leaders) ::kill(-pid, SIGKILL);
  if (!left.empty()) left = wait_gone(left, kill_wait);
  return left;
}

bool stop_process(pid_t pid, milliseconds term_wait, milliseconds kill_wait) {
  return stop_processes({pid}, term_wait, kill_wait).empty();
}

std::string tail_file(const std::filesystem::path& path, int max_lines) {
  std::ifstream in(path);
  if (!in) return "";
  std::deque<std::string> lines;
  std::string line;
  while (std::getline(in, line)) {
    lines.push_back(std::move(line));
    if (static_cast<int>(lines.size()) > max_lines) lines.pop_front();
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  return out;
}

std::string shell_quote(const std::string& word) {
  if (word.empty()) return "''";
  bool safe = std::all_of(word.begin(), word.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || std::strchr("@%+=:,./-_", c) != nullptr;
  });
  if (safe) return word;
  std::string out = "'";
  for (char c : word) {
    if (c == '\'') out += "'\"'\"'";
    else out += c;
  }
  return out + "'";
}

std::filesystem::path executable_dir() {
  std::error_code ec;
  std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return {};
  return exe.parent_path();
}

}  // namespace ipp::util
