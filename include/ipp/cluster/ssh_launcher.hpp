// SPDX-License-Identifier: BSD-3-Clause
// SSHControllerLauncher, SSHEngineSetLauncher (with one SSHEngineLauncher
// per engine) and SSHProxyEngineSetLauncher (cluster/launcher.py,
// config-and-cli.md section 6), on the built-in SSH client.
//
// Per process, as 7.1 does it: create the remote profile directory, send
// `to_send` (engines: both connection files, from the first engine of each
// host; [] = shared file system), start `nohup <cmd> > <remote_output_file>
// 2>&1 </dev/null &` and read back __remote_pid=<pid>__, fetch `to_fetch`
// (controller: both connection files, waiting up to 10 s for them). Then:
// liveness by `kill -0` over the kept connection (7.1 runs `python3 -c
// ssh_waitpid` over a new ssh each time), stop by SIGTERM then SIGKILL
// (7.1 only signals), signals relayed with `kill`.
//
// Deliberate differences from 7.1:
//  - One SSH connection per host for all steps and engines; every host is
//    connected before anything starts, so an unreachable host or a bad key
//    fails `ipcluster start` at once, naming the host, with nothing left
//    running.
//  - The remote profile directory is made with `mkdir -p` (7.1 runs
//    `<remote_python> -m IPython profile create`, one Python start per engine).
//  - Default commands: our ipcontroller/ipengine/ipcluster when the remote
//    host has them at the path they have here (a shared file system), else
//    <remote_python> -m ipyparallel.controller/engine/cluster as in 7.1.
//  - SSHEngineSetLauncher without -n starts every engine of its `engines`
//    dict (7.1 caps the total at this machine's CPU count); -n N is still an
//    upper limit.
//  - ssh_cmd/scp_cmd are not run; ssh_args/scp_args are read for the options
//    a built-in client can honour (see ssh_host.hpp), others are warned about.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ipp/cluster/launcher.hpp"
#include "ipp/cluster/remote_process.hpp"
#include "ipp/cluster/ssh_site.hpp"

namespace ipp::cluster {

// A launcher that is one remote process (the controller; ipcluster engines
// for SSHProxyEngineSetLauncher).
template <class Base>
class SingleRemoteProcessLauncher : public Base {
 public:
  using Base::Base;

  void stop() override;
  void signal(int sig) override;
  bool poll() override;
  nlohmann::json to_dict() const override;
  void from_dict(const nlohmann::json& state) override;
  std::vector<ProcessExit> exits() const override;
  bool remote() const override { return true; }

 protected:
  // After site().prepare(): sends `to_send`, starts argv, state Running.
  // Throws (ipp::Error / ssh::SshError naming the host) with nothing started.
  void start_remote(const std::vector<std::string>& argv, const std::string& name,
                    const std::vector<std::pair<std::string, std::string>>& to_send);
  SshSite& site();

  std::unique_ptr<SshSite> site_;
  RemoteProcess process_;
  std::string remote_profile_dir_;
  std::chrono::steady_clock::time_point next_poll_{};
  int failed_polls_ = 0;
};

class SSHControllerLauncher : public SingleRemoteProcessLauncher<ControllerLauncher> {
 public:
  using SingleRemoteProcessLauncher::SingleRemoteProcessLauncher;
  void start() override;
};

class SSHProxyEngineSetLauncher : public SingleRemoteProcessLauncher<EngineSetLauncher> {
 public:
  using SingleRemoteProcessLauncher::SingleRemoteProcessLauncher;
  void start() override;
  std::vector<std::pair<std::string, int>> hosts() const override;
};

// n engines spread over the hosts of SSHEngineSetLauncher.engines; engine
// identifiers are "<key>/<i>" (the key as written: "alice@host:2222/0").
class SSHEngineSetLauncher : public EngineSetLauncher {
 public:
  using EngineSetLauncher::EngineSetLauncher;
  ~SSHEngineSetLauncher() override;

  void start() override;
  void stop() override;
  void signal(int sig) override;
  bool poll() override;
  nlohmann::json to_dict() const override;
  void from_dict(const nlohmann::json& state) override;
  std::vector<ProcessExit> exits() const override;
  std::vector<std::pair<std::string, int>> hosts() const override;
  bool remote() const override { return true; }

 private:
  struct Engine {
    std::string identifier;  // "<key>/<i>"
    std::string site;        // key of sites_
    config::LauncherConfig config;
    std::string remote_profile_dir;
    RemoteProcess process;
  };
  struct Site {
    std::unique_ptr<SshSite> site;
    std::chrono::steady_clock::time_point next_poll{};
    std::chrono::steady_clock::time_point failing_since{};
    bool failing = false;
  };
  Site& site_for(const config::LauncherConfig& config);
  void poll_site(Site& site);

  std::vector<Engine> engines_;
  std::map<std::string, Site> sites_;
};

}  // namespace ipp::cluster
