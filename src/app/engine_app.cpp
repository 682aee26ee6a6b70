// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/app/engine_app.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "app/program.hpp"
#include "ipp/config/engine_options.hpp"
#include "ipp/engine/engine.hpp"
#include "ipp/util/log.hpp"

namespace ipp::app {

int run_engine(int argc, char** argv) {
  std::vector<std::string> python_argv(argv, argv + argc);
  bool engine_ran = false;
  int code = run_program(config::Program::Engine, argc, argv, [&](const config::LoadedConfig& loaded) {
    config::EngineOptions options = config::build_engine_options(loaded);
    setup_program_logging(util::kEngineLoggerName, options.common, "ipengine");
    if (handle_show_config(loaded, options.common)) return 0;
    report_diagnostics(loaded);
    change_to_work_dir(options.common);
    engine::Engine engine(std::move(options), python_argv);
    engine_ran = true;
    return engine.run();
  });
  if (!engine_ran) return code;
  // The embedded interpreter is never finalised (user threads could block
  // that forever, see engine::PythonRuntime): flush what we own and leave.
  spdlog::default_logger()->flush();
  std::fflush(nullptr);
  std::_Exit(code);
}

}  // namespace ipp::app
