// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <vector>

#include "ipp/config/engine_options.hpp"

namespace ipp::engine {

// Exit statuses of ipengine (engine.md section 12).
inline constexpr int kExitOk = 0;
inline constexpr int kExitNoConnectionFile = 1;
inline constexpr int kExitRegistrationFailed = 255;
// The SSH tunnel to the controller could not be set up (the Python engine
// dies with a traceback, status 1, when its ssh tunnel fails).
inline constexpr int kExitSshFailed = 1;

// One engine process, from the connection file to exit (engine.md sections
// 1-3): embedded Python, connection info, registration, sockets, output
// capture, kernel, startup code, heart, control thread, then the shell loop
// on the calling thread until shutdown_request, SIGTERM or the loss of the
// controller's heartbeat.
//
// Threads: the caller's thread (must be the process's main thread) runs
// Python and the shell loop; the heart, IOPub, control and output-reader
// threads are C++ only and never take the GIL.
class Engine {
 public:
  // `argv` becomes Python's sys.argv. Logging must be set up (the default
  // spdlog logger is the engine's log).
  Engine(config::EngineOptions options, std::vector<std::string> argv);

  // Returns the exit status. Once a stop was requested, a watchdog ends the
  // process with that status (std::_Exit) if the shell loop does not come
  // back within a few seconds (user code that ignores the request), so the
  // engine never lingers.
  int run();

 private:
  config::EngineOptions options_;
  std::vector<std::string> argv_;
};

}  // namespace ipp::engine
