// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/launcher.hpp"

#include "ipp/cluster/launcher_registry.hpp"
#include "ipp/util/log.hpp"

namespace ipp::cluster {

using nlohmann::json;

const char* launcher_state_name(LauncherState state) {
  switch (state) {
    case LauncherState::Before: return "before";
    case LauncherState::Running: return "running";
    case LauncherState::After: return "after";
  }
  return "before";
}

LauncherState parse_launcher_state(const std::string& name) {
  if (name == "running") return LauncherState::Running;
  if (name == "after") return LauncherState::After;
  return LauncherState::Before;
}

Launcher::Launcher(LaunchContext context) : context_(std::move(context)) {
  if (!context_.log) context_.log = util::child_logger(context_.config.launcher.class_name);
}

Launcher::~Launcher() = default;

json Launcher::to_dict() const {
  return json{{"profile_dir", context_.profile_dir.string()},
              {"cluster_id", context_.cluster_id},
              {"state", launcher_state_name(state_)}};
}

void Launcher::from_dict(const json& state) {
  if (!state.is_object()) throw Error(class_name() + ": saved state is not a JSON object: " + state.dump());
  auto text = [&](const char* key) -> std::optional<std::string> {
    auto it = state.find(key);
    if (it == state.end() || it->is_null()) return std::nullopt;
    if (!it->is_string()) throw Error(class_name() + ": saved '" + key + "' is not a string: " + it->dump());
    return it->get<std::string>();
  };
  if (auto v = text("profile_dir")) context_.profile_dir = *v;
  if (auto v = text("cluster_id")) context_.cluster_id = *v;
  if (auto v = text("state")) state_ = parse_launcher_state(*v);
}

std::string Launcher::cluster_file_class() const { return cluster::cluster_file_class(context_.config.launcher); }

json EngineSetLauncher::to_dict() const {
  json d = Launcher::to_dict();
  d["n"] = n();
  return d;
}

void EngineSetLauncher::from_dict(const json& state) {
  Launcher::from_dict(state);
  if (auto it = state.find("n"); it != state.end()) {
    if (!it->is_number_integer()) throw Error(class_name() + ": saved 'n' is not an integer: " + it->dump());
    context_.n = it->get<int>();
  }
}

std::vector<std::string> cluster_args(const LaunchContext& context) {
  return {"--profile-dir", context.profile_dir.string(), "--cluster-id", context.cluster_id};
}

namespace {

std::vector<std::string> ours(const LaunchContext& context, const char* program) {
  if (context.program_dir.empty()) return {program};
  return {(context.program_dir / program).string()};
}

}  // namespace

std::vector<std::string> controller_command(const LaunchContext& context) {
  if (context.config.controller_cmd) return *context.config.controller_cmd;
  return ours(context, "ipcontroller");
}

std::vector<std::string> engine_command(const LaunchContext& context) {
  if (context.config.engine_cmd) return *context.config.engine_cmd;
  return ours(context, "ipengine");
}

}  // namespace ipp::cluster
