// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/app/cluster_app.hpp"

#include <cstring>
#include <iostream>

#include <spdlog/spdlog.h>

#include "app/cluster_commands.hpp"
#include "app/program.hpp"
#include "ipp/config/cluster_options.hpp"
#include "ipp/config/command_line.hpp"
#include "ipp/util/log.hpp"

namespace ipp::app {
namespace {

using Command = int (*)(const config::LoadedConfig&, const config::ClusterOptions&);

struct Subcommand {
  const char* name;
  Command run;
};

const Subcommand kSubcommands[] = {
    {"start", cluster_start}, {"engines", cluster_engines}, {"stop", cluster_stop},
    {"list", cluster_list},   {"clean", cluster_clean},
};

const char* const kProfileHelp =
    "profile\n"
    "    Create, locate or list IPython profiles (ipcluster profile -h)\n";

int run(const config::LoadedConfig& loaded) {
  if (loaded.subcommand.empty()) {
    // As Python's ipcluster: no subcommand prints the help and fails.
    std::cout << config::help_text(config::cluster_command_line(""), false) << kProfileHelp;
    return 1;
  }
  config::ClusterOptions options = config::build_cluster_options(loaded);
  setup_program_logging(loaded.app_class, options.common, "ipcluster");
  report_diagnostics(loaded);
  for (const auto& d : options.notes) spdlog::warn("{}", d.to_string());
  if (handle_show_config(loaded, options.common)) return 0;
  for (const auto& d : options.not_implemented) {
    spdlog::critical("{}", d.to_string());
    return 1;
  }
  for (const auto& s : kSubcommands) {
    if (loaded.subcommand == s.name) {
      change_to_work_dir(options.common);
      return s.run(loaded, options);
    }
  }
  spdlog::critical("ipcluster {} is not supported by this ipcluster (the notebook \"Clusters\" tab needs the "
                   "Python ipyparallel package)",
                   loaded.subcommand);
  return 1;
}

}  // namespace

int run_cluster(int argc, char** argv) {
  // Until the options are known, log to stderr as the Python app does
  // (config errors included), never to stdout, which `list -o json` owns.
  util::setup_logging({std::string(util::kClusterLoggerName), spdlog::level::info, std::nullopt});
  if (argc >= 2 && std::strcmp(argv[1], "profile") == 0) {
    return cluster_profile(std::vector<std::string>(argv + 2, argv + argc));
  }
  return run_program(config::Program::Cluster, argc, argv, run);
}

}  // namespace ipp::app
