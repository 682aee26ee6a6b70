// SPDX-License-Identifier: BSD-3-Clause
// ipcluster start / ipcluster engines: launch, wait for the engines to
// register (counted through the controller, so remote and batch engines
// count), then stay in the foreground or leave the cluster running.
#include <signal.h>

#include <chrono>
#include <fstream>
#include <iostream>
#include <regex>
#include <set>

#include <spdlog/spdlog.h>

#include "app/cluster_commands.hpp"
#include "app/cluster_watch.hpp"
#include "ipp/cluster/controller_query.hpp"
#include "ipp/cluster/remote_safety.hpp"
#include "ipp/util/subprocess.hpp"

namespace ipp::app {

using cluster::Cluster;
using cluster::ControllerQuery;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;
namespace fs = std::filesystem;

namespace {

// IPClusterEngines.engines_stopped_early's advice, plus what we know.
void report_early_engine_failure(const Cluster& c, int early_shutdown) {
  std::string msg = "Engines shut down early (within " + std::to_string(early_shutdown) +
                    " s, IPClusterEngines.early_shutdown); they probably failed to connect. See the engine "
                    "logs above.";
  if (c.has_remote_launchers()) {
    msg += " If the controller and engines are not on the same machine, the controller must listen on an "
           "interface other than localhost: add --ip='*' to ipcluster start, or c.Cluster.controller_ip = '*' "
           "to ipcluster_config.py (read the security notes first).";
  }
  spdlog::error("{}", msg);
}

// Stops what this process runs and what other ipcluster processes added to
// the same cluster file (engine sets of `ipcluster engines`).
void stop_everything(Cluster& c, const cluster::ClusterEnvironment& env) {
  c.stop();
  try {
    Cluster rest = Cluster::load(c.cluster_file(), env);
    rest.stop();
  } catch (const cluster::ClusterFileMissing&) {
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
}

// --clean-logs: ip(engine|controller)-*.(log|err|out) in log/, as Python,
// except logs other running clusters of this profile still write to.
void clean_logs(const config::ProfileDir& profile) {
  std::set<std::string> in_use;
  std::function<void(const nlohmann::json&)> collect = [&](const nlohmann::json& j) {
    if (j.is_object()) {
      for (const auto& [k, v] : j.items()) {
        if (k == "output_file" && v.is_string()) in_use.insert(fs::path(v.get<std::string>()).filename().string());
        collect(v);
      }
    }
  };
  for (const auto& f : cluster::cluster_files_in(profile.location)) {
    std::ifstream in(f);
    try {
      collect(nlohmann::json::parse(in));
    } catch (const std::exception&) {
    }
  }
  static const std::regex kLog(R"(ip(engine|controller)-.+\.(log|err|out))");
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(profile.log_dir(), ec)) {
    std::string name = entry.path().filename().string();
    if (!std::regex_match(name, kLog) || in_use.count(name) != 0) continue;
    fs::remove(entry.path(), ec);
  }
}

// Starts one engine set; false (logged) if that failed.
bool start_engine_set(Cluster& c, const config::ClusterOptions& options) {
  try {
    std::string id = c.start_engines(options.n);
    spdlog::info("Engine set {} started: {} engines ({})", id, c.engines_expected(),
                 options.engine_launcher_class.class_name);
    return true;
  } catch (const std::exception& e) {
    spdlog::critical("Engine start failed ({}): {}", options.engine_launcher_class.class_name, e.what());
    return false;
  }
}

int finish_foreground(Outcome outcome, ClusterWatch& w) {
  auto stop = [&w] {
    if (w.engines_only) {
      w.cluster.stop();
    } else {
      stop_everything(w.cluster, w.env);
    }
  };
  switch (outcome) {
    case Outcome::Signalled:
      spdlog::info("Received signal {} ({}): stopping {}", w.signal, ::strsignal(w.signal),
                   w.engines_only ? "the engines" : "the cluster");
      stop();
      return 0;
    case Outcome::StoppedElsewhere:
      spdlog::info("The cluster was stopped by `ipcluster stop` ({})", w.cluster.cluster_file().string());
      stop();
      return 0;
    default:
      stop();
      return 1;
  }
}

// Registration wait common to start and engines. Returns an exit status,
// or -1 to go on.
int await_registration(ClusterWatch& w, const config::ClusterOptions& options, int target) {
  Cluster& c = w.cluster;
  Outcome o = w.wait_for_engines(target, options.engine_timeout);
  switch (o) {
    case Outcome::Ready:
      spdlog::info("All {} engines registered", target);
      return -1;
    case Outcome::TimedOut: {
      int got = std::max(w.last_count, 0);
      spdlog::warn("Only {} of {} engines registered after {} s (Cluster.engine_timeout); still waiting for "
                      "{}:{}",
                      got, target, options.engine_timeout, target - got, describe_engine_sets(c));
      return -1;
    }
    case Outcome::EnginesFailed:
      report_early_engine_failure(c, options.early_shutdown);
      return finish_foreground(o, w);
    case Outcome::ControllerFailed:
      spdlog::error("The controller stopped{}", w.engines_only ? "" : ": stopping the cluster");
      return finish_foreground(o, w);
    default:
      return finish_foreground(o, w);
  }
}

// Foreground after registration: until a signal, the controller stops, or
// (engines) the engine set stops.
int stay_in_foreground(ClusterWatch& w, const config::ClusterOptions& options, Clock::time_point engines_started) {
  Cluster& c = w.cluster;
  const bool engines_only = w.engines_only;
  bool warned_no_engines = false;
  for (;;) {
    std::optional<Outcome> o = w.check_launchers();
    if (o == Outcome::EnginesFailed) {
      bool early = Clock::now() - engines_started < seconds(options.early_shutdown);
      if (early) {
        report_early_engine_failure(c, options.early_shutdown);
        return finish_foreground(*o, w);
      }
      if (engines_only) {
        spdlog::info("The engines stopped");
        c.stop();
        return 0;
      }
      if (!warned_no_engines) spdlog::warn("All engines have stopped; the controller keeps running");
      warned_no_engines = true;
    } else if (o == Outcome::ControllerFailed) {
      if (!engines_only) {
        spdlog::warn("Controller stopped. Shutting down.");
        return finish_foreground(*o, w);
      }
    } else if (o) {
      return finish_foreground(*o, w);
    }
    if (!engines_only) w.registered(c.engines_expected());
    if (w.pause(milliseconds(1000)) != 0) return finish_foreground(Outcome::Signalled, w);
  }
}

}  // namespace

cluster::ClusterEnvironment cluster_environment(const config::LoadedConfig& loaded,
                                                const config::ClusterOptions& options) {
  cluster::ClusterEnvironment env;
  env.work_dir = options.common.work_dir.empty() ? fs::current_path() : options.common.work_dir;
  env.program_dir = util::executable_dir();
  env.loaded = &loaded;
  env.send_engines_connection_env = options.send_engines_connection_env;
  return env;
}

int cluster_start(const config::LoadedConfig& loaded, const config::ClusterOptions& options) {
  const cluster::ClusterEnvironment env = cluster_environment(loaded, options);
  const fs::path file = options.common.profile.cluster_file(options.common.cluster_id);
  if (fs::exists(file)) {
    try {
      Cluster existing = Cluster::load(file, env);
      if (existing.running()) {
        spdlog::critical("Cluster is already running at {}. use `ipcluster stop` to stop the cluster.", file.string());
        return kAlreadyStarted;
      }
      spdlog::info("Removed the stale cluster file {} (nothing in it was running)", file.string());
    } catch (const std::exception& e) {
      spdlog::error("Error loading cluster from file {}: {}. Assuming stopped cluster.", file.string(), e.what());
    }
  }
  if (options.common.clean_logs) clean_logs(options.common.profile);
  if (auto warning = cluster::loopback_warning(options)) spdlog::warn("{}", *warning);

  ClusterSignals signals;  // before any thread starts
  Cluster c(options, env);
  ControllerQuery query(c.client_connection_file());
  ClusterWatch w{c, query, signals, {}, env};
  spdlog::info("Starting ipcluster with [daemonize={}]", options.daemonize ? "True" : "False");
  try {
    c.start_controller();
  } catch (const std::exception& e) {
    spdlog::critical("Cannot start the controller ({}): {}", options.controller_launcher_class.class_name, e.what());
    stop_everything(c, env);
    return 1;
  }
  spdlog::info("Controller started ({}); waiting for it to answer", options.controller_launcher_class.class_name);
  switch (Outcome o = w.wait_for_controller(options.controller_launcher.connection_info_timeout)) {
    case Outcome::Ready:
      break;
    case Outcome::TimedOut:
      spdlog::critical("The controller did not answer within {} s (BaseLauncher.connection_info_timeout): {}{}",
                       options.controller_launcher.connection_info_timeout, query.last_error(),
                       c.controller()->output_file().empty()
                           ? std::string()
                           : "; its log: " + c.controller()->output_file().string());
      return finish_foreground(o, w);
    case Outcome::ControllerFailed:
      spdlog::critical("The controller stopped before it was ready");
      return finish_foreground(o, w);
    default:
      return finish_foreground(o, w);
  }
  if (options.delay > 0) {
    if (w.pause(milliseconds(static_cast<long>(options.delay * 1000))) != 0) {
      return finish_foreground(Outcome::Signalled, w);
    }
  }
  const auto engines_started = Clock::now();
  if (options.n == 0) {
    // A controller alone; `ipcluster engines` adds engines later.
    spdlog::info("No engines requested (-n 0): the controller runs alone");
  } else {
    if (!start_engine_set(c, options)) return finish_foreground(Outcome::EnginesFailed, w);
    int status = await_registration(w, options, c.engines_expected());
    if (status >= 0) return status;
  }
  if (options.daemonize) {
    std::cerr << "Leaving cluster running: " << c.cluster_file().string() << std::endl;
    return 0;
  }
  return stay_in_foreground(w, options, engines_started);
}

int cluster_engines(const config::LoadedConfig& loaded, const config::ClusterOptions& options) {
  const cluster::ClusterEnvironment env = cluster_environment(loaded, options);
  const fs::path file = options.common.profile.cluster_file(options.common.cluster_id);
  if (fs::exists(file)) {
    // One cluster file records one engine launcher class for all its sets.
    try {
      Cluster existing = Cluster::load(file, env);
      if (!existing.engine_sets().empty() &&
          existing.engine_launcher_label() + "EngineSetLauncher" != options.engine_launcher_class.class_name) {
        spdlog::critical("The cluster in {} runs {} engines; its file cannot also record {} engines. Start them "
                         "with --engines={} or use another --cluster-id.",
                         file.string(), existing.engine_sets().front().second->class_name(),
                         options.engine_launcher_class.class_name,
                         existing.engine_sets().front().second->cluster_file_class());
        return 1;
      }
    } catch (const std::exception& e) {
      spdlog::error("Error loading cluster from file {}: {}", file.string(), e.what());
    }
  }
  if (auto warning = cluster::loopback_warning(options)) spdlog::warn("{}", *warning);

  ClusterSignals signals;
  Cluster c(options, env);
  ControllerQuery query(c.client_connection_file());
  ClusterWatch w{c, query, signals, {}, env};
  w.engines_only = true;
  std::optional<std::map<int, std::string>> before = query.engines(milliseconds(2000));
  if (before) w.baseline = static_cast<int>(before->size());
  spdlog::info("Starting engines with [daemonize={}]", options.daemonize ? "True" : "False");
  const auto engines_started = Clock::now();
  if (!start_engine_set(c, options)) {
    c.stop();
    return 1;
  }
  if (before) {
    int status = await_registration(w, options, c.engines_expected());
    if (status >= 0) return status;
  } else {
    spdlog::warn("Cannot count registrations through the controller ({}); watching the engine processes only",
                    query.last_error());
  }
  if (options.daemonize) {
    std::cerr << "Leaving engines running: " << c.cluster_file().string() << std::endl;
    return 0;
  }
  return stay_in_foreground(w, options, engines_started);
}

}  // namespace ipp::app
