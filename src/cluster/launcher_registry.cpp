// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/launcher_registry.hpp"

#include <vector>

#include "ipp/cluster/batch_launcher.hpp"
#include "ipp/cluster/local_launcher.hpp"
#include "ipp/cluster/mpi_launcher.hpp"
#include "ipp/cluster/ssh_launcher.hpp"
#include "ipp/util/log.hpp"

namespace ipp::cluster {

using config::LauncherClass;
using config::LauncherKind;
using config::LauncherRole;

using LauncherFactory = std::unique_ptr<Launcher> (*)(LaunchContext context);

namespace {

template <class T>
std::unique_ptr<Launcher> make(LaunchContext context) {
  return std::make_unique<T>(std::move(context));
}

struct Registration {
  LauncherKind kind;
  LauncherRole role;  // Controller or EngineSet
  LauncherFactory factory;
};

// One row per implemented launcher class (see launcher.hpp).
const std::vector<Registration>& registrations() {
  static const std::vector<Registration> rows = {
      {LauncherKind::Local, LauncherRole::Controller, make<LocalControllerLauncher>},
      {LauncherKind::Local, LauncherRole::EngineSet, make<LocalEngineSetLauncher>},
      {LauncherKind::MPI, LauncherRole::Controller, make<MPIControllerLauncher>},
      {LauncherKind::MPI, LauncherRole::EngineSet, make<MPIEngineSetLauncher>},
      // Every batch system: the launcher's class (config.launcher.kind)
      // chooses the default template and commands.
      {LauncherKind::PBS, LauncherRole::Controller, make<BatchControllerLauncher>},
      {LauncherKind::PBS, LauncherRole::EngineSet, make<BatchEngineSetLauncher>},
      {LauncherKind::SGE, LauncherRole::Controller, make<BatchControllerLauncher>},
      {LauncherKind::SGE, LauncherRole::EngineSet, make<BatchEngineSetLauncher>},
      {LauncherKind::Slurm, LauncherRole::Controller, make<BatchControllerLauncher>},
      {LauncherKind::Slurm, LauncherRole::EngineSet, make<BatchEngineSetLauncher>},
      {LauncherKind::LSF, LauncherRole::Controller, make<BatchControllerLauncher>},
      {LauncherKind::LSF, LauncherRole::EngineSet, make<BatchEngineSetLauncher>},
      {LauncherKind::HTCondor, LauncherRole::Controller, make<BatchControllerLauncher>},
      {LauncherKind::HTCondor, LauncherRole::EngineSet, make<BatchEngineSetLauncher>},
      {LauncherKind::Batch, LauncherRole::Controller, make<BatchControllerLauncher>},
      {LauncherKind::Batch, LauncherRole::EngineSet, make<BatchEngineSetLauncher>},
      {LauncherKind::SSH, LauncherRole::Controller, make<SSHControllerLauncher>},
      {LauncherKind::SSH, LauncherRole::EngineSet, make<SSHEngineSetLauncher>},
      {LauncherKind::SSHProxy, LauncherRole::EngineSet, make<SSHProxyEngineSetLauncher>},
  };
  return rows;
}

LauncherFactory find_factory(const LauncherClass& launcher) {
  for (const auto& r : registrations()) {
    if (r.kind == launcher.kind && r.role == launcher.role) return r.factory;
  }
  return nullptr;
}

std::unique_ptr<Launcher> make_checked(LaunchContext context, LauncherRole role) {
  const LauncherClass& launcher = context.config.launcher;
  if (launcher.role != role) {
    throw Error(launcher.class_name + " is not " +
                (role == LauncherRole::Controller ? "a controller launcher" : "an engine set launcher"));
  }
  LauncherFactory factory = find_factory(launcher);
  if (factory == nullptr) {
    throw Error(launcher.class_name + " ('" + std::string(config::launcher_kind_name(launcher.kind)) +
                "') is not implemented in this build of ipcluster");
  }
  if (!context.log) context.log = util::child_logger(launcher.class_name);
  return factory(std::move(context));
}

}  // namespace

std::unique_ptr<ControllerLauncher> make_controller_launcher(LaunchContext context) {
  std::unique_ptr<Launcher> l = make_checked(std::move(context), LauncherRole::Controller);
  auto* controller = dynamic_cast<ControllerLauncher*>(l.get());
  if (controller == nullptr) throw Error(l->class_name() + ": factory made no ControllerLauncher");
  l.release();
  return std::unique_ptr<ControllerLauncher>(controller);
}

std::unique_ptr<EngineSetLauncher> make_engine_set_launcher(LaunchContext context) {
  std::unique_ptr<Launcher> l = make_checked(std::move(context), LauncherRole::EngineSet);
  auto* engines = dynamic_cast<EngineSetLauncher*>(l.get());
  if (engines == nullptr) throw Error(l->class_name() + ": factory made no EngineSetLauncher");
  l.release();
  return std::unique_ptr<EngineSetLauncher>(engines);
}

bool has_launcher(const LauncherClass& launcher) { return find_factory(launcher) != nullptr; }

std::string cluster_file_class(const LauncherClass& launcher) {
  // 7.1's entry points: every kind for both roles, except that sshproxy is
  // engines-only and pbs is controller-only (no "pbs" engine entry point).
  bool has_entry_point = !(launcher.role == LauncherRole::EngineSet && launcher.kind == LauncherKind::PBS);
  if (has_entry_point && (launcher.role == LauncherRole::Controller || launcher.role == LauncherRole::EngineSet)) {
    return std::string(config::launcher_kind_name(launcher.kind));
  }
  return "ipyparallel.cluster.launcher." + launcher.class_name;
}

LauncherClass launcher_class_from_file(std::string_view value, LauncherRole role) {
  return config::resolve_launcher_class(nlohmann::json(std::string(value)), role, "cluster file class");
}

}  // namespace ipp::cluster
