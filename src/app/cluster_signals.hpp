// SPDX-License-Identifier: BSD-3-Clause
// ipcluster's signals, taken synchronously in its loop.
#pragma once

#include <signal.h>

#include <chrono>
#include <functional>

namespace ipp::app {

// Blocks SIGINT, SIGTERM, SIGHUP, SIGUSR1 and SIGUSR2 and takes them with
// sigtimedwait, so that no handler runs in the middle of a launcher call.
// Make it before any thread (zmq's) starts so every thread inherits the
// mask; launched processes get a clean mask (util::spawn_process). The
// destructor restores the previous mask.
class ClusterSignals {
 public:
  ClusterSignals();
  ~ClusterSignals();
  ClusterSignals(const ClusterSignals&) = delete;
  ClusterSignals& operator=(const ClusterSignals&) = delete;

  // The next signal within `timeout`, or 0.
  int wait(std::chrono::milliseconds timeout);
  // Sleeps up to `duration`; returns early with a stopping signal (SIGINT,
  // SIGTERM, SIGHUP), 0 if none came. SIGUSR1/SIGUSR2 go to `relay`.
  int sleep(std::chrono::milliseconds duration, const std::function<void(int)>& relay);

 private:
  sigset_t set_;
  sigset_t old_;
};

}  // namespace ipp::app
