// SPDX-License-Identifier: BSD-3-Clause
#include "process_cpu.hpp"

#include <unistd.h>

#include <ctime>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace ipp::bench {

namespace {

struct Stat {
  pid_t ppid = 0;
  double cpu = 0;
};

// /proc/<pid>/stat: fields after the ")" that ends the command name;
// ppid is field 4, utime 14, stime 15 (man 5 proc).
bool read_stat(pid_t pid, Stat* out) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  std::string text((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  const auto paren = text.rfind(')');
  if (paren == std::string::npos) return false;
  std::istringstream fields(text.substr(paren + 2));
  std::vector<std::string> f;
  for (std::string field; fields >> field;) f.push_back(field);
  if (f.size() < 13) return false;
  out->ppid = static_cast<pid_t>(std::stol(f[1]));
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  out->cpu = (std::stod(f[11]) + std::stod(f[12])) / ticks;
  return true;
}

}  // namespace

double process_tree_cpu_seconds(pid_t root) {
  if (root <= 0) return 0;
  std::map<pid_t, Stat> all;
  for (const auto& entry : std::filesystem::directory_iterator("/proc")) {
    const std::string name = entry.path().filename();
    if (name.empty() || name.find_first_not_of("0123456789") != std::string::npos) continue;
    Stat stat;
    if (read_stat(static_cast<pid_t>(std::stol(name)), &stat)) all[static_cast<pid_t>(std::stol(name))] = stat;
  }
  double total = 0;
  for (const auto& [pid, stat] : all) {
    for (pid_t p = pid; p > 1;) {
      if (p == root) {
        total += stat.cpu;
        break;
      }
      const auto it = all.find(p);
      if (it == all.end()) break;
      p = it->second.ppid;
    }
  }
  return total;
}

double own_cpu_seconds() {
  timespec ts{};
  ::clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

}  // namespace ipp::bench
