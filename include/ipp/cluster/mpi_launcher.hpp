// SPDX-License-Identifier: BSD-3-Clause
// MPIControllerLauncher and MPIEngineSetLauncher (cluster/launcher.py):
//   mpi_cmd -n <n> mpi_args <program> --profile-dir X --cluster-id Y <args>
// with program = engine_cmd + ["--mpi"] (engines) or controller_cmd. The
// mpiexec process is the launcher's pid; stopping it stops the ranks.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "ipp/cluster/launcher.hpp"
#include "ipp/cluster/local_process.hpp"

namespace ipp::cluster {

class MPIControllerLauncher : public SingleProcessLauncher<ControllerLauncher> {
 public:
  using SingleProcessLauncher::SingleProcessLauncher;
  void start() override;
  bool remote() const override;
  nlohmann::json to_dict() const override;  // + n (1)
};

class MPIEngineSetLauncher : public SingleProcessLauncher<EngineSetLauncher> {
 public:
  using SingleProcessLauncher::SingleProcessLauncher;
  void start() override;
  bool remote() const override;
};

// The mpiexec command line for `n` copies of `program_and_args`.
std::vector<std::string> mpi_command(const config::LauncherConfig& config, int n,
                                     const std::vector<std::string>& program_and_args);
// Environment mpiexec needs to run as we do: Open MPI refuses root without
// OMPI_ALLOW_RUN_AS_ROOT(_CONFIRM) and more ranks than cores without
// oversubscription (our local launcher has no such cap either). Only set
// when the user has not set them and no host list is given.
std::map<std::string, std::string> mpi_environment(const config::LauncherConfig& config);
// True when mpi_args place ranks on other hosts (--host, --hostfile, ...).
bool mpi_uses_other_hosts(const config::LauncherConfig& config);

}  // namespace ipp::cluster
