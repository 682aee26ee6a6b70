// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <string>
#include <vector>

namespace ipp::config::detail {

struct ProcessResult {
  std::string result;  // everything the child wrote to fd 3
  std::string output;  // everything it wrote to stdout and stderr (interleaved)
  int exit_code = -1;  // exit status, or -1 if killed by a signal
  int signal = 0;      // the terminating signal, 0 if it exited
  bool timed_out = false;
};

// Runs `argv` (argv[0] looked up in PATH if it has no '/') with stdin from
// /dev/null, stdout+stderr captured together, and a result pipe on fd 3;
// the child inherits the environment. Waits at most `timeout`, then SIGKILLs
// it (timed_out = true). Reading stops once the result pipe is closed and the
// child has exited, even if a grandchild still holds stdout open.
// Throws ipp::Error naming the failing call (pipe2, posix_spawnp, poll, ...).
ProcessResult run_process(const std::vector<std::string>& argv, std::chrono::milliseconds timeout);

}  // namespace ipp::config::detail
