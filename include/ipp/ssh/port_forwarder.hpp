// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <memory>
#include <string>
#include <vector>

#include <spdlog/logger.h>

#include "ipp/ssh/session.hpp"

namespace ipp::ssh {

// A host and port as the SSH server sees them (ssh -L's right-hand side).
struct ForwardTarget {
  std::string host;
  int port = 0;
};

// Local port forwarding (`ssh -N -L 127.0.0.1:<p>:<host>:<port>` for each
// target) over one SSH connection. Every target gets a listening socket on
// 127.0.0.1:<ephemeral port>; each connection to it is carried by its own
// direct-tcpip channel. One background thread owns the session and pumps
// all connections (libssh sessions are single-threaded).
//
// Errors that happen before the constructor returns (cannot connect, host
// key, authentication) are thrown. If the SSH connection breaks later, the
// open connections are closed and logged; the next connection to a local
// port reconnects (at most once a second), so peers that reconnect (ZeroMQ
// does) recover when the server comes back.
class PortForwarder {
 public:
  // Connects (throws SshError) and binds the local ports (throws
  // ipp::Error), then starts the pump thread. A null `log` means spdlog's
  // default logger at the time of each message (the engine replaces it
  // once it captures its stderr).
  PortForwarder(SessionOptions options, std::vector<ForwardTarget> targets,
                std::shared_ptr<spdlog::logger> log);
  // stop().
  ~PortForwarder();
  PortForwarder(const PortForwarder&) = delete;
  PortForwarder& operator=(const PortForwarder&) = delete;

  // The local port for each target, in the order of the targets.
  const std::vector<int>& local_ports() const;
  // "user@host:port" of the SSH server.
  const std::string& peer() const;

  // Closes the listeners and every forwarded connection, disconnects and
  // joins the thread. Idempotent; thread-safe with respect to the pump.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace ipp::ssh
