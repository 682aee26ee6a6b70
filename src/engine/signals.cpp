// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/engine/signals.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <string>
#include <string_view>
#include <utility>

#include "ipp/util/error.hpp"

namespace ipp::engine {
namespace {

int g_pipe[2] = {-1, -1};
pid_t g_owner_pid = 0;

void on_signal(int sig) {
  if (::getpid() != g_owner_pid) {
    // A child forked by user code (multiprocessing.Pool workers get
    // SIGTERM from terminate()): act as if no handler was installed,
    // instead of telling the engine's control thread to stop.
    ::signal(sig, SIG_DFL);
    ::raise(sig);
    return;
  }
  int saved = errno;
  notify_signal(sig);
  errno = saved;
}

void check(int rc, const char* call) {
  if (rc != 0) throw Error(std::string(call) + ": " + std::strerror(errno));
}

struct SignalName {
  std::string_view name;
  int number;
};

// The names Python's signal module defines on Linux.
constexpr std::array<SignalName, 31> kSignals{{
    {"SIGHUP", SIGHUP},     {"SIGINT", SIGINT},       {"SIGQUIT", SIGQUIT},
    {"SIGILL", SIGILL},     {"SIGTRAP", SIGTRAP},     {"SIGABRT", SIGABRT},
    {"SIGIOT", SIGIOT},     {"SIGBUS", SIGBUS},       {"SIGFPE", SIGFPE},
    {"SIGKILL", SIGKILL},   {"SIGUSR1", SIGUSR1},     {"SIGSEGV", SIGSEGV},
    {"SIGUSR2", SIGUSR2},   {"SIGPIPE", SIGPIPE},     {"SIGALRM", SIGALRM},
    {"SIGTERM", SIGTERM},   {"SIGCHLD", SIGCHLD},     {"SIGCONT", SIGCONT},
    {"SIGSTOP", SIGSTOP},   {"SIGTSTP", SIGTSTP},     {"SIGTTIN", SIGTTIN},
    {"SIGTTOU", SIGTTOU},   {"SIGURG", SIGURG},       {"SIGXCPU", SIGXCPU},
    {"SIGXFSZ", SIGXFSZ},   {"SIGVTALRM", SIGVTALRM}, {"SIGPROF", SIGPROF},
    {"SIGWINCH", SIGWINCH}, {"SIGIO", SIGIO},         {"SIGPWR", SIGPWR},
    {"SIGSYS", SIGSYS},
}};

}  // namespace

void install_signal_pipe() {
  if (g_pipe[0] >= 0) return;
  g_owner_pid = ::getpid();
  check(::pipe2(g_pipe, O_NONBLOCK | O_CLOEXEC), "pipe2");
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  action.sa_flags = 0;  // no SA_RESTART: interrupted calls see EINTR
  check(::sigaction(SIGTERM, &action, nullptr), "sigaction(SIGTERM)");
  struct sigaction ignore {};
  ignore.sa_handler = SIG_IGN;
  sigemptyset(&ignore.sa_mask);
  check(::sigaction(SIGPIPE, &ignore, nullptr), "sigaction(SIGPIPE)");
}

int signal_pipe_fd() { return g_pipe[0]; }

void notify_signal(int sig) {
  if (g_pipe[1] < 0 || ::getpid() != g_owner_pid) return;
  unsigned char byte = static_cast<unsigned char>(sig);
  [[maybe_unused]] ssize_t n = ::write(g_pipe[1], &byte, 1);
}

std::vector<int> read_signals() {
  std::vector<int> out;
  if (g_pipe[0] < 0) return out;
  unsigned char buf[64];
  for (;;) {
    ssize_t n = ::read(g_pipe[0], buf, sizeof buf);
    if (n <= 0) break;
    for (ssize_t i = 0; i < n; ++i) out.push_back(buf[i]);
  }
  return out;
}

std::thread start_thread_without_signals(std::function<void()> fn) {
  sigset_t all;
  sigset_t previous;
  sigfillset(&all);
  ::pthread_sigmask(SIG_SETMASK, &all, &previous);
  std::thread thread(std::move(fn));  // inherits the full mask
  ::pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return thread;
}

int signal_number(const std::string& name) {
  if (name.empty()) return -1;
  bool digits = true;
  for (char c : name) digits = digits && c >= '0' && c <= '9';
  if (digits) {
    if (name.size() > 3) return -1;
    int n = std::stoi(name);
    return n >= 1 && n < NSIG ? n : -1;
  }
  for (const auto& s : kSignals) {
    if (s.name == name) return s.number;
  }
  return -1;
}

}  // namespace ipp::engine
