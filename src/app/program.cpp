// SPDX-License-Identifier: BSD-3-Clause
#include "app/program.hpp"

#include <cerrno>
#include <cstring>
#include <iostream>
#include <string>
#include <vector>

#include <unistd.h>

#include "ipp/config/command_line.hpp"
#include "ipp/util/error.hpp"
#include "ipp/util/log.hpp"
#include "ipp/version.hpp"

namespace ipp::app {

int run_program(config::Program program, int argc, char** argv,
                const std::function<int(const config::LoadedConfig&)>& body) {
  std::vector<std::string> args(argv + 1, argv + argc);
  try {
    config::LoadedConfig loaded = config::load_config(program, args);
    if (loaded.command_line.version) {
      std::cout << kCompatibleIpyparallelVersion << "\n";
      return 0;
    }
    if (loaded.command_line.help || loaded.command_line.help_all) {
      std::cout << config::help_text(loaded.command_line_spec(), loaded.command_line.help_all);
      return 0;
    }
    return body(loaded);
  } catch (const Error& e) {
    spdlog::critical("{}", e.what());
    return 1;
  } catch (const std::exception& e) {
    spdlog::critical("{}: {}", config::program_name(program), e.what());
    return 1;
  }
}

std::shared_ptr<spdlog::logger> setup_program_logging(std::string_view logger_name,
                                                      const config::CommonOptions& common,
                                                      std::string_view app,
                                                      std::chrono::milliseconds flush_interval) {
  util::LogOptions options;
  options.flush_interval = flush_interval;
  options.name = std::string(logger_name);
  options.level = util::parse_log_level(std::to_string(common.log_level));
  if (common.log_to_file) {
    options.file = common.profile.log_file(app, common.cluster_id, static_cast<long>(getpid()));
  }
  return util::setup_logging(options);
}

void report_diagnostics(const config::LoadedConfig& loaded) {
  for (const auto& d : loaded.diagnostics) {
    if (d.kind == config::Diagnostic::Kind::OtherProgram) {
      spdlog::debug("{}", d.to_string());
    } else {
      spdlog::warn("{}", d.to_string());
    }
  }
}

bool handle_show_config(const config::LoadedConfig& loaded, const config::CommonOptions& common) {
  if (common.show_config_json) {
    std::cout << loaded.config.to_json().dump(2) << "\n";
    return true;
  }
  if (common.show_config) {
    std::cout << "Loaded config files:\n";
    for (const auto& f : loaded.files) std::cout << "  " << f.string() << "\n";
    const nlohmann::json config = loaded.config.to_json();  // items() must not outlive it
    for (const auto& [section, traits] : config.items()) {
      std::cout << "\n" << section << "\n";
      for (const auto& [trait, value] : traits.items()) {
        std::cout << "  ." << trait << " = " << value.dump() << "\n";
      }
    }
    return true;
  }
  return false;
}

void change_to_work_dir(const config::CommonOptions& common) {
  if (common.work_dir.empty()) return;
  if (chdir(common.work_dir.c_str()) != 0) {
    throw Error("cannot change to work_dir " + common.work_dir.string() + ": " + std::strerror(errno));
  }
}

}  // namespace ipp::app
