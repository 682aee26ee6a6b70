// SPDX-License-Identifier: BSD-3-Clause
#include "app/cluster_signals.hpp"

#include <pthread.h>

namespace ipp::app {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

ClusterSignals::ClusterSignals() {
  sigemptyset(&set_);
  for (int s : {SIGINT, SIGTERM, SIGHUP, SIGUSR1, SIGUSR2}) sigaddset(&set_, s);
  pthread_sigmask(SIG_BLOCK, &set_, &old_);
}

ClusterSignals::~ClusterSignals() { pthread_sigmask(SIG_SETMASK, &old_, nullptr); }

int ClusterSignals::wait(milliseconds timeout) {
  timespec ts{static_cast<time_t>(timeout.count() / 1000), static_cast<long>(timeout.count() % 1000) * 1000000L};
  int s = sigtimedwait(&set_, nullptr, &ts);
  return s > 0 ? s : 0;
}

int ClusterSignals::sleep(milliseconds duration, const std::function<void(int)>& relay) {
  const auto until = Clock::now() + duration;
  for (;;) {
    auto left = std::chrono::duration_cast<milliseconds>(until - Clock::now());
    if (left.count() <= 0) return 0;
    int s = wait(left);
    if (s == SIGUSR1 || s == SIGUSR2) {
      relay(s);
    } else if (s != 0) {
      return s;
    }
  }
}

}  // namespace ipp::app
