// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

namespace ipp::util {

// A short-lived child whose output we need: the config evaluator (result on
// fd 3), the batch template renderer, qsub/sbatch/bsub and their delete and
// signal commands (result = stdout, so a warning on stderr can never be
// taken for a job id).
struct CapturedProcessOptions {
  // The child is SIGKILLed after this long and the result says timed_out.
  std::chrono::milliseconds timeout{30000};
  // The child's descriptor read into ProcessResult::result: 3 (a private
  // result pipe; stdout and stderr both go to `output`) or 1 (stdout is the
  // result; only stderr goes to `output`).
  int result_fd = 3;
  // File opened as the child's stdin ("bsub < script" without a shell).
  std::string stdin_path = "/dev/null";
  // The child's working directory ("" = ours).
  std::string cwd;
  // Variables set in the child's environment on top of ours (NAME, value).
  std::map<std::string, std::string> environment;
  // What the child is, for error messages ("the config evaluator").
  std::string what = "a child process";
};

struct ProcessResult {
  std::string result;  // everything the child wrote to result_fd
  std::string output;  // everything else it wrote (see result_fd)
  int exit_code = -1;  // exit status, or -1 if killed by a signal
  int signal = 0;      // the terminating signal, 0 if it exited
  bool timed_out = false;
};

// Runs `argv` (argv[0] looked up in PATH if it has no '/'). Waits at most
// options.timeout, then SIGKILLs it (timed_out = true). Reading stops once
// the child has exited and what it wrote has been read, even if a grandchild
// (a job a fake qsub started in the background, a daemon a config file
// forked) still holds an output pipe open.
// Throws ipp::Error naming `what` and the failing call (pipe2, posix_spawnp,
// poll, ...), e.g. "cannot run the submit command 'qsub': No such file or
// directory".
ProcessResult run_captured(const std::vector<std::string>& argv, const CapturedProcessOptions& options);

}  // namespace ipp::util
