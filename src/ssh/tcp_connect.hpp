// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <chrono>
#include <string>

namespace ipp::ssh::detail {

// Opens a TCP connection to host:port, trying every address the name
// resolves to, within `timeout` in all. Returns a blocking, close-on-exec
// socket the caller owns. Throws SshError naming `peer` with the reason
// from the errno of the last attempt: UnknownHost (the name does not
// resolve), Refused (ECONNREFUSED), Unreachable (no route, network down,
// or no answer in time).
//
// We connect ourselves rather than letting libssh do it because libssh
// reduces every failure to one message string; users need to tell "no sshd
// there" from "no such machine" from "firewall drops packets".
int tcp_connect(const std::string& host, int port, std::chrono::milliseconds timeout,
                const std::string& peer);

}  // namespace ipp::ssh::detail
