// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <string>

namespace ipp::ssh {

class Session;

struct CommandResult {
  int exit_status = -1;  // -1: killed by a signal, or the server sent no status
  std::string out;
  std::string err;
};

// Runs `command` through the remote user's login shell (as `ssh host
// command` does) with stdin at end of file, and collects stdout, stderr and
// the exit status. A background process (`nohup cmd > log 2>&1 </dev/null
// &`) does not keep the call waiting once its streams are redirected.
//
// Throws SshError: Channel if the server refuses the session or the exec
// request, Timeout (naming the command) if it does not finish within
// `timeout` (the channel is closed; the remote process may go on),
// Protocol if the connection breaks.
CommandResult run_command(Session& session, const std::string& command,
                          std::chrono::milliseconds timeout = std::chrono::seconds(60));

}  // namespace ipp::ssh
