// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/app/engine_app.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "ipp/config/config_loader.hpp"
#include "ipp/config/engine_options.hpp"
#include "ipp/engine/engine.hpp"
#include "ipp/util/error.hpp"
#include "ipp/util/log.hpp"
#include "ipp/version.hpp"

namespace ipp::app {

int run_engine(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  // Errors before the log file is known go to stderr in the Python format.
  util::setup_logging({std::string(util::kEngineLoggerName), spdlog::level::info, std::nullopt});
  config::EngineOptions options;
  config::LoadedConfig loaded;
  try {
    loaded = config::load_config(config::Program::Engine, args);
    if (loaded.command_line.version) {
      std::printf("%s\n", kCompatibleIpyparallelVersion);
      return 0;
    }
    if (loaded.command_line.help || loaded.command_line.help_all) {
      std::printf("%s", config::help_text(loaded.command_line_spec(), loaded.command_line.help_all).c_str());
      return 0;
    }
    options = config::build_engine_options(loaded);
    if (options.common.show_config || options.common.show_config_json) {
      std::printf("%s\n", loaded.config.to_json().dump(options.common.show_config_json ? 1 : 2).c_str());
      return 0;
    }
    util::LogOptions log_options{std::string(util::kEngineLoggerName),
                                 util::parse_log_level(std::to_string(options.common.log_level)),
                                 std::nullopt};
    if (options.common.log_to_file) {
      log_options.file = options.common.profile.log_file("ipengine", options.common.cluster_id,
                                                         static_cast<long>(::getpid()));
    }
    util::setup_logging(log_options);
    // BaseParallelApplication: os.chdir(work_dir).
    if (!options.common.work_dir.empty()) {
      std::error_code ec;
      std::filesystem::current_path(options.common.work_dir, ec);
      if (ec) {
        throw Error("--work-dir=" + options.common.work_dir.string() + ": " + ec.message());
      }
    }
    for (const auto& d : loaded.diagnostics) spdlog::warn("{}", d.to_string());
    for (const auto& f : loaded.files) spdlog::info("Loaded config file: {}", f.string());
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    return 1;  // config error (config-and-cli.md section 10)
  }

  int code = 1;
  try {
    std::vector<std::string> python_argv{argv[0]};
    python_argv.insert(python_argv.end(), args.begin(), args.end());
    engine::Engine engine(std::move(options), std::move(python_argv));
    code = engine.run();
  } catch (const std::exception& e) {
    spdlog::critical("{}", e.what());
    code = 1;
  }
  // The embedded interpreter is never finalised (user threads could block
  // it forever, see PythonRuntime): flush what we own and leave.
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace ipp::app
