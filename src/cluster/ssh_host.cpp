// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/cluster/ssh_host.hpp"

#include <algorithm>
#include <set>

#include "ipp/ssh/sftp_client.hpp"

namespace ipp::cluster {
namespace {

int parse_port(const std::string& text, const std::string& where) {
  try {
    size_t used = 0;
    int port = std::stoi(text, &used);
    if (used == text.size() && port > 0 && port < 65536) return port;
  } catch (const std::exception&) {
  }
  throw Error(where + ": bad port '" + text + "'");
}

// One `-o Key=Value` (or `-o Key Value`) of OpenSSH.
bool apply_option(const std::string& option, SshTarget& t, const std::string& where) {
  std::string key = option;
  std::string value;
  auto sep = option.find_first_of("= ");
  if (sep != std::string::npos) {
    key = option.substr(0, sep);
    value = option.substr(option.find_first_not_of("= ", sep) == std::string::npos
                              ? option.size()
                              : option.find_first_not_of("= ", sep));
  }
  std::transform(key.begin(), key.end(), key.begin(), [](unsigned char c) { return std::tolower(c); });
  ssh::SessionOptions& o = t.options;
  if (key == "port") {
    o.destination.port = parse_port(value, where);
  } else if (key == "user") {
    o.destination.user = value;
  } else if (key == "identityfile") {
    o.identity_file = value;
  } else if (key == "userknownhostsfile") {
    o.known_hosts_file = value;
  } else if (key == "stricthostkeychecking") {
    auto policy = ssh::parse_host_key_policy(value);
    if (!policy) return false;
    o.host_key_policy = *policy;
  } else if (key == "connecttimeout") {
    o.timeout = std::chrono::seconds(parse_port(value, where));
  } else if (key == "batchmode" || key == "loglevel" || key == "serveraliveinterval" ||
             key == "serveralivecountmax" || key == "forwardagent" || key == "forwardx11") {
    // No prompts anyway; the rest do not change what the launchers do.
  } else {
    return false;
  }
  return true;
}

// ssh_args or scp_args (port flag -p for ssh, -P for scp).
void apply_args(const std::vector<std::string>& args, char port_flag, SshTarget& t, const std::string& where) {
  static const std::set<std::string> kHarmless = {"-q", "-T", "-t", "-tt", "-x", "-X", "-A", "-a", "-C",
                                                  "-n", "-4", "-6", "-v", "-vv", "-vvv", "-r", "-p"};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& a = args[i];
    auto value = [&](char flag) -> std::optional<std::string> {
      if (a.size() > 2 && a[0] == '-' && a[1] == flag) return a.substr(2);
      if (a.size() == 2 && a[0] == '-' && a[1] == flag && i + 1 < args.size()) return args[++i];
      return std::nullopt;
    };
    if (auto v = value(port_flag)) {
      t.options.destination.port = parse_port(*v, where);
    } else if (auto v = value('l')) {
      t.options.destination.user = *v;
    } else if (auto v = value('i')) {
      t.options.identity_file = *v;
    } else if (auto v = value('F')) {
      t.options.config_file = *v;
    } else if (auto v = value('o')) {
      if (!apply_option(*v, t, where)) t.ignored.push_back("-o " + *v);
    } else if (kHarmless.count(a) == 0) {
      t.ignored.push_back(a);
    }
  }
}

}  // namespace

SshTarget ssh_target(const config::LauncherConfig& config) {
  SshTarget t;
  const std::string& cls = config.launcher.class_name;
  t.options.host_key_policy = ssh::host_key_policy_from_environment();
  // location ("user@host") is the one-setting form; hostname/user win when
  // set, as Python derives location from them.
  if (!config.location.empty()) t.options.destination = ssh::Destination::parse(config.location);
  if (!config.hostname.empty()) t.options.destination.host = config.hostname;
  if (!config.user.empty()) t.options.destination.user = config.user;
  if (t.options.destination.host.empty()) {
    throw Error(cls + ": no host to start on (set " + cls + ".hostname, or .location = 'user@host')");
  }
  apply_args(config.scp_args, 'P', t, cls + ".scp_args");
  apply_args(config.ssh_args, 'p', t, cls + ".ssh_args");
  if (config.port) t.options.destination.port = *config.port;  // an engines key "host:port" wins
  return t;
}

SshHost::SshHost(ssh::SessionOptions options)
    : options_(std::move(options)), label_(options_.destination.to_string()) {}

SshHost::~SshHost() = default;

void SshHost::connect() {
  if (session_ && session_->connected()) return;
  sftp_.reset();
  session_.reset();
  session_ = std::make_unique<ssh::Session>(options_);
}

void SshHost::close() {
  sftp_.reset();
  session_.reset();
}

template <class F>
auto SshHost::with_session(F&& f) -> decltype(f()) {
  const bool fresh = !session_ || !session_->connected();
  connect();
  try {
    return f();
  } catch (const ssh::SshError& e) {
    // A connection that was idle may have been cut (server restart, NAT
    // timeout): reconnect once. A fresh one failing is a real failure.
    if (fresh || session_->connected()) throw;
    connect();
    return f();
  }
}

ssh::SftpClient& SshHost::sftp() {
  if (!sftp_) sftp_ = std::make_unique<ssh::SftpClient>(*session_);
  return *sftp_;
}

ssh::CommandResult SshHost::run(const std::string& command, std::chrono::milliseconds timeout) {
  return with_session([&] { return ssh::run_command(*session_, command, timeout); });
}

void SshHost::put(const std::filesystem::path& local, const std::string& remote) {
  with_session([&] { sftp().put(local, remote); });
}

void SshHost::get(const std::string& remote, const std::filesystem::path& local) {
  with_session([&] { sftp().get(remote, local); });
}

}  // namespace ipp::cluster
