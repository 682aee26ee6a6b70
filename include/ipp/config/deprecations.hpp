// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <vector>

#include "ipp/config/config.hpp"
#include "ipp/config/trait_catalog.hpp"

namespace ipp::config {

// Maps the old spellings still found in profiles to their current meaning,
// in place, after all files and the command line are merged (so precedence
// is already decided). As ipyparallel's init_deprecated_config, a value on
// an old section is copied to the new section only when the new section
// does not set that trait; the old section is then dropped. Each moved value
// keeps its file and line and records the old spelling in `spelled_as`; a
// Diagnostic::Kind::Deprecated names it ("c.HubFactory.ip is deprecated: use
// c.IPController.ip"), or says which value overrides it.
//
//   ipcontroller: HubFactory, IPControllerApp              -> IPController
//   ipengine:     EngineFactory, IPEngineApp               -> IPEngine
//                 MPI.use = 'mpi4py'                        -> IPEngine.use_mpi = True
//                 MPI.init_script                           -> IPEngine.init_mpi
//                 (ipyparallel 7 silently ignores the MPI section; we do not)
//   ipcluster:    IPClusterApp                              -> IPCluster
//                 MPIExecLauncher, MPIExec{Controller,EngineSet}Launcher -> MPI*
//                 IPCluster{Start,Engines}.engine_launcher / engine_set_launcher /
//                 engine_set_launcher_class (0.11 names)    -> .engine_launcher_class
//                 IPCluster{Start,Engines}.controller_launcher -> .controller_launcher_class
//                 IPCluster{Start,Engines}.{delay, engine_launcher_class,
//                 controller_launcher_class, controller_ip, controller_location, n}
//                                                           -> Cluster (Start first)
// Sections of another program are left alone (check_config reports them).
void apply_deprecations(Config& config, Program program, std::vector<Diagnostic>& diagnostics);

}  // namespace ipp::config
