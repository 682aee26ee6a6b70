// SPDX-License-Identifier: BSD-3-Clause
// The most common ipyparallel support question: engines on other hosts
// cannot reach a controller that listens on 127.0.0.1 only. ipcluster
// checks before starting anything and says which line fixes it.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "ipp/config/cluster_options.hpp"

namespace ipp::cluster {

// Where the launchers of `options` may start processes other than on this
// machine: "SSHEngineSetLauncher on host1, host2", "PBSEngineSetLauncher
// (batch jobs)", "MPIEngineSetLauncher with --hostfile h". Empty when
// everything runs here (local launchers, MPI without a host list, SSH to
// localhost only).
std::vector<std::string> remote_launch_targets(const config::ClusterOptions& options);

// The warning to print before starting, or nullopt when the controller will
// listen on an address other hosts can reach, tunnels engines over ssh, or
// nothing is remote. The controller's engine_ip is computed from the
// profile's ipcontroller config plus the controller arguments ipcluster
// will pass (Cluster.controller_ip, controller_args).
std::optional<std::string> loopback_warning(const config::ClusterOptions& options);

}  // namespace ipp::cluster
