// SPDX-License-Identifier: BSD-3-Clause
// One host the SSH launchers start processes on, over the built-in SSH
// client (ssh/): a connection opened on first use and reused for every
// command and file copy of the launchers on that host (Python runs one
// `ssh`/`scp` process per step).
#pragma once

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "ipp/config/cluster_options.hpp"
#include "ipp/ssh/remote_command.hpp"
#include "ipp/ssh/session.hpp"

namespace ipp::ssh {
class SftpClient;
}

namespace ipp::cluster {

// How to reach a launcher's host: SSHLauncher.hostname/user/location, the
// port of an engines key ("host:2222"), and what ssh_args/scp_args say that
// a built-in client can honour (-p/-P, -l, -i, -F, -o Port/User/
// IdentityFile/StrictHostKeyChecking/UserKnownHostsFile/ConnectTimeout).
// ssh_cmd/scp_cmd are not run: the built-in client replaces them.
struct SshTarget {
  ssh::SessionOptions options;
  // ssh_args/scp_args words that have no meaning here (for a warning).
  std::vector<std::string> ignored;
};

// Throws ipp::Error naming the class when no host is configured.
SshTarget ssh_target(const config::LauncherConfig& config);

// Not thread-safe (one launcher loop uses it).
class SshHost {
 public:
  explicit SshHost(ssh::SessionOptions options);
  ~SshHost();
  SshHost(const SshHost&) = delete;
  SshHost& operator=(const SshHost&) = delete;

  // "user@host:port" as configured (before ~/.ssh/config), for messages.
  const std::string& label() const { return label_; }

  // Connects now if not connected; throws ssh::SshError.
  void connect();
  // Runs a shell command (see ssh::run_command). A connection that broke
  // since the last use is reopened once.
  ssh::CommandResult run(const std::string& command, std::chrono::milliseconds timeout);
  // SFTP copies (see ssh::SftpClient).
  void put(const std::filesystem::path& local, const std::string& remote);
  void get(const std::string& remote, const std::filesystem::path& local);
  void close();

 private:
  template <class F>
  auto with_session(F&& f) -> decltype(f());
  ssh::SftpClient& sftp();

  ssh::SessionOptions options_;
  std::string label_;
  std::unique_ptr<ssh::Session> session_;
  std::unique_ptr<ssh::SftpClient> sftp_;
};

}  // namespace ipp::cluster
