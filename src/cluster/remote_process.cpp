// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/remote_process.hpp"

#include <regex>
#include <sstream>

#include "ipp/util/subprocess.hpp"

namespace ipp::cluster {
namespace {

using std::chrono::seconds;

constexpr auto kCommandTimeout = seconds(30);

std::string pid_list(const std::vector<int>& pids) {
  std::string out;
  for (int p : pids) out += (out.empty() ? "" : " ") + std::to_string(p);
  return out;
}

std::set<int> parse_pids(const std::string& text) {
  std::set<int> out;
  std::istringstream in(text);
  std::string word;
  while (in >> word) {
    if (word.find_first_not_of("0123456789") == std::string::npos) out.insert(std::stoi(word));
  }
  return out;
}

// Output between "__<name>=" and "__", as Python's _ssh_outputs reads it.
std::string marker(const std::string& out, const std::string& name) {
  std::smatch m;
  std::regex re("__" + name + "=([^_]*)__");
  if (std::regex_search(out, m, re)) return m[1].str();
  return "";
}

}  // namespace

std::string nohup_command(const std::vector<std::string>& argv, const std::string& remote_output_file,
                          const std::map<std::string, std::string>& environment) {
  std::string cmd;
  for (const auto& [k, v] : environment) cmd += k + "=" + util::shell_quote(v) + " ";
  cmd += "nohup";
  for (const auto& a : argv) cmd += " " + util::shell_quote(a);
  cmd += " > " + util::shell_quote(remote_output_file) + " 2>&1 </dev/null & echo __remote_pid=$!__";
  return cmd;
}

int start_remote_process(SshHost& host, const std::vector<std::string>& argv,
                         const std::string& remote_output_file,
                         const std::map<std::string, std::string>& environment) {
  ssh::CommandResult r = host.run(nohup_command(argv, remote_output_file, environment), kCommandTimeout);
  std::string pid = marker(r.out, "remote_pid");
  if (pid.empty() || pid.find_first_not_of("0123456789") != std::string::npos) {
    throw Error("ssh " + host.label() + ": could not start `" + argv.front() + "` (exit status " +
                std::to_string(r.exit_status) + "): " + r.out + r.err);
  }
  return std::stoi(pid);
}

std::set<int> remote_alive(SshHost& host, const std::vector<int>& pids) {
  if (pids.empty()) return {};
  std::string cmd = "for p in " + pid_list(pids) + "; do kill -0 $p 2>/dev/null && echo $p; done; true";
  return parse_pids(host.run(cmd, kCommandTimeout).out);
}

std::set<int> stop_remote_processes(SshHost& host, const std::vector<int>& pids, seconds term_wait,
                                    seconds kill_wait) {
  if (pids.empty()) return {};
  // Polls every 0.1 s (GNU sleep; a POSIX sleep rounds up to 1 s).
  auto wait_loop = [](seconds s) {
    return "i=0; while [ $i -lt " + std::to_string(s.count() * 10) +
           " ]; do alive=''; for p in $pids; do kill -0 $p 2>/dev/null && alive=\"$alive $p\"; done; "
           "[ -z \"$alive\" ] && break; sleep 0.1 2>/dev/null || sleep 1; i=$((i+1)); done; ";
  };
  std::string cmd = "pids='" + pid_list(pids) + "'; kill -TERM $pids 2>/dev/null; " + wait_loop(term_wait) +
                    "if [ -n \"$alive\" ]; then for p in $alive; do "
                    "g=$(ps -o pgid= -p $p 2>/dev/null | tr -d ' '); kill -KILL $p 2>/dev/null; "
                    "[ -n \"$g\" ] && [ \"$g\" != \"$$\" ] && kill -KILL -- -$g 2>/dev/null; done; pids=$alive; " +
                    wait_loop(kill_wait) + "fi; echo \"__alive=$alive__\"";
  ssh::CommandResult r = host.run(cmd, term_wait + kill_wait + kCommandTimeout);
  return parse_pids(marker(r.out, "alive"));
}

void signal_remote_processes(SshHost& host, const std::vector<int>& pids, int sig) {
  if (pids.empty()) return;
  host.run("kill -" + std::to_string(sig) + " " + pid_list(pids) + " 2>/dev/null; true", kCommandTimeout);
}

std::string remote_tail(SshHost& host, const std::string& path, int lines) {
  try {
    ssh::CommandResult r =
        host.run("tail -n " + std::to_string(lines > 0 ? lines : 20) + " " + util::shell_quote(path), kCommandTimeout);
    return r.exit_status == 0 ? r.out : "";
  } catch (const std::exception&) {
    return "";
  }
}

}  // namespace ipp::cluster
