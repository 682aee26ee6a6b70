// SPDX-License-Identifier: BSD-3-Clause
// What ipcluster starts and stops: one controller and engine sets, each
// through a Launcher (ipyparallel's cluster/launcher.py BaseLauncher).
//
// How to add a launcher
// ---------------------
//  1. In src/cluster/<kind>_launcher.cpp, subclass ControllerLauncher or
//     EngineSetLauncher and implement start(), stop(), signal() and poll().
//     Extend to_dict()/from_dict() with the fields Python's launcher of the
//     same class saves (connection-files.md section 7; call the base first),
//     so that Python's `ipcluster list/stop` and Cluster.from_file() read
//     clusters we started and we read theirs.
//  2. Append one row {kind, role, make<YourLauncher>} to the table in
//     src/cluster/launcher_registry.cpp (and include your header there).
//     Every spelling of the class (entry-point name "pbs", 0.12 short name
//     "PBS", "ipyparallel.cluster.launcher.PBSEngineSetLauncher", ...) then
//     resolves to it through config::resolve_launcher_class.
// Useful helpers: controller_command()/engine_command()/cluster_args() below,
// local_process.hpp (SingleProcessLauncher: a launcher that is one local
// process, e.g. mpiexec), util/subprocess.hpp (spawn, watch, stop),
// util/captured_process.hpp (run a command and capture its output).
// ipcluster counts engine registrations through the controller, so a set
// whose engines are remote or batch jobs only needs n() (and hosts() for
// "still waiting" messages). Launchers never exit the process and never
// throw from stop().
#pragma once

#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "ipp/config/cluster_options.hpp"
#include "ipp/util/error.hpp"

namespace ipp::cluster {

// Thrown by from_dict() when the saved processes/jobs are gone (Python's
// launcher.NotRunning): the launcher is dropped from the cluster file.
class NotRunning : public Error {
 public:
  using Error::Error;
};

// Python's BaseLauncher.state: "before" start(), "running", "after" stop.
enum class LauncherState { Before, Running, After };
const char* launcher_state_name(LauncherState state);
LauncherState parse_launcher_state(const std::string& name);  // unknown -> Before

// Everything a launcher needs besides its own traits. Plain value.
struct LaunchContext {
  // The launcher class's resolved traits (controller_cmd, engine_args,
  // mpi_args, queue, batch_template, ...). For the controller,
  // config.controller_args already holds Cluster.controller_args, --ip and
  // --location, as Cluster.start_controller appends them.
  config::LauncherConfig config;
  std::filesystem::path profile_dir;
  std::string cluster_id;
  // Engine sets: key in the cluster file's engines.sets ("<unix time>").
  std::string engine_set_id;
  // Engine sets: engines to start. nullopt: Cluster.n was not given; the
  // launcher decides (local: CPU count; SSH: everything its engines dict
  // names). Set again from the saved "n" by from_dict().
  std::optional<int> n;
  // ipcluster's working directory (--work-dir): cwd of started processes,
  // where batch scripts are written.
  std::filesystem::path work_dir;
  // Where our ipcontroller/ipengine live (next to ipcluster): the default
  // commands when controller_cmd / engine_cmd are not configured.
  std::filesystem::path program_dir;
  // Extra environment of started processes: IPP_PROFILE_DIR,
  // IPP_CLUSTER_ID, IPP_CONNECTION_INFO (engines), then
  // config.environment (BaseLauncher.environment).
  std::map<std::string, std::string> environment;
  // SSHEngineSetLauncher: the hosts of its engines dict, in dict order.
  std::vector<config::SSHEngineHost> ssh_engines;
  // The loaded configuration, for launchers that resolve other classes
  // (SSHEngineSetLauncher builds SSHEngineLaunchers). May be null (restored
  // from a cluster file by `ipcluster stop`/`list` without config).
  const config::LoadedConfig* loaded = nullptr;
  std::shared_ptr<spdlog::logger> log;  // never null once made by the registry
};

// One process or job that ended, for error messages.
struct ProcessExit {
  std::string identifier;  // "0", "host1/2", a job id
  std::string host;        // "" = this machine
  std::string status;      // "exited with status 1", "killed by signal 9 (Killed)"
  std::filesystem::path output_file;  // its log ("" if none or remote)
  std::string output_tail;            // last lines of that log, may be ""
};

// Starts, stops and watches one thing (a process, a set of processes, a
// batch job). Used from one thread (ipcluster's main loop); not thread-safe.
class Launcher {
 public:
  explicit Launcher(LaunchContext context);
  virtual ~Launcher();
  Launcher(const Launcher&) = delete;
  Launcher& operator=(const Launcher&) = delete;

  // Requests the start and returns (the process need not be up yet); state
  // becomes Running. Throws ipp::Error saying what failed (command not
  // found, submit command failed with its output, host refused ssh) after
  // undoing whatever it started.
  virtual void start() = 0;
  // Stops everything started and returns once it is gone: local processes
  // get SIGTERM, SIGKILL after config.stop_seconds_until_kill; batch jobs
  // the delete command; remote processes kill over ssh. State becomes After.
  // Never throws: failures are logged (a process already gone is no failure).
  virtual void stop() = 0;
  // Sends a signal to every process (batch: signal_command). Never throws.
  virtual void signal(int sig) = 0;
  // Non-blocking liveness check; true while anything is still running (or
  // queued). When everything has ended, records why (exits()) and sets
  // state After. Cheap for local processes; remote launchers may rate-limit
  // the real check with config.poll_seconds and return the last answer.
  virtual bool poll() = 0;

  // The launcher's state as Python's to_dict() writes it: profile_dir,
  // cluster_id, state, plus the subclass's fields (pid, output_file, n,
  // job_id, engines, ...). Subclasses call the base and add to it.
  virtual nlohmann::json to_dict() const;
  // Restores what to_dict() saved, leaving the launcher as after start()
  // (watching the processes). Throws NotRunning if nothing saved is alive,
  // ipp::Error for a malformed dict. Subclasses call the base first.
  virtual void from_dict(const nlohmann::json& state);

  // Where its processes write stdout/stderr, for "see <log>" in messages
  // ("" when there is no single local file).
  virtual std::filesystem::path output_file() const { return {}; }
  // Processes/jobs that have ended, with status and log (for messages).
  virtual std::vector<ProcessExit> exits() const { return {}; }
  // True when its processes may run on other hosts than this one (SSH,
  // batch, MPI with a host list): the controller must then listen on an
  // address those hosts can reach.
  virtual bool remote() const { return false; }

  // The value of "class" in the cluster file: the 7.1 entry-point name
  // ("local", "ssh", "pbs", ...) or the full "ipyparallel.cluster.launcher.X"
  // path for classes without one (PBSEngineSetLauncher in 7.1).
  std::string cluster_file_class() const;
  // The ipyparallel class name, e.g. "LocalEngineSetLauncher".
  const std::string& class_name() const { return context_.config.launcher.class_name; }
  LauncherState state() const { return state_; }
  bool running() const { return state_ == LauncherState::Running; }
  const LaunchContext& context() const { return context_; }

 protected:
  void set_state(LauncherState state) { state_ = state; }
  spdlog::logger& log() const { return *context_.log; }

  LaunchContext context_;

 private:
  LauncherState state_ = LauncherState::Before;
};

// ControllerLauncher: starts ipcontroller (Cluster.controller).
class ControllerLauncher : public Launcher {
 public:
  using Launcher::Launcher;
};

// EngineSetLauncher: starts n engines as one unit (Cluster.engines[id]).
class EngineSetLauncher : public Launcher {
 public:
  using Launcher::Launcher;

  // Engines this set starts (after start()) or started (restored); the
  // cluster file's "n". Progress counts registrations against the sum of
  // these, through the controller, so remote and batch engines count too.
  virtual int n() const { return context_.n.value_or(0); }
  // Hosts the engines were started on, with how many each, for "late"
  // reports ({"": n} = this machine; batch: {"<job id>": n}).
  virtual std::vector<std::pair<std::string, int>> hosts() const { return {{"", n()}}; }
  // Engines known to be still starting (running, not registered yet), for
  // "still waiting for" messages; empty when the launcher cannot tell.
  virtual std::vector<std::string> late_engines() const { return {}; }

  nlohmann::json to_dict() const override;  // adds "n"
  void from_dict(const nlohmann::json& state) override;
};

// --profile-dir <dir> --cluster-id <id> (BaseLauncher.cluster_args, 7.1).
std::vector<std::string> cluster_args(const LaunchContext& context);
// config.controller_cmd, else our ipcontroller next to ipcluster.
std::vector<std::string> controller_command(const LaunchContext& context);
// config.engine_cmd, else our ipengine next to ipcluster.
std::vector<std::string> engine_command(const LaunchContext& context);

}  // namespace ipp::cluster
