// SPDX-License-Identifier: BSD-3-Clause
// The ipcluster subcommands (cluster_app.cpp dispatches to them).
#pragma once

#include <string>
#include <vector>

#include "ipp/cluster/cluster.hpp"
#include "ipp/config/cluster_options.hpp"
#include "ipp/config/config_loader.hpp"

namespace ipp::app {

// Exit statuses of ipcluster (cluster/app.py).
inline constexpr int kAlreadyStarted = 10;
inline constexpr int kAlreadyStopped = 11;

int cluster_start(const config::LoadedConfig& loaded, const config::ClusterOptions& options);
int cluster_engines(const config::LoadedConfig& loaded, const config::ClusterOptions& options);
int cluster_stop(const config::LoadedConfig& loaded, const config::ClusterOptions& options);
int cluster_list(const config::LoadedConfig& loaded, const config::ClusterOptions& options);
int cluster_clean(const config::LoadedConfig& loaded, const config::ClusterOptions& options);
// `ipcluster profile create|locate|list`, with argv after "profile" (no
// config is loaded: a head node needs no IPython to make a profile).
int cluster_profile(const std::vector<std::string>& args);

// What every subcommand gives the launchers: work dir, our binaries'
// directory (next to this ipcluster), the loaded configuration.
cluster::ClusterEnvironment cluster_environment(const config::LoadedConfig& loaded,
                                                const config::ClusterOptions& options);

}  // namespace ipp::app
