// SPDX-License-Identifier: BSD-3-Clause
// Processes on other hosts, started and watched over SSH with plain POSIX
// shell commands (Python 7.1 needs ipyparallel and psutil on the remote
// side to watch them: `python3 -c 'ssh_waitpid(...)'`; we need sh, kill
// and ps only).
#pragma once

#include <chrono>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "ipp/cluster/ssh_host.hpp"

namespace ipp::cluster {

// One remote process as the SSH launchers keep it.
struct RemoteProcess {
  int pid = -1;                    // on the remote host
  std::string remote_output_file;  // its stdout+stderr there
  bool ended = false;
  bool stopping = false;  // ended because we stopped it
  std::string status;     // "ended", "lost (host unreachable)", ...
  std::string output_tail;  // last lines of its output, when it ended by itself

  bool failed() const { return ended && !stopping; }
};

// The remote command Python's sshx runs:
//   [VAR=value ...] nohup <argv> > <out> 2>&1 </dev/null & echo __remote_pid=$!__
// every word shell-quoted.
std::string nohup_command(const std::vector<std::string>& argv, const std::string& remote_output_file,
                          const std::map<std::string, std::string>& environment);

// Starts it and returns the remote pid. Throws ipp::Error naming the host
// and showing the command's output when no pid comes back.
int start_remote_process(SshHost& host, const std::vector<std::string>& argv,
                         const std::string& remote_output_file,
                         const std::map<std::string, std::string>& environment);

// The pids among `pids` that are alive on `host` (kill -0). Throws
// ssh::SshError when the host cannot be asked.
std::set<int> remote_alive(SshHost& host, const std::vector<int>& pids);

// SIGTERM to all, up to `term_wait` for them to end, then SIGKILL to the
// rest (and to their process groups, which hold their children), up to
// `kill_wait`; all in one remote command. Returns the pids still alive.
// Throws ssh::SshError when the host cannot be reached.
std::set<int> stop_remote_processes(SshHost& host, const std::vector<int>& pids,
                                    std::chrono::seconds term_wait, std::chrono::seconds kill_wait);

// kill -<sig> on each pid; failures are ignored (gone already).
void signal_remote_processes(SshHost& host, const std::vector<int>& pids, int sig);

// The last `lines` lines of a remote file, "" if it cannot be read.
std::string remote_tail(SshHost& host, const std::string& path, int lines);

}  // namespace ipp::cluster
