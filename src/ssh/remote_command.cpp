// SPDX-License-Identifier: BSD-3-Clause
#include "ipp/ssh/remote_command.hpp"

#include <libssh/libssh.h>

#include "ipp/ssh/session.hpp"
#include "ssh/libssh_log.hpp"

namespace ipp::ssh {
namespace {

using Clock = std::chrono::steady_clock;

struct ChannelGuard {
  ssh_channel channel;
  ~ChannelGuard() {
    if (::ssh_channel_is_open(channel) != 0) ::ssh_channel_close(channel);
    ::ssh_channel_free(channel);
  }
};

std::string short_command(const std::string& command) {
  return command.size() > 120 ? command.substr(0, 117) + "..." : command;
}

}  // namespace

CommandResult run_command(Session& session, const std::string& command, std::chrono::milliseconds timeout) {
  detail::route_libssh_log();
  ssh_session s = session.native();
  const auto deadline = Clock::now() + timeout;
  ssh_channel channel = ::ssh_channel_new(s);
  if (channel == nullptr) throw SshError(SshFailure::Protocol, session.peer(), session.last_error());
  ChannelGuard guard{channel};
  if (::ssh_channel_open_session(channel) != SSH_OK) {
    throw SshError(SshFailure::Channel, session.peer(), "cannot open a session channel: " + session.last_error());
  }
  if (::ssh_channel_request_exec(channel, command.c_str()) != SSH_OK) {
    throw SshError(SshFailure::Channel, session.peer(),
                   "cannot run '" + short_command(command) + "': " + session.last_error());
  }
  ::ssh_channel_send_eof(channel);  // stdin: nothing, as `ssh host cmd </dev/null`

  CommandResult result;
  char buf[16384];
  for (;;) {
    bool progressed = false;
    for (int is_stderr = 0; is_stderr <= 1; ++is_stderr) {
      int n = ::ssh_channel_read_nonblocking(channel, buf, sizeof buf, is_stderr);
      if (n == SSH_ERROR) {
        throw SshError(SshFailure::Protocol, session.peer(),
                       "reading the output of '" + short_command(command) + "': " + session.last_error());
      }
      if (n > 0) {
        (is_stderr ? result.err : result.out).append(buf, static_cast<std::size_t>(n));
        progressed = true;
      }
    }
    if (progressed) continue;
    if (::ssh_channel_is_eof(channel) != 0 || ::ssh_channel_is_closed(channel) != 0) break;
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) {
      throw SshError(SshFailure::Timeout, session.peer(),
                     "'" + short_command(command) + "' did not finish within " +
                         std::to_string(timeout.count()) + " ms");
    }
    // Waits for data on either stream (or EOF), at most 100 ms at a time
    // so the deadline is honoured.
    int rc = ::ssh_channel_poll_timeout(channel, static_cast<int>(std::min<long long>(left.count(), 100)), 0);
    if (rc == SSH_ERROR) {
      throw SshError(SshFailure::Protocol, session.peer(),
                     "waiting for '" + short_command(command) + "': " + session.last_error());
    }
  }
  // The exit status comes right after the end of output; libssh waits for
  // it at most the session timeout.
  result.exit_status = ::ssh_channel_get_exit_status(channel);
  return result;
}

}  // namespace ipp::ssh
