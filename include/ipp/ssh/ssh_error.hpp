// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>

#include "ipp/util/error.hpp"

namespace ipp::ssh {

// Why an SSH operation failed, so callers can react (ipcluster names the
// host and stops what it started; tests check the reason) without parsing
// the message.
enum class SshFailure {
  UnknownHost,      // the name does not resolve
  Refused,          // TCP connection refused: no sshd listening there
  Unreachable,      // no route, network down, or no answer within the timeout
  HostKeyUnknown,   // not in known_hosts and the policy is strict
  HostKeyMismatch,  // known_hosts has another key for this host
  AuthFailed,       // no key, agent identity or default identity accepted
  Protocol,         // handshake or transport error after connecting
  Channel,          // the server refused a channel (exec, forward, sftp)
  Timeout,          // a remote command or transfer took too long
  Transfer,         // SFTP: a file could not be read, written or created
};

// The short name used in messages: "connection refused", "host key mismatch".
const char* failure_name(SshFailure failure);

// An SSH error names the peer ("user@host:port") and the reason. The
// message reads "ssh <peer>: <reason>: <detail>".
class SshError : public Error {
 public:
  SshError(SshFailure failure, std::string peer, const std::string& detail);

  SshFailure failure() const { return failure_; }
  const std::string& peer() const { return peer_; }

 private:
  SshFailure failure_;
  std::string peer_;
};

}  // namespace ipp::ssh
