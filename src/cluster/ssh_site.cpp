// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/ssh_site.hpp"

#include <chrono>
#include <cstdio>
#include <mutex>
#include <set>
#include <thread>

#include "ipp/config/profile_dir.hpp"
#include "ipp/ssh/session.hpp"
#include "ipp/util/subprocess.hpp"

namespace ipp::cluster {

using nlohmann::json;
namespace fs = std::filesystem;
using std::chrono::seconds;

namespace {

constexpr auto kPrepareTimeout = seconds(30);
constexpr int kWaitForFileSeconds = 10;  // 7.1's _send_file / _fetch_file

std::string join_words(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : " ") + w;
  return out;
}

}  // namespace

std::chrono::seconds remote_poll_interval(const config::LauncherConfig& config) {
  int s = config.poll_seconds > 0 ? std::min(config.poll_seconds, 2) : 2;
  return seconds(s);
}

std::map<std::string, std::string> remote_environment(const LaunchContext& context,
                                                      const std::string& remote_profile_dir) {
  std::map<std::string, std::string> env{{"IPP_PROFILE_DIR", remote_profile_dir},
                                         {"IPP_CLUSTER_ID", context.cluster_id}};
  for (const auto& [k, v] : context.config.environment.items()) {
    env[k] = v.is_string() ? v.get<std::string>() : v.dump();
  }
  return env;
}

std::string default_remote_profile_dir(const fs::path& profile_dir) {
  std::string home = ssh::home_directory();
  if (!home.empty() && home.back() != '/') home += '/';
  const std::string path = profile_dir.string();
  if (home != "/" && path.rfind(home, 0) == 0) return path.substr(home.size());
  return path;
}

std::string remote_profile_dir(const config::LauncherConfig& config, const fs::path& profile_dir) {
  return config.remote_profile_dir.empty() ? default_remote_profile_dir(profile_dir) : config.remote_profile_dir;
}

SshSite::SshSite(config::LauncherConfig config, const LaunchContext& context)
    : config_(std::move(config)),
      profile_dir_(context.profile_dir),
      program_dir_(context.program_dir),
      cluster_id_(context.cluster_id) {
  SshTarget target = ssh_target(config_);
  if (!target.ignored.empty() && context.log) {
    context.log->warn("{}: ssh_args/scp_args not used by the built-in SSH client: {}", config_.launcher.class_name,
                      join_words(target.ignored));
  }
  if (context.log && (config_.ssh_cmd != std::vector<std::string>{"ssh"} ||
                      config_.scp_cmd != std::vector<std::string>{"scp"})) {
    context.log->warn("{}: ssh_cmd/scp_cmd are not run; the built-in SSH client is used",
                      config_.launcher.class_name);
  }
  host_ = std::make_unique<SshHost>(std::move(target.options));
  remote_profile_dir_ = cluster::remote_profile_dir(config_, profile_dir_);
}

void SshSite::prepare() {
  host_->connect();
  const std::string dir = util::shell_quote(remote_profile_dir_);
  std::string cmd = "umask 077; mkdir -p " + dir + " " + dir + "/security " + dir + "/log";
  if (!program_dir_.empty()) {
    const std::string ours = (program_dir_ / "ipengine").string();
    cmd += "; test -x " + util::shell_quote(ours) + " && echo __ours=1__";
  }
  cmd += "; true";
  ssh::CommandResult r = host_->run(cmd, kPrepareTimeout);
  if (r.err.find("mkdir") != std::string::npos) {
    throw Error("ssh " + label() + ": cannot create the remote profile directory " + remote_profile_dir_ + ": " +
                r.err);
  }
  has_our_programs_ = r.out.find("__ours=1__") != std::string::npos;
}

std::vector<std::string> SshSite::command(const std::optional<std::vector<std::string>>& configured,
                                          const char* program, const char* module) const {
  if (configured && !configured->empty()) return *configured;
  if (has_our_programs_) return {(program_dir_ / program).string()};
  return {config_.remote_python, "-m", module};
}

std::string SshSite::new_output_file(const std::string& name) const {
  // 7.1: f"{name}-{time.time():.4f}.out"; several engines start within
  // 0.1 ms of each other here, so never hand out the same name twice.
  static std::mutex mutex;
  static double last = 0;
  std::lock_guard<std::mutex> lock(mutex);
  double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (now <= last + 0.0001) now = last + 0.0001;
  last = now;
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%.4f", now);
  return remote_profile_dir_ + "/log/" + name + "-" + stamp + ".out";
}

void SshSite::send(const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [local, remote] : files) {
    for (int i = 0; i < kWaitForFileSeconds && !fs::exists(local); ++i) std::this_thread::sleep_for(seconds(1));
    host_->put(local, remote);
  }
}

void SshSite::fetch(const std::vector<std::pair<std::string, std::string>>& files) {
  for (const auto& [remote, local] : files) {
    const std::string test = "test -e " + util::shell_quote(remote) + " && echo yes || echo no";
    for (int i = 0; i < kWaitForFileSeconds; ++i) {
      if (host_->run(test, kPrepareTimeout).out.find("yes") != std::string::npos) break;
      std::this_thread::sleep_for(seconds(1));
    }
    host_->get(remote, local);
  }
}

std::vector<std::pair<std::string, std::string>> SshSite::connection_files() const {
  config::ProfileDir profile;
  profile.location = profile_dir_;
  std::vector<std::pair<std::string, std::string>> out;
  for (const fs::path& local : {profile.client_connection_file(cluster_id_), profile.engine_connection_file(cluster_id_)}) {
    // 7.1: remote_profile_dir + local_path[len(profile_dir):]
    std::string rel = local.string().substr(profile_dir_.string().size());
    out.emplace_back(local.string(), remote_profile_dir_ + rel);
  }
  return out;
}

void save_ssh_fields(const config::LauncherConfig& config, const std::string& remote_profile_dir,
                     const std::string& remote_output_file, json& into) {
  std::vector<std::string> ssh_args = config.ssh_args;
  std::vector<std::string> scp_args = config.scp_args;
  if (config.port) {
    // 7.1's start(port=...) appends these, and saves them.
    if (std::find(ssh_args.begin(), ssh_args.end(), "-p") == ssh_args.end()) {
      ssh_args.insert(ssh_args.end(), {"-p", std::to_string(*config.port)});
    }
    if (std::find(scp_args.begin(), scp_args.end(), "-P") == scp_args.end()) {
      scp_args.insert(scp_args.end(), {"-P", std::to_string(*config.port)});
    }
  }
  std::string hostname = config.hostname;
  std::string user = config.user;
  if (hostname.empty() && !config.location.empty()) {
    ssh::Destination d = ssh::Destination::parse(config.location);
    hostname = d.host;
    if (user.empty()) user = d.user;
  }
  into["ssh_cmd"] = config.ssh_cmd;
  into["ssh_args"] = ssh_args;
  into["scp_cmd"] = config.scp_cmd;
  into["scp_args"] = scp_args;
  into["hostname"] = hostname;
  into["user"] = user;
  into["remote_output_file"] = remote_output_file;
  into["remote_profile_dir"] = remote_profile_dir;
  into["remote_python"] = config.remote_python;
}

void restore_ssh_fields(config::LauncherConfig& config, const json& from, std::string* remote_profile_dir,
                        std::string* remote_output_file) {
  auto strings = [&](const char* key, std::vector<std::string>& out) {
    auto it = from.find(key);
    if (it == from.end() || !it->is_array()) return;
    out.clear();
    for (const auto& v : *it) {
      if (v.is_string()) out.push_back(v.get<std::string>());
    }
  };
  auto text = [&](const char* key, std::string& out) {
    auto it = from.find(key);
    if (it != from.end() && it->is_string()) out = it->get<std::string>();
  };
  strings("ssh_cmd", config.ssh_cmd);
  strings("ssh_args", config.ssh_args);
  strings("scp_cmd", config.scp_cmd);
  strings("scp_args", config.scp_args);
  text("hostname", config.hostname);
  text("user", config.user);
  text("remote_python", config.remote_python);
  config.location.clear();
  config.port.reset();  // it is in ssh_args now
  text("remote_profile_dir", *remote_profile_dir);
  config.remote_profile_dir = *remote_profile_dir;
  text("remote_output_file", *remote_output_file);
}

}  // namespace ipp::cluster
