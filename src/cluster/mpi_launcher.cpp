// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/mpi_launcher.hpp"

#include <unistd.h>

#include <cstdlib>
#include <thread>

namespace ipp::cluster {

using nlohmann::json;

std::vector<std::string> mpi_command(const config::LauncherConfig& config, int n,
                                     const std::vector<std::string>& program_and_args) {
  std::vector<std::string> argv = config.mpi_cmd;
  argv.push_back("-n");
  argv.push_back(std::to_string(n));
  for (const auto& a : config.mpi_args) argv.push_back(a);
  for (const auto& a : program_and_args) argv.push_back(a);
  return argv;
}

bool mpi_uses_other_hosts(const config::LauncherConfig& config) {
  static const char* const kHostOptions[] = {"-host", "--host", "-H", "-hosts", "-hostfile", "--hostfile",
                                             "-machinefile", "--machinefile", "-f", "--default-hostfile"};
  for (const auto& a : config.mpi_args) {
    std::string name = a.substr(0, a.find('='));
    for (const char* h : kHostOptions) {
      if (name == h) return true;
    }
  }
  return false;
}

std::map<std::string, std::string> mpi_environment(const config::LauncherConfig& config) {
  std::map<std::string, std::string> env;
  auto set_default = [&env](const std::string& name, const std::string& value) {
    if (std::getenv(name.c_str()) == nullptr) env.emplace(name, value);
  };
  if (::geteuid() == 0) {
    set_default("OMPI_ALLOW_RUN_AS_ROOT", "1");
    set_default("OMPI_ALLOW_RUN_AS_ROOT_CONFIRM", "1");
  }
  if (!mpi_uses_other_hosts(config)) set_default("OMPI_MCA_rmaps_base_oversubscribe", "1");
  return env;
}

namespace {

void add_environment(LaunchContext& context) {
  for (const auto& [k, v] : mpi_environment(context.config)) context.environment.emplace(k, v);
}

}  // namespace

void MPIControllerLauncher::start() {
  std::vector<std::string> program = controller_command(context_);
  for (auto& a : cluster_args(context_)) program.push_back(a);
  for (auto& a : context_.config.controller_args) program.push_back(a);
  add_environment(context_);
  start_process(mpi_command(context_.config, 1, program), "ipcontroller");
}

bool MPIControllerLauncher::remote() const { return mpi_uses_other_hosts(context_.config); }

json MPIControllerLauncher::to_dict() const {
  json d = SingleProcessLauncher::to_dict();
  d["n"] = 1;
  return d;
}

void MPIEngineSetLauncher::start() {
  const int n = context_.n ? *context_.n : static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  context_.n = n;
  std::vector<std::string> program = engine_command(context_);
  program.push_back("--mpi");
  for (auto& a : cluster_args(context_)) program.push_back(a);
  for (auto& a : context_.config.engine_args) program.push_back(a);
  add_environment(context_);
  start_process(mpi_command(context_.config, n, program), "ipengine");
}

bool MPIEngineSetLauncher::remote() const { return mpi_uses_other_hosts(context_.config); }

}  // namespace ipp::cluster
