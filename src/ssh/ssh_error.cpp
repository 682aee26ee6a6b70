// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/ssh/ssh_error.hpp"

#include <utility>

namespace ipp::ssh {

const char* failure_name(SshFailure failure) {
  switch (failure) {
    case SshFailure::UnknownHost: return "unknown host";
    case SshFailure::Refused: return "connection refused";
    case SshFailure::Unreachable: return "host unreachable";
    case SshFailure::HostKeyUnknown: return "host key not known";
    case SshFailure::HostKeyMismatch: return "host key mismatch";
    case SshFailure::AuthFailed: return "authentication failed";
    case SshFailure::Protocol: return "ssh protocol error";
    case SshFailure::Channel: return "channel refused";
    case SshFailure::Timeout: return "timed out";
    case SshFailure::Transfer: return "file transfer failed";
  }
  return "error";
}

SshError::SshError(SshFailure failure, std::string peer, const std::string& detail)
    : Error("ssh " + peer + ": " + failure_name(failure) + (detail.empty() ? "" : ": " + detail)),
      failure_(failure),
      peer_(std::move(peer)) {}

}  // namespace ipp::ssh
