// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/launcher_class.hpp"

#include <algorithm>
#include <cctype>

#include "ipp/util/error.hpp"

namespace ipp::config {

namespace {

using K = LauncherKind;
using R = LauncherRole;

std::string lower(std::string_view s) {
  std::string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

struct KindName {
  K kind;
  const char* entry_point;
  const char* prefix;  // class-name prefix: "SSH" -> SSHEngineSetLauncher
};

const KindName kKinds[] = {
    {K::Local, "local", "Local"},   {K::SSH, "ssh", "SSH"},
    {K::SSHProxy, "sshproxy", "SSHProxy"}, {K::MPI, "mpi", "MPI"},
    {K::PBS, "pbs", "PBS"},         {K::SGE, "sge", "SGE"},
    {K::Slurm, "slurm", "Slurm"},   {K::LSF, "lsf", "LSF"},
    {K::HTCondor, "htcondor", "HTCondor"}, {K::Batch, "batch", "Batch"},
    {K::WindowsHPC, "winhpc", "WindowsHPC"},
};

// Modules that held the launchers over the years.
const char* const kModules[] = {
    "ipyparallel.cluster.launcher",  // 7.x and newest
    "ipyparallel.apps.launcher",     // 4.x-6.x (re-exported with a warning in 7)
    "IPython.parallel.apps.launcher",  // IPython 0.11-3.x
};

}  // namespace

const std::vector<LauncherClass>& all_launcher_classes() {
  static const std::vector<LauncherClass> classes = [] {
    std::vector<LauncherClass> v;
    auto add = [&v](K k, R r, const char* name) { v.push_back({k, r, name, false}); };
    add(K::Local, R::Controller, "LocalControllerLauncher");
    add(K::Local, R::EngineSet, "LocalEngineSetLauncher");
    add(K::Local, R::Engine, "LocalEngineLauncher");
    add(K::Local, R::Base, "LocalProcessLauncher");
    add(K::MPI, R::Controller, "MPIControllerLauncher");
    add(K::MPI, R::EngineSet, "MPIEngineSetLauncher");
    add(K::MPI, R::Base, "MPILauncher");
    add(K::SSH, R::Controller, "SSHControllerLauncher");
    add(K::SSH, R::EngineSet, "SSHEngineSetLauncher");
    add(K::SSH, R::Engine, "SSHEngineLauncher");
    add(K::SSH, R::Base, "SSHLauncher");
    add(K::SSHProxy, R::EngineSet, "SSHProxyEngineSetLauncher");
    add(K::PBS, R::Controller, "PBSControllerLauncher");
    add(K::PBS, R::EngineSet, "PBSEngineSetLauncher");
    add(K::PBS, R::Base, "PBSLauncher");
    add(K::SGE, R::Controller, "SGEControllerLauncher");
    add(K::SGE, R::EngineSet, "SGEEngineSetLauncher");
    add(K::SGE, R::Base, "SGELauncher");
    add(K::Slurm, R::Controller, "SlurmControllerLauncher");
    add(K::Slurm, R::EngineSet, "SlurmEngineSetLauncher");
    add(K::Slurm, R::Base, "SlurmLauncher");
    add(K::LSF, R::Controller, "LSFControllerLauncher");
    add(K::LSF, R::EngineSet, "LSFEngineSetLauncher");
    add(K::LSF, R::Base, "LSFLauncher");
    add(K::HTCondor, R::Controller, "HTCondorControllerLauncher");
    add(K::HTCondor, R::EngineSet, "HTCondorEngineSetLauncher");
    add(K::HTCondor, R::Base, "HTCondorLauncher");
    add(K::Batch, R::Controller, "BatchControllerLauncher");
    add(K::Batch, R::EngineSet, "BatchEngineSetLauncher");
    add(K::Batch, R::Base, "BatchSystemLauncher");
    add(K::WindowsHPC, R::Controller, "WindowsHPCControllerLauncher");
    add(K::WindowsHPC, R::EngineSet, "WindowsHPCEngineSetLauncher");
    add(K::WindowsHPC, R::Base, "WindowsHPCLauncher");
    return v;
  }();
  return classes;
}

std::string_view launcher_kind_name(LauncherKind kind) {
  for (const auto& k : kKinds) {
    if (k.kind == kind) return k.entry_point;
  }
  return "?";
}

LauncherClass resolve_launcher_class(const nlohmann::json& value, LauncherRole role,
                                     std::string_view setting) {
  const std::string role_name = role == R::Controller ? "controller" : "engine";
  std::string spelled;
  if (value.is_string()) {
    spelled = value.get<std::string>();
  } else if (value.is_object() && value.contains("__pyobject__")) {
    spelled = value["__pyobject__"].get<std::string>();
  } else {
    throw Error(std::string(setting) + ": expected a launcher name or class, not " + value.dump());
  }

  auto accepted = [&] {
    std::string names;
    for (const auto& k : kKinds) {
      if (role == R::Controller && k.kind == K::SSHProxy) continue;
      names += std::string(names.empty() ? "" : ", ") + k.entry_point;
    }
    return "accepted " + role_name + " launchers: " + names +
           " (any case), a class name such as '" +
           (role == R::Controller ? "SSHControllerLauncher" : "SSHEngineSetLauncher") +
           "', optionally prefixed with ipyparallel.cluster.launcher. (or the older "
           "ipyparallel.apps.launcher. / IPython.parallel.apps.launcher.)";
  };
  auto unknown = [&](const std::string& why) -> Error {
    return Error(std::string(setting) + " = '" + spelled + "': " + why + "; " + accepted());
  };

  std::string name = spelled;
  bool old = false;
  bool had_module = false;
  // "module:Class" (entry-point syntax) and "module.Class".
  if (size_t colon = name.rfind(':'); colon != std::string::npos) {
    std::string module = name.substr(0, colon);
    if (module != "ipyparallel.cluster.launcher" && module != "ipyparallel.apps.launcher") {
      throw unknown("custom launcher classes from Python modules are not supported");
    }
    old = module != "ipyparallel.cluster.launcher";
    name = name.substr(colon + 1);
    had_module = true;
  } else if (size_t dot = name.rfind('.'); dot != std::string::npos) {
    std::string module = name.substr(0, dot);
    bool known = false;
    for (const char* m : kModules) {
      if (module == m) known = true;
    }
    if (!known) throw unknown("custom launcher classes from Python modules are not supported");
    old = module != kModules[0];
    name = name.substr(dot + 1);
    had_module = true;
  }

  const std::string key = lower(name);
  // Entry-point names and 0.12 short names ("SSH" -> SSHEngineSetLauncher).
  if (!had_module) {
    for (const auto& k : kKinds) {
      bool windows = k.kind == K::WindowsHPC && key == "windowshpc";
      bool mpiexec = k.kind == K::MPI && key == "mpiexec";
      if (key == k.entry_point || windows || mpiexec) {
        if (role == R::Controller && k.kind == K::SSHProxy) {
          throw unknown("'sshproxy' only launches engines");
        }
        std::string cls = std::string(k.prefix) +
                          (role == R::Controller ? "ControllerLauncher" : "EngineSetLauncher");
        // ipyparallel 7 matches entry points case-insensitively, so "SSH"
        // and "Local" are current spellings; "MPIExec"/"WindowsHPC" are not.
        return {k.kind, role, cls, windows || mpiexec};
      }
    }
  }
  // Class names, including the MPIExec* names deprecated since 0.12.
  std::string class_key = key;
  if (class_key.rfind("mpiexec", 0) == 0) {
    class_key = "mpi" + class_key.substr(7);
    old = true;
  }
  for (const auto& c : all_launcher_classes()) {
    if (lower(c.class_name) != class_key) continue;
    if (c.role != role) {
      std::string is = c.role == R::Controller ? "a controller launcher"
                       : c.role == R::Engine   ? "a single-engine launcher"
                       : c.role == R::Base     ? "an abstract base class"
                                               : "an engine launcher";
      throw unknown(c.class_name + " is " + is + ", but " + std::string(setting) + " needs " +
                    (role == R::Controller ? "a controller launcher" : "an engine set launcher"));
    }
    LauncherClass out = c;
    // A bare class name was not accepted by ipyparallel 7 (only entry points
    // and import paths): accepted here, flagged as an old spelling.
    out.old_spelling = old || !had_module;
    return out;
  }
  throw unknown("unknown launcher");
}

}  // namespace ipp::config
