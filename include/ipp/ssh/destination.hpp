// SPDX-License-Identifier: BSD-3-Clause
#pragma once

#include <string>
#include <string_view>

namespace ipp::ssh {

// Where to log in: "[user@]host[:port]", as ipengine --ssh, the connection
// file's "ssh" and SSHEngineSetLauncher.engines keys write it. An IPv6
// address with a port is written in brackets: "user@[::1]:2222".
// Empty user / port 0 mean "what ~/.ssh/config or the defaults say"
// (the local user name, port 22).
struct Destination {
  std::string user;
  std::string host;
  int port = 0;

  // Throws ipp::Error for an empty host or a port that is not 1-65535.
  static Destination parse(std::string_view text);

  // "[user@]host[:port]" (brackets around IPv6 hosts when a port follows).
  std::string to_string() const;
};

}  // namespace ipp::ssh
