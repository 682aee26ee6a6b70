// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/config/deprecations.hpp"

#include <string>

namespace ipp::config {

namespace {

using nlohmann::json;

std::string show(const ConfigValue& v) {
  if (v.lazy) return "<modified list/dict>";
  if (v.value.is_string()) return "'" + v.value.get<std::string>() + "'";
  if (v.value.is_boolean()) return v.value.get<bool>() ? "True" : "False";
  return v.value.dump();
}

void note(std::vector<Diagnostic>& out, const ConfigValue& v, std::string message) {
  out.push_back({Diagnostic::Kind::Deprecated, v.source, v.line, std::move(message)});
}

// Moves `old_section.old_trait` to `new_section.new_trait` unless the latter
// is set; drops the old value either way.
void move_trait(Config& config, const std::string& old_section, const std::string& old_trait,
                const std::string& new_section, const std::string& new_trait,
                std::vector<Diagnostic>& out) {
  const ConfigValue* old_value = config.find(old_section, old_trait);
  if (old_value == nullptr) return;
  ConfigValue moved = *old_value;
  const std::string old_name = old_section + "." + old_trait;
  const std::string new_name = new_section + "." + new_trait;
  if (const ConfigValue* current = config.find(new_section, new_trait)) {
    if (current->value != moved.value || current->lazy != moved.lazy) {
      note(out, moved,
           "ignoring c." + old_name + " = " + show(moved) + ", overridden by c." + new_name +
               " = " + show(*current) + (current->where().empty() ? "" : " (" + current->where() + ")"));
    }
  } else {
    note(out, moved, "c." + old_name + " is deprecated: use c." + new_name + " = " + show(moved));
    if (moved.spelled_as.empty()) moved.spelled_as = old_name;
    config.set(new_section, new_trait, std::move(moved));
  }
  config.erase(old_section, old_trait);
}

void move_section(Config& config, const std::string& old_section, const std::string& new_section,
                  std::vector<Diagnostic>& out) {
  auto it = config.sections().find(old_section);
  if (it == config.sections().end()) return;
  std::vector<std::string> traits;
  for (const auto& [trait, _] : it->second) traits.push_back(trait);
  for (const auto& trait : traits) move_trait(config, old_section, trait, new_section, trait, out);
}

void map_mpi_section(Config& config, std::vector<Diagnostic>& out) {
  if (const ConfigValue* use = config.find("MPI", "use")) {
    ConfigValue v = *use;
    std::string how = v.value.is_string() ? v.value.get<std::string>() : v.value.dump();
    if (how == "mpi4py") {
      if (config.find("IPEngine", "use_mpi") == nullptr) {
        note(out, v, "c.MPI.use = 'mpi4py' is the IPython <= 3 spelling: it means c.IPEngine.use_mpi = True");
        ConfigValue on = v;
        on.value = true;
        on.from_command_line = false;
        on.spelled_as = "MPI.use";
        config.set("IPEngine", "use_mpi", std::move(on));
      } else {
        note(out, v, "ignoring c.MPI.use = 'mpi4py': c.IPEngine.use_mpi is set");
      }
    } else if (!how.empty()) {
      out.push_back({Diagnostic::Kind::Unsupported, v.source, v.line,
                     "c.MPI.use = '" + how + "' is not supported (only 'mpi4py', which means "
                     "c.IPEngine.use_mpi = True); ignored"});
    }
    config.erase("MPI", "use");
  }
  move_trait(config, "MPI", "init_script", "IPEngine", "init_mpi", out);
}

}  // namespace

void apply_deprecations(Config& config, Program program, std::vector<Diagnostic>& diagnostics) {
  switch (program) {
    case Program::Controller:
      move_section(config, "HubFactory", "IPController", diagnostics);
      move_section(config, "IPControllerApp", "IPController", diagnostics);
      break;
    case Program::Engine:
      move_section(config, "EngineFactory", "IPEngine", diagnostics);
      move_section(config, "IPEngineApp", "IPEngine", diagnostics);
      map_mpi_section(config, diagnostics);
      break;
    case Program::Cluster: {
      move_section(config, "IPClusterApp", "IPCluster", diagnostics);
      move_section(config, "MPIExecLauncher", "MPILauncher", diagnostics);
      move_section(config, "MPIExecControllerLauncher", "MPIControllerLauncher", diagnostics);
      move_section(config, "MPIExecEngineSetLauncher", "MPIEngineSetLauncher", diagnostics);
      // 0.11 trait names (and the engine_set_launcher_class the docs mention).
      for (const char* cls : {"IPClusterStart", "IPClusterEngines", "Cluster"}) {
        for (const char* old_name : {"engine_launcher", "engine_set_launcher", "engine_set_launcher_class"}) {
          move_trait(config, cls, old_name, cls, "engine_launcher_class", diagnostics);
        }
        move_trait(config, cls, "controller_launcher", cls, "controller_launcher_class", diagnostics);
      }
      // IPClusterEngines.init_deprecated_config: IPClusterStart first, so it
      // wins over IPClusterEngines.
      for (const char* cls : {"IPClusterStart", "IPClusterEngines"}) {
        for (const char* trait : {"delay", "engine_launcher_class", "controller_launcher_class",
                                  "controller_ip", "controller_location", "n"}) {
          move_trait(config, cls, trait, "Cluster", trait, diagnostics);
        }
      }
      break;
    }
  }
}

}  // namespace ipp::config
