// SPDX-License-Identifier: BSD-3-Clause
// What `ipcluster start` and `ipcluster engines` watch while they run:
// the launchers (ended processes, with their logs), the controller (engine
// registrations, counted through it), signals, and the cluster file
// (`ipcluster stop` from elsewhere).
#pragma once

#include <chrono>
#include <optional>
#include <set>
#include <string>

#include <spdlog/spdlog.h>

#include "app/cluster_signals.hpp"
#include "ipp/cluster/cluster.hpp"
#include "ipp/cluster/controller_query.hpp"

namespace ipp::app {

// Logs each ended process once, with its status, log path and last lines.
class ExitReporter {
 public:
  void report(const cluster::Cluster& c, spdlog::level::level_enum level);

 private:
  std::set<std::string> seen_;
};

// "engine set <id> (<class>): 2 on host1, ..." plus the engines known to be
// late, one line each, for "still waiting" messages.
std::string describe_engine_sets(const cluster::Cluster& c);

enum class Outcome { Ready, TimedOut, EnginesFailed, ControllerFailed, Signalled, StoppedElsewhere };

struct ClusterWatch {
  cluster::Cluster& cluster;
  cluster::ControllerQuery& query;
  ClusterSignals& signals;
  ExitReporter exits;
  const cluster::ClusterEnvironment& env;
  bool engines_only = false;  // ipcluster engines: stop only our engine set
  int baseline = 0;           // engines registered before ours started
  int last_count = -1;
  int signal = 0;             // the stopping signal received

  // Passes SIGUSR1/SIGUSR2 to the engines.
  void relay(int sig);
  // Returns a stopping signal (also kept in `signal`), or 0 after `interval`.
  int pause(std::chrono::milliseconds interval);
  // Whether the cluster file still records what this process runs: `ipcluster
  // stop` (ours or Python's) removes it from the file (or the file) while
  // stopping the processes; this process drops its entries only after it
  // has seen them stop.
  bool recorded_in_file() const;
  // Polls the launchers and reports ended processes; an outcome when the
  // controller or every engine set has stopped.
  std::optional<Outcome> check_launchers();
  // Registered engines minus the baseline, logging changes; nullopt when
  // the controller does not answer.
  std::optional<int> registered(int target);
  // Until the controller answers a connection_request.
  Outcome wait_for_controller(double timeout_seconds);
  // Until `target` engines registered (0 = no timeout), with a progress line
  // every 10 s.
  Outcome wait_for_engines(int target, int timeout_seconds);
};

}  // namespace ipp::app
