// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/local_launcher.hpp"

#include <unistd.h>

#include <chrono>
#include <fstream>
#include <thread>


namespace ipp::cluster {

using nlohmann::json;

void LocalControllerLauncher::start() {
  std::vector<std::string> argv = controller_command(context_);
  for (auto& a : cluster_args(context_)) argv.push_back(a);
  for (auto& a : context_.config.controller_args) argv.push_back(a);
  start_process(argv, "ipcontroller");
}

void LocalEngineSetLauncher::start() {
  if (state() != LauncherState::Before) throw Error("this engine set was already started");
  const int n = context_.n ? *context_.n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  context_.n = n;
  std::vector<std::string> argv = engine_command(context_);
  for (auto& a : cluster_args(context_)) argv.push_back(a);
  for (auto& a : context_.config.engine_args) argv.push_back(a);
  const auto env = launch_environment(context_);
  log().debug("Starting {} engines: {}", n, join_words(argv));
  set_state(LauncherState::Running);
  for (int i = 0; i < n; ++i) {
    if (i > 0 && context_.config.delay > 0) {
      std::this_thread::sleep_for(std::chrono::duration<double>(context_.config.delay));
    }
    Engine e;
    e.identifier = std::to_string(i);
    std::filesystem::path out = context_.profile_dir / "log" /
                                ("ipengine-" + context_.cluster_id + "-" + context_.engine_set_id + "-" +
                                 e.identifier + ".log");
    try {
      e.process.start(argv, out, context_.work_dir, env);
    } catch (const Error&) {
      stop();
      throw;
    }
    engines_.push_back(std::move(e));
  }
}

void LocalEngineSetLauncher::stop() {
  if (state() != LauncherState::Running) return;
  std::vector<pid_t> pids;
  for (auto& e : engines_) {
    if (!e.process.alive()) continue;
    e.process.mark_stopping();
    pids.push_back(e.process.pid());
  }
  for (pid_t pid : stop_together(pids, context_.config.stop_seconds_until_kill, context_.config.stop_timeout)) {
    log().error("engine process {} did not stop after SIGKILL", pid);
  }
  for (auto& e : engines_) {
    e.process.alive();
    if (!e.process.failed()) {
      std::error_code ec;
      std::filesystem::remove(e.process.output_file(), ec);
    }
  }
  set_state(LauncherState::After);
}

void LocalEngineSetLauncher::signal(int sig) {
  if (!running()) return;
  for (auto& e : engines_) {
    if (!e.process.ended()) util::send_signal(e.process.pid(), sig);
  }
}

bool LocalEngineSetLauncher::poll() {
  if (!running()) return false;
  bool any = false;
  for (auto& e : engines_) any = e.process.alive() || any;
  if (!any) set_state(LauncherState::After);
  return any;
}

json LocalEngineSetLauncher::to_dict() const {
  json d = EngineSetLauncher::to_dict();
  d["pid"] = -1;
  json engines = json::object();
  for (const auto& e : engines_) {
    json child{{"profile_dir", context_.profile_dir.string()},
               {"cluster_id", context_.cluster_id},
               {"state", e.process.ended() ? "after" : launcher_state_name(state())},
               {"n", 1}};
    e.process.save(child);
    engines[e.identifier] = std::move(child);
  }
  d["engines"] = std::move(engines);
  return d;
}

void LocalEngineSetLauncher::from_dict(const json& state) {
  EngineSetLauncher::from_dict(state);
  auto it = state.find("engines");
  if (it == state.end() || !it->is_object()) throw Error(class_name() + ": saved state has no 'engines' dict");
  engines_.clear();
  for (const auto& [identifier, child] : it->items()) {
    Engine e;
    e.identifier = identifier;
    try {
      restore_local_process(e.process, child, class_name() + " engine " + identifier);
    } catch (const NotRunning& gone) {
      log().error("Engine {} not running: {}", identifier, gone.what());
      continue;
    }
    engines_.push_back(std::move(e));
  }
  if (engines_.empty()) throw NotRunning("No engines left");
  context_.n = static_cast<int>(engines_.size());
  set_state(LauncherState::Running);
}

std::vector<ProcessExit> LocalEngineSetLauncher::exits() const {
  std::vector<ProcessExit> out;
  for (const auto& e : engines_) {
    if (e.process.ended()) out.push_back(describe_exit("engine " + e.identifier, e.process, context_.config.output_limit));
  }
  return out;
}

std::vector<std::string> LocalEngineSetLauncher::late_engines() const {
  std::vector<std::string> late;
  for (const auto& e : engines_) {
    if (e.process.ended()) continue;
    std::ifstream log(e.process.output_file());
    std::string line;
    bool registered = false;
    while (!registered && std::getline(log, line)) registered = line.find("Completed registration") != std::string::npos;
    if (!registered) late.push_back("engine " + e.identifier + " (log: " + e.process.output_file().string() + ")");
  }
  return late;
}

}  // namespace ipp::cluster
