// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/logger.h>

#include "ipp/ssh/port_forwarder.hpp"

namespace ipp::engine {

// "tcp://<ip>:<port>" -> {ip, port}; throws ipp::Error for anything else.
std::pair<std::string, int> split_tcp_url(const std::string& url);

// The engine's connections to the controller through an SSH server, for
// --ssh / --sshkey / the connection file's "ssh" (connection-files.md
// section 4): as zmq.ssh.tunnel does for the Python engine, each
// "tcp://ip:port" is reached as 127.0.0.1:<local port>, forwarded to
// ip:port as the SSH server sees it (so a controller listening only on the
// server's loopback is reachable).
//
// The Python engine runs the OpenSSH client (`ssh -f -N -L ...`, one
// process per socket); we use libssh in-process (ssh::PortForwarder): one
// connection and one thread carry every socket, failures are reported
// before registration with the reason (refused, unreachable, host key,
// authentication), and nothing is left running when the engine exits.
// Authentication: `keyfile`, then ssh-agent, then ~/.ssh/id_* and the
// IdentityFile of ~/.ssh/config; passwords are not asked for (the engine
// has no terminal; Python prompts with getpass).
class SshTunnel {
 public:
  // `server` is "[user@]host[:port]". Connects and authenticates now;
  // throws ssh::SshError (or ipp::Error for a malformed server or URL).
  SshTunnel(const std::string& server, const std::string& keyfile, const std::vector<std::string>& urls,
            std::shared_ptr<spdlog::logger> log);

  // "tcp://127.0.0.1:<port>" for each URL given, in the same order.
  const std::vector<std::string>& local_urls() const { return local_urls_; }

 private:
  std::unique_ptr<ssh::PortForwarder> forwarder_;
  std::vector<std::string> local_urls_;
};

}  // namespace ipp::engine
