// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/app/cluster_app.hpp"

#include <iostream>

#include <spdlog/spdlog.h>

#include "app/program.hpp"
#include "ipp/config/cluster_options.hpp"
#include "ipp/config/command_line.hpp"
#include "ipp/util/log.hpp"

namespace ipp::app {
namespace {

int run(const config::LoadedConfig& loaded) {
  if (loaded.subcommand.empty()) {
    // As Python's ipcluster: no subcommand prints the help and fails.
    std::cout << config::help_text(config::cluster_command_line(""), false);
    return 1;
  }
  config::ClusterOptions options = config::build_cluster_options(loaded);
  setup_program_logging(util::kClusterLoggerName, options.common, "ipcluster");
  report_diagnostics(loaded);
  if (handle_show_config(loaded, options.common)) return 0;
  // TODO(#6): launchers. Until then say so plainly instead of pretending.
  spdlog::error("ipcluster {}: not implemented yet in this build; start the controller with "
                "`ipcontroller` and engines with `ipengine` (see README.md)",
                loaded.subcommand);
  return 1;
}

}  // namespace

int run_cluster(int argc, char** argv) { return run_program(config::Program::Cluster, argc, argv, run); }

}  // namespace ipp::app
