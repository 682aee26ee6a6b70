// SPDX-License-Identifier: BSD-3-Clause
// What the three programs share around their own logic: argument and
// config loading, --help/--version, error reporting and exit statuses,
// logging set-up, --show-config, --work-dir.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string_view>

#include <spdlog/spdlog.h>

#include "ipp/config/common_options.hpp"
#include "ipp/config/config_loader.hpp"

namespace ipp::app {

// Loads the configuration for `program` from argv, prints help or the
// version when asked (exit 0), and otherwise calls `body`. Every ipp::Error
// or other exception escaping the start-up becomes one log line and exit
// status 1, as the Python apps exit 1 on config errors.
int run_program(config::Program program, int argc, char** argv,
                const std::function<int(const config::LoadedConfig&)>& body);

// stderr, or the profile's log file with --log-to-file
// (log/<app>-<cluster_id>-<pid>.log, as baseapp.py). `flush_interval`:
// see util::LogOptions (0 = every record at once).
std::shared_ptr<spdlog::logger> setup_program_logging(
    std::string_view logger_name, const config::CommonOptions& common, std::string_view app,
    std::chrono::milliseconds flush_interval = std::chrono::milliseconds(0));

// One warning per diagnostic of the loaded configuration (file:line: ...).
void report_diagnostics(const config::LoadedConfig& loaded);

// --show-config / --show-config-json: prints the merged configuration and
// returns true (the program then exits 0).
bool handle_show_config(const config::LoadedConfig& loaded, const config::CommonOptions& common);

// --work-dir: chdir there (throws ipp::Error naming the directory).
void change_to_work_dir(const config::CommonOptions& common);

}  // namespace ipp::app
