// SPDX-License-Identifier: BSD-3-Clause
// LocalControllerLauncher and LocalEngineSetLauncher (cluster/launcher.py):
// the controller and engines as processes on this machine.
#pragma once

#include <string>
#include <vector>

#include "ipp/cluster/launcher.hpp"
#include "ipp/cluster/local_process.hpp"

namespace ipp::cluster {

// controller_cmd + --profile-dir X --cluster-id Y + controller_args, output
// in <profile>/log/ipcontroller[-<cluster_id>]-<ipcluster pid>.log.
class LocalControllerLauncher : public SingleProcessLauncher<ControllerLauncher> {
 public:
  using SingleProcessLauncher::SingleProcessLauncher;
  void start() override;
};

// n x (engine_cmd + --profile-dir X --cluster-id Y + engine_args), `delay`
// seconds apart; engine i writes <profile>/log/ipengine-<cluster_id>-<set id>-<i>.log.
class LocalEngineSetLauncher : public EngineSetLauncher {
 public:
  using EngineSetLauncher::EngineSetLauncher;

  void start() override;
  void stop() override;
  void signal(int sig) override;
  bool poll() override;
  // + pid (-1) and engines: {"0": {cluster_id, n, output_file, pid, profile_dir, state}, ...}
  nlohmann::json to_dict() const override;
  void from_dict(const nlohmann::json& state) override;
  std::vector<ProcessExit> exits() const override;
  // Running engines whose log has no "Completed registration" line yet
  // (ours and Python's engines log it at INFO): "engine 3 (log: ...)".
  std::vector<std::string> late_engines() const override;

 private:
  struct Engine {
    std::string identifier;
    LocalProcess process;
  };
  std::vector<Engine> engines_;
};

}  // namespace ipp::cluster
