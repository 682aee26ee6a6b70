// SPDX-License-Identifier: BSD-3-Clause
// One local process as Python's LocalProcessLauncher keeps it: its pid and
// the file its stdout+stderr go to. Shared by the local and MPI launchers.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>
#include <spdlog/logger.h>

#include "ipp/cluster/launcher.hpp"
#include "ipp/util/subprocess.hpp"

namespace ipp::cluster {

class LocalProcess {
 public:
  // Starts argv in a new session, output appended to `output_file`, cwd
  // `work_dir`. Throws ipp::Error naming the command.
  void start(const std::vector<std::string>& argv, const std::filesystem::path& output_file,
             const std::filesystem::path& work_dir, const std::map<std::string, std::string>& environment);
  // Re-attaches to a saved pid; false if that process is gone.
  bool attach(pid_t pid, const std::filesystem::path& output_file);

  bool alive();  // records the exit status once it has ended
  bool ended() const { return ended_; }
  pid_t pid() const { return pid_; }
  const std::filesystem::path& output_file() const { return output_file_; }
  // "exited with status 1" etc.; "ended" when not our child.
  std::string exit_description() const;
  bool failed() const;  // ended by itself (not by stop) with a non-zero status or a signal
  void mark_stopping() { stopping_ = true; }

  // {"pid", "output_file"} as LocalProcessLauncher.to_dict() has them.
  void save(nlohmann::json& into) const;

 private:
  pid_t pid_ = -1;
  std::filesystem::path output_file_;
  bool ended_ = false;
  bool stopping_ = false;
  std::optional<util::ExitStatus> status_;
};

// Stops processes together: SIGTERM to all, up to `term_wait` for them,
// SIGKILL to the rest, up to `kill_wait`. Returns the pids still alive.
std::vector<pid_t> stop_together(const std::vector<pid_t>& pids, int term_wait_seconds, int kill_wait_seconds);

// Python's BaseLauncher identifier: name[-cluster_id][-engine_set_id]-<pid>.
std::string default_identifier(const LaunchContext& context, const std::string& name);
// Words joined with spaces, for logs.
std::string join_words(const std::vector<std::string>& words);

// The environment of launched programs: IPP_PROFILE_DIR, IPP_CLUSTER_ID
// (newest ipyparallel's convention; 7.1 programs use the command line),
// then the context's environment and the `environment` trait.
std::map<std::string, std::string> launch_environment(const LaunchContext& context);

// What happened to `process` and the end of its log, for messages.
ProcessExit describe_exit(const std::string& identifier, const LocalProcess& process, int output_limit);

// Stops `process` (SIGTERM, SIGKILL after stop_seconds_until_kill) and
// removes its log unless it failed on its own (messages point at it).
void stop_local_process(LocalProcess& process, const config::LauncherConfig& config, spdlog::logger& log);
// Re-attaches to the "pid"/"output_file" of a saved launcher; throws
// NotRunning if that process is gone, ipp::Error if there is no pid.
void restore_local_process(LocalProcess& process, const nlohmann::json& state, const std::string& who);

// A launcher that is one local process (LocalControllerLauncher, the MPI
// launchers: mpiexec). Subclasses implement start() with start_process().
template <class Base>
class SingleProcessLauncher : public Base {
 public:
  using Base::Base;

  void stop() override {
    if (!this->running()) return;
    stop_local_process(process_, this->context_.config, this->log());
    this->set_state(LauncherState::After);
  }
  void signal(int sig) override {
    if (this->running()) util::send_signal(process_.pid(), sig);
  }
  bool poll() override {
    if (!this->running()) return false;
    if (process_.alive()) return true;
    this->set_state(LauncherState::After);
    return false;
  }
  nlohmann::json to_dict() const override {
    nlohmann::json d = Base::to_dict();
    process_.save(d);
    return d;
  }
  void from_dict(const nlohmann::json& state) override {
    Base::from_dict(state);
    restore_local_process(process_, state, this->class_name());
    this->set_state(LauncherState::Running);
  }
  std::filesystem::path output_file() const override { return process_.output_file(); }
  std::vector<ProcessExit> exits() const override {
    if (!process_.ended()) return {};
    return {describe_exit(label_, process_, this->context_.config.output_limit)};
  }

 protected:
  // Starts argv with output in <profile>/log/<name>[-<cluster_id>][-<set id>]-<ipcluster pid>.log
  // (Python's default identifier); state becomes Running.
  void start_process(const std::vector<std::string>& argv, const std::string& name) {
    if (this->state() != LauncherState::Before) throw Error(this->class_name() + " was already started");
    label_ = name;
    std::filesystem::path out = this->context_.profile_dir / "log" / (default_identifier(this->context_, name) + ".log");
    this->log().debug("Starting {}: {} (output in {})", this->class_name(), join_words(argv), out.string());
    process_.start(argv, out, this->context_.work_dir, launch_environment(this->context_));
    this->set_state(LauncherState::Running);
  }

  LocalProcess process_;
  std::string label_;
};

}  // namespace ipp::cluster
