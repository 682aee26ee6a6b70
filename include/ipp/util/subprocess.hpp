// SPDX-License-Identifier: BSD-3-Clause
// Starting, watching and stopping long-running processes (launchers). A
// short command whose output is needed: captured_process.hpp.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace ipp::util {

struct SpawnOptions {
  std::vector<std::string> argv;  // argv[0] is looked up in PATH if it has no '/'
  // Added to (or replacing entries of) the inherited environment.
  std::map<std::string, std::string> environment;
  std::filesystem::path cwd;  // "" = ours
  // stdout and stderr are appended to this file (created 0644); "" = /dev/null.
  std::filesystem::path output_file;
  // A new session (setsid), as Python's launchers' start_new_session=True:
  // the terminal's Ctrl-C reaches ipcluster only, which then stops
  // everything in order, and the process outlives a daemonized ipcluster.
  bool new_session = true;
};

// Starts a process with stdin from /dev/null and returns its pid. Throws
// ipp::Error "<argv[0]>: <reason>" when it cannot be started (not found, not
// executable, output file not writable), with nothing left running.
pid_t spawn_process(const SpawnOptions& options);

struct ExitStatus {
  int code = -1;   // exit status, -1 when killed by a signal or unknown
  int signal = 0;  // terminating signal, 0 if it exited
  // "exited with status 1", "killed by signal 9 (Killed)", "ended" (unknown).
  std::string describe() const;
};

// Whether `pid` is alive, whether or not it is our child (restored from a
// cluster file). A zombie is not alive. Our own children that ended are
// reaped here, so their status is kept for child_status().
bool process_alive(pid_t pid);

// The status of a child of ours that has ended and was reaped by
// process_alive()/stop_process(); nullopt when unknown (not our child, or
// still running).
std::optional<ExitStatus> child_status(pid_t pid);

// Sends `sig` to `pid`; false if it does not exist any more.
bool send_signal(pid_t pid, int sig);

// SIGTERM, up to `term_wait` for it to end, then SIGKILL to it and to its
// process group when it leads one (an engine's own children), then up to
// `kill_wait`. Returns true once it is gone. Works for processes that are
// not our children (polls) as for children (reaps).
bool stop_process(pid_t pid, std::chrono::milliseconds term_wait, std::chrono::milliseconds kill_wait);

// The same for several processes at once (TERM to all, then KILL to those
// left): returns the pids still alive.
std::vector<pid_t> stop_processes(const std::vector<pid_t>& pids, std::chrono::milliseconds term_wait,
                                  std::chrono::milliseconds kill_wait);

// The last `max_lines` lines of a text file ("" if unreadable), for showing
// a failed process's log.
std::string tail_file(const std::filesystem::path& path, int max_lines);

// Shell-quotes one word the way Python's shlex.quote does.
std::string shell_quote(const std::string& word);

// Directory of the running executable (/proc/self/exe), "" if unknown.
std::filesystem::path executable_dir();

}  // namespace ipp::util
