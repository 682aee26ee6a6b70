// SPDX-License-Identifier: BSD-3-Clause
// What the SSH launchers do on one host (see ssh_launcher.hpp), and the
// SSHLauncher fields of their cluster-file state.
#pragma once

#include <chrono>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "ipp/cluster/launcher.hpp"
#include "ipp/cluster/ssh_host.hpp"

namespace ipp::cluster {

// Python's SSHLauncher._strip_home: the local profile directory relative to
// $HOME when it is under it (the remote side then resolves it against the
// remote home), else as is.
std::string default_remote_profile_dir(const std::filesystem::path& profile_dir);

// The launcher's remote profile directory: remote_profile_dir, else the default.
std::string remote_profile_dir(const config::LauncherConfig& config, const std::filesystem::path& profile_dir);

// How often the SSH launchers check their remote processes: 2 s (or
// poll_seconds if smaller). 7.1 waits up to poll_seconds (60) in a remote
// call that returns as soon as the process ends; a `kill -0` over the kept
// connection every 2 s notices about as quickly.
std::chrono::seconds remote_poll_interval(const config::LauncherConfig& config);

// The environment exported in the remote shell (newest ipyparallel):
// IPP_PROFILE_DIR (remote), IPP_CLUSTER_ID, BaseLauncher.environment. The
// connection info (IPP_CONNECTION_INFO, with the key) is left out: a
// command line is readable by every user of the remote host (ps).
std::map<std::string, std::string> remote_environment(const LaunchContext& context,
                                                      const std::string& remote_profile_dir);

// One host's part of the work, shared by the three launchers: the
// connection, the prepared profile directory, the default commands.
class SshSite {
 public:
  // Copies what it needs from both.
  SshSite(config::LauncherConfig config, const LaunchContext& context);

  SshHost& host() { return *host_; }
  const std::string& label() const { return host_->label(); }
  const std::string& remote_profile_dir() const { return remote_profile_dir_; }

  // Connects (throws ssh::SshError naming the host) and creates the remote
  // profile directory with security/ and log/; finds out whether our
  // programs exist there at the local path.
  void prepare();
  // `configured`, else our `program` if the host has it, else
  // <remote_python> -m <module>.
  std::vector<std::string> command(const std::optional<std::vector<std::string>>& configured,
                                   const char* program, const char* module) const;
  // <remote_profile_dir>/log/<name>-<unix time with 4 decimals>.out (7.1's
  // name), made unique within this process.
  std::string new_output_file(const std::string& name) const;
  // Sends (local, remote) pairs; waits up to 10 s for each local file.
  void send(const std::vector<std::pair<std::string, std::string>>& files);
  // Fetches (remote, local) pairs; waits up to 10 s for each remote file.
  void fetch(const std::vector<std::pair<std::string, std::string>>& files);
  // The connection files (client, engine) as (local, remote) pairs.
  std::vector<std::pair<std::string, std::string>> connection_files() const;

 private:
  config::LauncherConfig config_;
  std::filesystem::path profile_dir_;
  std::filesystem::path program_dir_;
  std::string cluster_id_;
  std::unique_ptr<SshHost> host_;
  std::string remote_profile_dir_;
  bool has_our_programs_ = false;
};

// The SSHLauncher fields of to_dict(): ssh_cmd, ssh_args (with "-p <port>"
// when the port came from an engines key, as 7.1 appends it), scp_cmd,
// scp_args ("-P <port>"), hostname, user, remote_output_file,
// remote_profile_dir, remote_python.
void save_ssh_fields(const config::LauncherConfig& config, const std::string& remote_profile_dir,
                     const std::string& remote_output_file, nlohmann::json& into);
// Reads them back into `config` (port: through ssh_args).
void restore_ssh_fields(config::LauncherConfig& config, const nlohmann::json& from, std::string* remote_profile_dir,
                        std::string* remote_output_file);

}  // namespace ipp::cluster
