// SPDX-License-Identifier: BSD-3-Clause
#pragma once

namespace ipp::app {

// Entry point of ipengine: loads the configuration (profile config files,
// command line, IPP_* environment), sets up logging, chdir to --work-dir and
// runs one engine::Engine. Returns the exit status for --help, --version,
// --show-config and configuration errors (1); once an engine ran it ends the
// process itself with std::_Exit(status) (0, 1 or 255, engine.md section
// 12), because the embedded Python interpreter is never finalised.
int run_engine(int argc, char** argv);

}  // namespace ipp::app
