// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/config/common_options.hpp"
#include "ipp/config/config.hpp"
#include "ipp/config/launcher_class.hpp"

namespace ipp::config {

struct LoadedConfig;

// The configuration one launcher class sees, resolved along its Python MRO
// as traitlets does (c.SSHLauncher.user applies to SSHEngineSetLauncher and
// SSHControllerLauncher unless they set it; c.PBSLauncher.queue applies to
// PBSEngineSetLauncher; c.BatchSystemLauncher.* to every batch launcher;
// c.LocalEngineSetLauncher.delay to SSHEngineSetLauncher, whose MRO includes
// it). Fields a class does not have keep their defaults; defaults are the
// class's own (PBS submit_command ["qsub"], SSH poll_seconds 60, ...).
struct LauncherConfig {
  LauncherClass launcher;

  // BaseLauncher
  int stop_timeout = 60;
  int output_limit = 100;
  nlohmann::json environment = nlohmann::json::object();  // newest: extra child environment
  double connection_info_timeout = 60.0;                  // newest
  // LocalProcessLauncher
  int poll_seconds = 30;  // SSH launchers: 60
  int stop_seconds_until_kill = 5;
  // ControllerLauncher / EngineLauncher. nullopt: the launcher's own default
  // command (our ipcontroller / ipengine; over SSH <remote_python> -m ...).
  std::optional<std::vector<std::string>> controller_cmd;
  std::vector<std::string> controller_args;
  std::optional<std::vector<std::string>> engine_cmd;
  std::vector<std::string> engine_args;  // 7.1 default ["--log-level=20"]
  // LocalEngineSetLauncher
  double delay = 0.1;
  // MPILauncher
  std::vector<std::string> mpi_cmd{"mpiexec"};
  std::vector<std::string> mpi_args;
  // SSHLauncher
  std::vector<std::string> ssh_cmd{"ssh"};
  std::vector<std::string> ssh_args;
  std::vector<std::string> scp_cmd{"scp"};
  std::vector<std::string> scp_args;
  std::string hostname;
  std::string user;
  std::string location;  // user@hostname in one setting
  std::optional<int> port;  // from an engines key "host:port"
  std::string remote_profile_dir;  // "" = local profile dir relative to $HOME
  std::string remote_python = "python3";
  // (local, remote) / (remote, local) pairs. nullopt: not configured, the
  // launcher sends/fetches the connection files; [] disables (shared FS).
  std::optional<std::vector<std::pair<std::string, std::string>>> to_send;
  std::optional<std::vector<std::pair<std::string, std::string>>> to_fetch;
  // SSHProxyEngineSetLauncher
  std::optional<std::vector<std::string>> ipcluster_cmd;
  std::vector<std::string> ipcluster_args;
  // BatchSystemLauncher and subclasses
  std::vector<std::string> submit_command;
  std::vector<std::string> delete_command;
  std::vector<std::string> signal_command;
  std::string job_id_regexp;
  int job_id_regexp_group = 0;
  std::string batch_template;       // "" = batch_template_file, else the default template
  std::string batch_template_file;
  std::string batch_file_name;
  std::string queue;
  nlohmann::json namespace_ = nlohmann::json::object();  // extra template variables
  std::string output_file;          // newest
  // SlurmLauncher
  std::string account;
  std::string qos;
  std::string timelimit;  // traitlets Any: numbers are written as text
  std::string options;
  // WindowsHPCLauncher
  std::string job_file_name;
  std::string scheduler;
  std::string job_cmd;

  // Every trait of the class as resolved (configured values converted,
  // defaults otherwise), for launchers that need a trait not modelled above.
  nlohmann::json traits = nlohmann::json::object();
  // Traits configured (rather than defaulted), with where they were set.
  std::vector<std::pair<std::string, std::string>> configured;  // (trait, "file:line")
};

// One entry of SSHEngineSetLauncher.engines, in dict order. Accepted forms:
//   "host": 2                                   n engines
//   "user@host:2222": 4                         user and ssh port in the key
//   "host": (1, ["--profile-dir=/x"])           IPython 0.x (n, engine_args)
//   "host": {"n": 3, "engine_args": [...], "engine_cmd": [...], <any
//            SSHEngineLauncher trait>: ...}      per-host overrides
struct SSHEngineHost {
  std::string key;  // as written
  std::string host;
  std::string user;  // "" unless in the key
  std::optional<int> port;
  int n = 1;
  nlohmann::json overrides = nlohmann::json::object();  // per-host traits as written
  // The SSHEngineLauncher for this host, as SSHEngineSetLauncher.start()
  // builds it: SSHEngineLauncher's own config, the set's resolved values of
  // every shared trait except location/user/hostname/to_send/to_fetch,
  // then the overrides, then hostname/user/port from the key.
  LauncherConfig launcher;
};

// Everything ipcluster reads (config-and-cli.md sections 5 and 6).
struct ClusterOptions {
  CommonOptions common;
  std::string subcommand;  // start, stop, engines, list, clean, nbextension

  // Cluster
  std::optional<int> n;  // None: the launcher decides (CPU count for local)
  double delay = 1.0;
  LauncherClass engine_launcher_class;      // default local (LocalEngineSetLauncher)
  LauncherClass controller_launcher_class;  // default local (LocalControllerLauncher)
  // Cluster.controller_args, then the command line's positional words and
  // everything after `--`. (7.1 replaces the configured list with the
  // command-line words, even when there are none; we keep both.)
  std::vector<std::string> controller_args;
  std::string controller_ip;        // adds --ip=<v> to the controller's arguments
  std::string controller_location;  // adds --location=<v>
  int engine_timeout = 60;
  bool load_profile = true;
  bool send_engines_connection_env = true;  // newest

  // IPClusterEngines / IPClusterStart
  bool daemonize = false;
  int early_shutdown = 30;
  // IPClusterStop
  bool stop_all = false;
  int stop_signal = 2;
  std::vector<std::string> cluster_ids;  // `ipcluster stop <ids>`
  // IPClusterList
  std::string output_format = "text";
  // IPClusterClean
  bool clean_force = false;
  bool clean_all_profiles = false;
  // IPClusterNBExtension
  bool nbextension_user = false;
  std::string nbextension_action;  // "enable" / "disable"

  LauncherConfig engine_launcher;
  LauncherConfig controller_launcher;
  // SSHEngineSetLauncher only: the hosts to start engines on.
  std::vector<SSHEngineHost> ssh_engines;

  std::vector<Diagnostic> not_implemented;  // e.g. Windows HPC launchers
  std::vector<Diagnostic> notes;            // old launcher spellings and the like
};

// Resolves the configuration of any launcher class (by its class name) from
// a loaded configuration; used for the chosen launchers and by launchers
// that create others.
LauncherConfig resolve_launcher_config(const LoadedConfig& loaded, const LauncherClass& launcher);

// SSHEngineSetLauncher.engines parsed into hosts, in dict order, whichever
// launcher is selected (build_cluster_options fills ClusterOptions::ssh_engines
// only for the SSH engine launcher). Notes (e.g. an empty host name) are
// appended to `notes` when given. Throws ipp::Error naming file and line for
// malformed entries.
std::vector<SSHEngineHost> resolve_ssh_engines(const LoadedConfig& loaded,
                                               std::vector<Diagnostic>* notes = nullptr);

// Throws ipp::Error naming file and line for unknown launcher names, values
// of the wrong type, malformed engines entries.
ClusterOptions build_cluster_options(const LoadedConfig& loaded);

}  // namespace ipp::config
