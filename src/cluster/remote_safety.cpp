// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/remote_safety.hpp"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "ipp/cluster/mpi_launcher.hpp"
#include "ipp/config/config_loader.hpp"
#include "ipp/config/controller_options.hpp"

namespace ipp::cluster {

using config::LauncherKind;

namespace {

bool is_loopback_host(const std::string& host) {
  return host == "localhost" || host == "127.0.0.1" || host == "::1" || host.rfind("127.", 0) == 0 ||
         host == "localhost.localdomain";
}

bool is_batch(LauncherKind k) {
  return k == LauncherKind::PBS || k == LauncherKind::SGE || k == LauncherKind::Slurm || k == LauncherKind::LSF ||
         k == LauncherKind::HTCondor || k == LauncherKind::Batch || k == LauncherKind::WindowsHPC;
}

std::optional<std::string> remote_target(const config::LauncherConfig& l,
                                         const std::vector<config::SSHEngineHost>& ssh_engines, bool engines) {
  const auto& cls = l.launcher;
  if (cls.kind == LauncherKind::SSH && engines) {
    std::vector<std::string> hosts;
    for (const auto& h : ssh_engines) {
      if (!is_loopback_host(h.host)) hosts.push_back(h.host.empty() ? "''" : h.host);
    }
    if (hosts.empty()) return std::nullopt;
    std::string list;
    for (const auto& h : hosts) list += (list.empty() ? "" : ", ") + h;
    return cls.class_name + " on " + list;
  }
  if (cls.kind == LauncherKind::SSH || cls.kind == LauncherKind::SSHProxy) {
    std::string host = l.location.empty() ? l.hostname : l.location;
    if (host.find('@') != std::string::npos) host = host.substr(host.find('@') + 1);
    if (is_loopback_host(host)) return std::nullopt;
    return cls.class_name + " on " + (host.empty() ? "''" : host);
  }
  if (is_batch(cls.kind)) return cls.class_name + " (batch jobs run on the nodes the scheduler picks)";
  if (cls.kind == LauncherKind::MPI) {
    if (mpi_uses_other_hosts(l)) return cls.class_name + " with a host list in mpi_args";
  }
  return std::nullopt;
}

}  // namespace

std::vector<std::string> remote_launch_targets(const config::ClusterOptions& options) {
  std::vector<std::string> out;
  if (auto t = remote_target(options.engine_launcher, options.ssh_engines, true)) out.push_back(*t);
  if (auto t = remote_target(options.controller_launcher, {}, false)) out.push_back(*t);
  return out;
}

std::optional<std::string> loopback_warning(const config::ClusterOptions& options) {
  std::vector<std::string> targets = remote_launch_targets(options);
  if (targets.empty()) return std::nullopt;
  // What the controller will be told, as Cluster.start_controller builds it.
  std::vector<std::string> args{"--profile-dir", options.common.profile.location.string(), "--cluster-id",
                                options.common.cluster_id};
  for (const auto& a : options.controller_launcher.controller_args) args.push_back(a);
  if (!options.controller_ip.empty()) args.push_back("--ip=" + options.controller_ip);
  if (!options.controller_location.empty()) args.push_back("--location=" + options.controller_location);
  for (const auto& a : options.controller_args) args.push_back(a);
  config::ControllerOptions controller;
  try {
    controller = config::build_controller_options(config::load_config(config::Program::Controller, args));
  } catch (const std::exception& e) {
    spdlog::debug("cannot check the controller's listening address: {}", e.what());
    return std::nullopt;
  }
  if (!controller.engine_ssh_server.empty() || !controller.ssh_server.empty()) return std::nullopt;  // tunnels
  if (!is_loopback_host(controller.engine_ip)) return std::nullopt;
  std::string where;
  for (const auto& t : targets) where += (where.empty() ? "" : "; ") + t;
  return "engines will be started on other hosts (" + where + "), but the controller will listen for them on " +
         controller.engine_ip +
         " (loopback) only, so they cannot connect. Fix: add\n"
         "    c.Cluster.controller_ip = '*'\n"
         "to ipcluster_config.py in " + options.common.profile.location.string() +
         " (or pass --ip='*' to ipcluster start; c.IPController.ip = '0.0.0.0' in ipcontroller_config.py "
         "does the same). The controller then listens on every interface: read the security notes first.";
}

}  // namespace ipp::cluster
