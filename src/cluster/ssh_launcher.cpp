// SPDX-License-Identifier: BSD-3-Clause
// SSHControllerLauncher and SSHProxyEngineSetLauncher: one remote process
// each. SSHEngineSetLauncher is in ssh_engine_set_launcher.cpp.
#include "ipp/cluster/ssh_launcher.hpp"

#include <chrono>

#include "ipp/cluster/local_process.hpp"
#include "ipp/ssh/ssh_error.hpp"
#include "ipp/util/subprocess.hpp"

namespace ipp::cluster {

using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::seconds;

namespace {

std::vector<std::pair<std::string, std::string>> reversed(std::vector<std::pair<std::string, std::string>> pairs) {
  for (auto& [a, b] : pairs) std::swap(a, b);
  return pairs;
}

}  // namespace

// ---------------------------------------------------------------------------
// SingleRemoteProcessLauncher

template <class Base>
SshSite& SingleRemoteProcessLauncher<Base>::site() {
  if (!site_) site_ = std::make_unique<SshSite>(this->context_.config, this->context_);
  return *site_;
}

template <class Base>
void SingleRemoteProcessLauncher<Base>::start_remote(const std::vector<std::string>& argv, const std::string& name,
                                                     const std::vector<std::pair<std::string, std::string>>& to_send) {
  SshSite& s = site();
  remote_profile_dir_ = s.remote_profile_dir();
  s.send(to_send);
  process_ = RemoteProcess{};
  process_.remote_output_file = s.new_output_file(name);
  this->log().info("Starting {} on {}: {}", this->class_name(), s.label(),
                   nohup_command(argv, process_.remote_output_file, {}));
  process_.pid = start_remote_process(s.host(), argv, process_.remote_output_file,
                                      remote_environment(this->context_, remote_profile_dir_));
  this->set_state(LauncherState::Running);
  next_poll_ = Clock::now() + remote_poll_interval(this->context_.config);
}

template <class Base>
void SingleRemoteProcessLauncher<Base>::stop() {
  if (!this->running()) return;
  if (!process_.ended) {
    process_.stopping = true;
    try {
      std::set<int> left = stop_remote_processes(site().host(), {process_.pid},
                                                 seconds(this->context_.config.stop_seconds_until_kill),
                                                 seconds(std::min(this->context_.config.stop_timeout, 10)));
      if (!left.empty()) this->log().error("{} (pid {} on {}) did not stop", this->class_name(), process_.pid, site().label());
      site().host().run("rm -f " + util::shell_quote(process_.remote_output_file), seconds(30));
    } catch (const std::exception& e) {
      this->log().error("Cannot stop {} (pid {}): {}", this->class_name(), process_.pid, e.what());
    }
    process_.ended = true;
  }
  if (site_) site_->host().close();
  this->set_state(LauncherState::After);
}

template <class Base>
void SingleRemoteProcessLauncher<Base>::signal(int sig) {
  if (!this->running() || process_.ended) return;
  try {
    signal_remote_processes(site().host(), {process_.pid}, sig);
  } catch (const std::exception& e) {
    this->log().error("Cannot signal {} (pid {}): {}", this->class_name(), process_.pid, e.what());
  }
}

template <class Base>
bool SingleRemoteProcessLauncher<Base>::poll() {
  if (!this->running()) return false;
  if (Clock::now() < next_poll_) return true;
  next_poll_ = Clock::now() + remote_poll_interval(this->context_.config);
  try {
    if (!remote_alive(site().host(), {process_.pid}).empty()) {
      failed_polls_ = 0;
      return true;
    }
    process_.ended = true;
    process_.status = "ended";
    process_.output_tail = remote_tail(site().host(), process_.remote_output_file, this->context_.config.output_limit);
  } catch (const std::exception& e) {
    // A host that stays unreachable for a minute has lost the process for us.
    if (++failed_polls_ * remote_poll_interval(this->context_.config).count() < 60) {
      if (failed_polls_ == 1) this->log().warn("Cannot check {} on {}: {}", this->class_name(), site().label(), e.what());
      return true;
    }
    process_.ended = true;
    process_.status = "lost: " + site().label() + " unreachable for 60 s (" + e.what() + ")";
  }
  this->set_state(LauncherState::After);
  return false;
}

template <class Base>
json SingleRemoteProcessLauncher<Base>::to_dict() const {
  json d = Base::to_dict();
  d["pid"] = process_.pid;
  // 7.1 keeps LocalProcessLauncher's local log name; nothing is written there.
  d["output_file"] = (this->context_.profile_dir / "log" / (default_identifier(this->context_, this->class_name()) + ".log")).string();
  save_ssh_fields(this->context_.config, remote_profile_dir_.empty()
                                             ? remote_profile_dir(this->context_.config, this->context_.profile_dir)
                                             : remote_profile_dir_,
                  process_.remote_output_file, d);
  return d;
}

template <class Base>
void SingleRemoteProcessLauncher<Base>::from_dict(const json& state) {
  Base::from_dict(state);
  restore_ssh_fields(this->context_.config, state, &remote_profile_dir_, &process_.remote_output_file);
  auto pid = state.find("pid");
  if (pid == state.end() || !pid->is_number_integer() || pid->get<int>() <= 0) {
    throw NotRunning(this->class_name() + ": no remote pid saved");
  }
  process_.pid = pid->get<int>();
  // Like 7.1, re-attach without asking the host (ipcluster list stays
  // quick when a host is down); poll() and stop() will ask.
  this->set_state(LauncherState::Running);
}

template <class Base>
std::vector<ProcessExit> SingleRemoteProcessLauncher<Base>::exits() const {
  if (!process_.failed()) return {};
  ProcessExit e;
  e.identifier = this->class_name();
  e.host = site_ ? site_->label() : this->context_.config.hostname;
  e.status = process_.status.empty() ? "ended" : process_.status;
  e.output_file = e.host + ":" + process_.remote_output_file;
  e.output_tail = process_.output_tail;
  return {e};
}

template class SingleRemoteProcessLauncher<ControllerLauncher>;
template class SingleRemoteProcessLauncher<EngineSetLauncher>;

// ---------------------------------------------------------------------------

void SSHControllerLauncher::start() {
  if (state() != LauncherState::Before) throw Error(class_name() + " was already started");
  SshSite& s = site();
  s.prepare();
  std::vector<std::string> argv = s.command(context_.config.controller_cmd, "ipcontroller", "ipyparallel.controller");
  for (const auto& a : std::vector<std::string>{"--profile-dir", s.remote_profile_dir(), "--cluster-id",
                                                context_.cluster_id}) {
    argv.push_back(a);
  }
  for (const auto& a : context_.config.controller_args) argv.push_back(a);
  start_remote(argv, "ipcontroller", context_.config.to_send.value_or(std::vector<std::pair<std::string, std::string>>{}));
  // The controller writes its connection files there; 7.1 fetches both
  // unless to_fetch says otherwise ([] on a shared file system).
  try {
    s.fetch(context_.config.to_fetch ? *context_.config.to_fetch : reversed(s.connection_files()));
  } catch (const std::exception& e) {
    process_.output_tail = remote_tail(s.host(), process_.remote_output_file, context_.config.output_limit);
    stop();
    throw Error("the controller on " + s.label() + " wrote no connection files (" + e.what() + ")" +
                (process_.output_tail.empty() ? "" : "; its output:\n" + process_.output_tail));
  }
}

void SSHProxyEngineSetLauncher::start() {
  if (state() != LauncherState::Before) throw Error(class_name() + " was already started");
  SshSite& s = site();
  s.prepare();
  int n = 0;
  if (context_.n) {
    n = *context_.n;
  } else {
    // 7.1 passes this machine's CPU count; the remote machine's is what
    // `ipcluster engines` there would pick.
    ssh::CommandResult r = s.host().run("getconf _NPROCESSORS_ONLN 2>/dev/null || nproc", seconds(30));
    try {
      n = std::stoi(r.out);
    } catch (const std::exception&) {
      n = 1;
    }
  }
  std::vector<std::string> argv = s.command(context_.config.ipcluster_cmd, "ipcluster", "ipyparallel.cluster");
  for (const auto& a : std::vector<std::string>{"engines", "-n", std::to_string(n), "--profile-dir",
                                                s.remote_profile_dir(), "--cluster-id", context_.cluster_id}) {
    argv.push_back(a);
  }
  for (const auto& a : context_.config.ipcluster_args) argv.push_back(a);
  context_.n = n;
  start_remote(argv, "ipengine", context_.config.to_send ? *context_.config.to_send : s.connection_files());
}

std::vector<std::pair<std::string, int>> SSHProxyEngineSetLauncher::hosts() const {
  std::string host = site_ ? site_->label() : context_.config.hostname;
  return {{host, n()}};
}

}  // namespace ipp::cluster
