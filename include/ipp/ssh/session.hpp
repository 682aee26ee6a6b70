// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "ipp/ssh/destination.hpp"
#include "ipp/ssh/ssh_error.hpp"

// libssh's handle type, declared here so that only src/ssh includes libssh.
struct ssh_session_struct;

namespace ipp::ssh {

// What to do with the server's host key (OpenSSH's StrictHostKeyChecking).
enum class HostKeyPolicy {
  Strict,     // "yes": the key must be in known_hosts
  AcceptNew,  // "accept-new": learn unknown hosts, refuse changed keys
  NoCheck,    // "no": accept any key, record nothing
};

// "yes"/"strict", "accept-new", "no"/"off" (case-insensitive); nullopt otherwise.
std::optional<HostKeyPolicy> parse_host_key_policy(std::string_view text);

// $IPP_SSH_STRICT_HOST_KEY_CHECKING if set, else AcceptNew: the OpenSSH
// client the Python programs drive answers "yes" to a new host (zmq's
// tunnel helper does) and refuses a changed key. A
// `StrictHostKeyChecking no` in ~/.ssh/config is honoured by libssh
// itself. Throws ipp::Error for an unknown value.
HostKeyPolicy host_key_policy_from_environment();

struct SessionOptions {
  Destination destination;
  // Explicit private key (ipengine --sshkey), tried first. An unreadable
  // file is reported in the final error but does not stop the other methods,
  // as `ssh -i` behaves.
  std::string identity_file;
  bool use_agent = true;               // ssh-agent ($SSH_AUTH_SOCK)
  bool use_default_identities = true;  // ~/.ssh/id_*, IdentityFile from ~/.ssh/config
  HostKeyPolicy host_key_policy = HostKeyPolicy::AcceptNew;
  std::string known_hosts_file;  // "" = UserKnownHostsFile from the config, else ~/.ssh/known_hosts
  // `ssh -F`: read only this file instead of ~/.ssh/config and
  // /etc/ssh/ssh_config; "" = those two.
  std::string config_file;
  // Bounds the TCP connect, and then every blocking libssh step
  // (handshake, authentication, channel requests).
  std::chrono::milliseconds timeout{15000};
};

// The user's home as Python's os.path.expanduser("~") sees it: $HOME, else
// the password database. ~/.ssh is taken from here (libssh itself would use
// the password database only), so HOME=/elsewhere behaves as users expect.
std::string home_directory();

// One authenticated SSH connection (libssh session). ~/.ssh/config and
// /etc/ssh/ssh_config are read for the destination's host (HostName, Port,
// User, IdentityFile, UserKnownHostsFile, ProxyCommand, ...); values given
// in the options win.
//
// Not thread-safe: use a session from one thread at a time (libssh's rule).
// Moving a session to another thread is fine.
class Session {
 public:
  // Connects, checks the host key and authenticates; throws SshError with
  // the reason (refused, unreachable, host key mismatch, auth failed...).
  explicit Session(SessionOptions options);
  ~Session();
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // "user@host:port" as finally used (after ~/.ssh/config), for messages.
  const std::string& peer() const { return peer_; }
  const SessionOptions& options() const { return options_; }

  // False once the transport failed or the server disconnected.
  bool connected() const;
  // libssh's last error text for this session.
  std::string last_error() const;

  // For the other files of the ssh area (channels, SFTP, forwarding).
  ssh_session_struct* native() const { return session_; }

 private:
  void configure();
  void connect();
  void verify_host_key();
  void authenticate();

  SessionOptions options_;
  std::string peer_;
  ssh_session_struct* session_ = nullptr;
};

}  // namespace ipp::ssh
