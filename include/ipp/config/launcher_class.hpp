// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace ipp::config {

// The launch mechanisms of ipyparallel's launchers (cluster/launcher.py),
// named after their entry points.
enum class LauncherKind { Local, SSH, SSHProxy, MPI, PBS, SGE, Slurm, LSF, HTCondor, Batch, WindowsHPC };

// What a launcher starts.
enum class LauncherRole {
  Controller,  // *ControllerLauncher: Cluster.controller_launcher_class
  EngineSet,   // *EngineSetLauncher (and SSHProxyEngineSetLauncher): Cluster.engine_launcher_class
  Engine,      // a single engine (LocalEngineLauncher, SSHEngineLauncher): used inside sets only
  Base,        // abstract bases such as SSHLauncher, PBSLauncher, MPILauncher
};

struct LauncherClass {
  LauncherKind kind = LauncherKind::Local;
  LauncherRole role = LauncherRole::EngineSet;
  std::string class_name;  // canonical ipyparallel 7 class, e.g. "SSHEngineSetLauncher"
  // The spelling is historic (IPython.parallel.* path, a 0.12 short name like
  // "SSH" or "MPIExec", a bare class name); it still means class_name.
  bool old_spelling = false;
};

// "local", "ssh", ... (the entry-point name).
std::string_view launcher_kind_name(LauncherKind kind);

// Resolves what a user wrote for Cluster.engine_launcher_class (role
// EngineSet) or Cluster.controller_launcher_class (role Controller), case
// insensitively:
//   - entry-point names: local ssh sshproxy mpi pbs sge slurm lsf htcondor
//     batch winhpc (and "windowshpc");
//   - IPython 0.12 short names: SSH MPI MPIExec PBS SGE LSF Slurm HTCondor
//     Local WindowsHPC (the role decides Controller/EngineSet);
//   - class names alone, with or without a module: "SSHEngineSetLauncher",
//     "IPython.parallel.apps.launcher.SSHEngineSetLauncher",
//     "ipyparallel.apps.launcher.X", "ipyparallel.cluster.launcher.X",
//     "ipyparallel.cluster.launcher:X", old MPIExec* classes;
//   - a class object from a Python config file, {"__pyobject__": "module.X"}.
// Throws ipp::Error listing the accepted names for anything else, and for a
// class of the wrong role ("SSHControllerLauncher" as engine launcher).
// `setting` names the trait in messages ("Cluster.engine_launcher_class").
LauncherClass resolve_launcher_class(const nlohmann::json& value, LauncherRole role,
                                     std::string_view setting);

// Every launcher class name known (for the catalogue and tests).
const std::vector<LauncherClass>& all_launcher_classes();

}  // namespace ipp::config
