// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/local_process.hpp"

#include <unistd.h>

namespace ipp::cluster {

using nlohmann::json;
using std::chrono::seconds;

void LocalProcess::start(const std::vector<std::string>& argv, const std::filesystem::path& output_file,
                         const std::filesystem::path& work_dir,
                         const std::map<std::string, std::string>& environment) {
  std::error_code ec;
  std::filesystem::create_directories(output_file.parent_path(), ec);
  util::SpawnOptions options;
  options.argv = argv;
  options.environment = environment;
  options.cwd = work_dir;
  options.output_file = output_file;
  try {
    pid_ = util::spawn_process(options);
  } catch (const Error&) {
    // Leave no empty log of a process that never ran.
    if (std::filesystem::file_size(output_file, ec) == 0 && !ec) std::filesystem::remove(output_file, ec);
    throw;
  }
  output_file_ = output_file;
  ended_ = false;
  stopping_ = false;
  status_.reset();
}

bool LocalProcess::attach(pid_t pid, const std::filesystem::path& output_file) {
  pid_ = pid;
  output_file_ = output_file;
  ended_ = !util::process_alive(pid);
  return !ended_;
}

bool LocalProcess::alive() {
  if (ended_) return false;
  if (util::process_alive(pid_)) return true;
  ended_ = true;
  status_ = util::child_status(pid_);
  return false;
}

std::string LocalProcess::exit_description() const { return status_ ? status_->describe() : "ended"; }

bool LocalProcess::failed() const { return ended_ && !stopping_ && (!status_ || status_->code != 0); }

void LocalProcess::save(json& into) const {
  into["pid"] = pid_;
  into["output_file"] = output_file_.string();
}

std::vector<pid_t> stop_together(const std::vector<pid_t>& pids, int term_wait_seconds, int kill_wait_seconds) {
  return util::stop_processes(pids, seconds(term_wait_seconds), seconds(kill_wait_seconds));
}

std::map<std::string, std::string> launch_environment(const LaunchContext& context) {
  std::map<std::string, std::string> env{{"IPP_PROFILE_DIR", context.profile_dir.string()},
                                         {"IPP_CLUSTER_ID", context.cluster_id}};
  for (const auto& [k, v] : context.environment) env[k] = v;
  for (const auto& [k, v] : context.config.environment.items()) {
    env[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return env;
}

ProcessExit describe_exit(const std::string& identifier, const LocalProcess& process, int output_limit) {
  ProcessExit e;
  e.identifier = identifier;
  e.status = process.exit_description();
  e.output_file = process.output_file();
  if (!e.output_file.empty()) e.output_tail = util::tail_file(e.output_file, output_limit > 0 ? output_limit : 20);
  return e;
}

std::string default_identifier(const LaunchContext& c, const std::string& name) {
  std::string id = name;
  if (!c.cluster_id.empty()) id += "-" + c.cluster_id;
  if (!c.engine_set_id.empty()) id += "-" + c.engine_set_id;
  return id + "-" + std::to_string(::getpid());
}

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

void stop_local_process(LocalProcess& process, const config::LauncherConfig& config, spdlog::logger& log) {
  if (process.alive()) {
    process.mark_stopping();
    if (!stop_together({process.pid()}, config.stop_seconds_until_kill, config.stop_timeout).empty()) {
      log.error("process {} did not stop after SIGKILL", process.pid());
    }
  }
  process.alive();
  // Stopped cleanly: its log goes, as Python's get_output(remove=True).
  if (!process.output_file().empty() && !process.failed()) {
    std::error_code ec;
    std::filesystem::remove(process.output_file(), ec);
  }
}

void restore_local_process(LocalProcess& process, const json& state, const std::string& who) {
  auto pid = state.find("pid");
  if (pid == state.end() || !pid->is_number_integer()) throw Error(who + ": saved state has no integer 'pid'");
  auto out = state.find("output_file");
  std::string output_file = out != state.end() && out->is_string() ? out->get<std::string>() : "";
  if (!process.attach(pid->get<pid_t>(), output_file)) throw NotRunning("Process " + std::to_string(pid->get<pid_t>()));
}

}  // namespace ipp::cluster
