// SPDX-License-Identifier: BSD-3-Clause
// One cluster: a controller launcher, engine sets, and the cluster file
// <profile>/security/cluster-<cluster_id>.json that describes them, in the
// format of Python's Cluster.to_dict() (connection-files.md section 7), so
// Python's `ipcluster list/stop` and Cluster.from_file() read ours and we
// read theirs.
#pragma once

#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/cluster/launcher.hpp"
#include "ipp/config/cluster_options.hpp"

namespace ipp::cluster {

// Thrown by Cluster::load when there is no cluster file (ipcluster stop
// exits 11 for it).
class ClusterFileMissing : public Error {
 public:
  using Error::Error;
};

// The saved Cluster traits (the file's "cluster" section).
struct ClusterSettings {
  std::filesystem::path profile_dir;
  std::string cluster_id;
  std::vector<std::string> controller_args;
  std::string controller_ip;
  std::string controller_location;
  double delay = 1.0;
  std::optional<int> n;
};

// What every launcher of this ipcluster run shares (see LaunchContext).
struct ClusterEnvironment {
  std::filesystem::path work_dir;
  std::filesystem::path program_dir;
  // Configuration for launcher traits (stop_seconds_until_kill, ...); may be
  // null, then launchers restored from a file use their defaults.
  const config::LoadedConfig* loaded = nullptr;
  bool send_engines_connection_env = true;
};

class Cluster {
 public:
  // A cluster to start from the options of `ipcluster start/engines`.
  Cluster(const config::ClusterOptions& options, ClusterEnvironment environment);

  // Reads a cluster file (Cluster.from_file): restores the controller and
  // engine sets; launchers whose processes are gone are dropped with an
  // error in the log, and the file is then rewritten, or removed when
  // nothing runs any more (as Python's from_dict does). Throws
  // ClusterFileMissing when there is no file, ipp::Error naming the file for
  // unreadable JSON or a malformed structure.
  static Cluster load(const std::filesystem::path& cluster_file, ClusterEnvironment environment);

  Cluster(Cluster&&) noexcept;
  Cluster& operator=(Cluster&&) noexcept;
  ~Cluster();

  const ClusterSettings& settings() const { return settings_; }
  const std::filesystem::path& cluster_file() const { return cluster_file_; }
  std::filesystem::path client_connection_file() const;
  std::filesystem::path engine_connection_file() const;

  // Starts the controller with Cluster.controller_args, --ip and --location
  // added to the launcher's controller_args; writes the cluster file.
  // Throws ipp::Error (the launcher's) on failure.
  void start_controller();
  // Starts an engine set of `n` engines (nullopt: Cluster.n, else the
  // launcher's default); writes the cluster file; returns its id. Throws
  // ipp::Error; the failed set is not kept.
  std::string start_engines(std::optional<int> n);

  // Stops the engine sets, then the controller (engines first, so they do
  // not log a lost controller), and removes the cluster file. Never throws.
  void stop();
  void stop_engines(const std::string& engine_set_id);
  void signal_engines(int sig);

  // Polls every launcher; rewrites the file when one has stopped. Returns
  // the ids of engine sets that stopped since the last call ("controller"
  // for the controller).
  std::vector<std::string> poll();

  bool running() const;  // a controller or engine set is running
  // This object wrote the cluster file and someone else has removed it
  // since (`ipcluster stop` removes it before it stops the processes).
  bool file_removed_elsewhere() const;
  ControllerLauncher* controller() const { return controller_.get(); }
  const std::vector<std::pair<std::string, std::unique_ptr<EngineSetLauncher>>>& engine_sets() const {
    return engines_;
  }
  // Sum of n over the running engine sets.
  int engines_expected() const;
  // The engine launcher class's short name for `ipcluster list`: the class
  // name without "EngineSetLauncher" ("Local", "SSH", "PBS").
  std::string engine_launcher_label() const;
  // True when any launcher may run processes on other hosts.
  bool has_remote_launchers() const;

  nlohmann::json to_dict() const;
  // Writes the file (atomically) while anything runs, removes it otherwise.
  // Engine sets other ipcluster processes added to the file meanwhile
  // (`ipcluster engines`) are kept. A file this object wrote that has since
  // been removed (`ipcluster stop`) is not written again.
  void update_cluster_file();

 private:
  Cluster() = default;
  LaunchContext base_context(const config::LauncherConfig& launcher) const;

  ClusterSettings settings_;
  ClusterEnvironment environment_;
  std::filesystem::path cluster_file_;
  config::LauncherClass controller_class_;
  config::LauncherClass engine_class_;
  config::LauncherConfig controller_config_;
  config::LauncherConfig engine_config_;
  std::vector<config::SSHEngineHost> ssh_engines_;
  std::unique_ptr<ControllerLauncher> controller_;
  // Started or restored by this object; otherwise the file's controller
  // (and "cluster" section) belong to another ipcluster and are kept.
  bool owns_controller_ = false;
  std::vector<std::pair<std::string, std::unique_ptr<EngineSetLauncher>>> engines_;
  // Engine sets this object stopped or saw stop: not re-added from the file.
  std::vector<std::string> gone_sets_;
  // This object wrote the file (and has not removed it): if it is gone,
  // someone else removed it and it is not written again.
  bool wrote_file_ = false;
};

// The cluster files of a profile directory (security/cluster-*.json).
std::vector<std::filesystem::path> cluster_files_in(const std::filesystem::path& profile_dir);

}  // namespace ipp::cluster
