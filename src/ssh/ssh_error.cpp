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

namespace {

std::string message(SshFailure failure, const std::string& peer, const std::string& detail) {
  std::string m = "ssh ";
  m.append(peer).append(": ").append(failure_name(failure));
  if (!detail.empty()) m.append(": ").append(detail);
  return m;
}

}  // namespace

SshError::SshError(SshFailure failure, std::string peer, const std::string& detail)
    : Error(message(failure, peer, detail)), failure_(failure), peer_(std::move(peer)) {}

}  // namespace ipp::ssh
