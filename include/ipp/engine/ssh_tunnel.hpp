// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <sys/types.h>

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

namespace ipp::engine {

// `server` as ipengine takes it: "[user@]host[:port]" split for ssh's
// command line ("user@host" and the port, empty when none).
struct SshServer {
  std::string destination;  // [user@]host
  std::string port;         // "" = ssh's default
};
SshServer parse_ssh_server(const std::string& server);

// "tcp://<ip>:<port>" -> {ip, port}; throws ipp::Error for anything else.
std::pair<std::string, int> split_tcp_url(const std::string& url);

// Local port forwards to the controller through an SSH server, for
// --ssh / --sshkey / the connection file's "ssh" (connection-files.md
// section 4). Like the Python engine with IPEngine.paramiko off (the POSIX
// default), this runs the OpenSSH client: zmq.ssh.tunnel's openssh_tunnel
// forwards 127.0.0.1:<random port> to <ip>:<port> as seen from the server.
// One ssh process carries every forward (Python starts one per socket);
// it runs in its own session, as `ssh -f` daemonises, so the engine's
// shutdown (which signals its process group) does not cut the tunnel
// before the last messages are out. The destructor ends it.
//
// Authentication must not need a password (BatchMode): the engine has no
// terminal to ask on (Python prompts with getpass).
class SshTunnel {
 public:
  SshTunnel(std::string server, std::string keyfile, std::shared_ptr<spdlog::logger> log);
  ~SshTunnel();
  SshTunnel(const SshTunnel&) = delete;
  SshTunnel& operator=(const SshTunnel&) = delete;

  // Starts `ssh -N -L ...` for every "tcp://ip:port" in `urls` and waits
  // until each local port accepts connections. Returns the local URLs,
  // "tcp://127.0.0.1:<port>", in the order of `urls`. Throws ipp::Error
  // (with ssh's exit status) if ssh fails or `timeout` passes. Call once.
  std::vector<std::string> open(const std::vector<std::string>& urls,
                                std::chrono::milliseconds timeout = std::chrono::seconds(30));

 private:
  std::string server_;
  std::string keyfile_;
  std::shared_ptr<spdlog::logger> log_;
  pid_t pid_ = -1;
};

}  // namespace ipp::engine
